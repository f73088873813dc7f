package org.packetrelay.spool;

import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;
import org.packetrelay.pcap.PacketBatch;
import org.packetrelay.pcap.PcapConstants;

/** Merges the pcap consumer's micro-batches into one spool file's worth of rows. */
public class PacketBatchAggregation implements AggregationStrategy {

    @Override
    public Exchange aggregate(Exchange oldExchange, Exchange newExchange) {
        if (oldExchange == null) {
            return newExchange;
        }
        PacketBatch into = oldExchange.getIn().getBody(PacketBatch.class);
        PacketBatch more = newExchange.getIn().getBody(PacketBatch.class);
        if (more != null) {
            into.append(more);
        }
        oldExchange.getIn().setHeader(PcapConstants.PACKETS, into.getPackets());
        if (into.isReplayComplete()) {
            oldExchange.getIn().setHeader(PcapConstants.REPLAY_COMPLETE, true);
        }
        return oldExchange;
    }
}
