package org.packetrelay.pcap;

/**
 * A micro-batch of packets as CSV rows (no header), the body the pcap consumer sends. Also the aggregated body:
 * {@link #append} merges batches, so the aggregator handles thousands of exchanges, not millions of packets.
 */
public final class PacketBatch {
    private final StringBuilder rows;
    private int packets;
    private boolean replayComplete;
    private PcapConsumer source;

    public PacketBatch(int capacityChars) {
        this.rows = new StringBuilder(capacityChars);
    }

    public StringBuilder rows() {
        return rows;
    }

    public void countPacket() {
        packets++;
    }

    public int getPackets() {
        return packets;
    }

    public boolean isEmpty() {
        return packets == 0;
    }

    public boolean isReplayComplete() {
        return replayComplete;
    }

    public void setReplayComplete(boolean replayComplete) {
        this.replayComplete = replayComplete;
    }

    /** The consumer that captured these packets (for its counters); may be null. */
    public PcapConsumer getSource() {
        return source;
    }

    public void setSource(PcapConsumer source) {
        this.source = source;
    }

    /** Adds another batch's rows to this one. */
    public PacketBatch append(PacketBatch other) {
        rows.append(other.rows);
        packets += other.packets;
        replayComplete |= other.replayComplete;
        if (other.source != null) {
            source = other.source;
        }
        return this;
    }

    public int charLength() {
        return rows.length();
    }

    @Override
    public String toString() {
        return "PacketBatch[" + packets + " packets]";
    }
}
