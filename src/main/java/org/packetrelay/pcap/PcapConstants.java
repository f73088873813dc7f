package org.packetrelay.pcap;

import org.apache.camel.spi.Metadata;

/** Headers set by the pcap consumer. */
public final class PcapConstants {
    @Metadata(description = "Number of packets in this micro-batch", javaType = "int")
    public static final String PACKETS = "CamelPcapPackets";
    @Metadata(description = "true on the last exchange of a replay: every packet of the capture files was sent",
              javaType = "boolean")
    public static final String REPLAY_COMPLETE = "CamelPcapReplayComplete";

    private PcapConstants() {
    }
}
