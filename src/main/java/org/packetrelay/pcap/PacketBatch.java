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

    public StringBuilder text() {
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

    /** The rows one by one (for a {@code split} that wants per-packet EIPs). */
    public java.util.List<PacketRow> getRows() {
        java.util.List<PacketRow> list = new java.util.ArrayList<>(packets);
        int start = 0;
        for (int i = 0; i < rows.length(); i++) {
            if (rows.charAt(i) == '\n') {
                list.add(new PacketRow(rows.substring(start, i)));
                start = i + 1;
            }
        }
        return list;
    }

    /** Adds one row (see {@link PacketRow}). */
    public void add(PacketRow row) {
        rows.append(row.line()).append('\n');
        packets++;
    }

    public int charLength() {
        return rows.length();
    }

    @Override
    public String toString() {
        return "PacketBatch[" + packets + " packets]";
    }
}
