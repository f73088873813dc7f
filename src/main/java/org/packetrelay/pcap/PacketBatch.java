package org.packetrelay.pcap;

import java.util.ArrayList;
import java.util.List;

/**
 * A micro-batch of packets as CSV rows (no header), the body the pcap consumer sends. Also the aggregated body:
 * {@link #append} merges batches, so the aggregator handles thousands of exchanges, not millions of packets.
 * Merging keeps the micro-batches' text as chunks (no copy, no growing buffer), so a spool file's worth of rows
 * takes about its own size in memory.
 */
public final class PacketBatch {
    private final List<StringBuilder> chunks = new ArrayList<>(4);
    private int packets;
    private boolean replayComplete;
    private PcapConsumer source;

    public PacketBatch(int capacityChars) {
        chunks.add(new StringBuilder(capacityChars));
    }

    /** The text rows are appended to (the last chunk). */
    public StringBuilder text() {
        return chunks.get(chunks.size() - 1);
    }

    /** All the rows' text, in order. */
    public List<StringBuilder> chunks() {
        return chunks;
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
        for (StringBuilder c : other.chunks) {
            if (c.length() > 0) {
                c.trimToSize();
                chunks.add(c);
            }
        }
        packets += other.packets;
        replayComplete |= other.replayComplete;
        if (other.source != null) {
            source = other.source;
        }
        return this;
    }

    /** The rows one by one (for a {@code split} that wants per-packet EIPs). */
    public List<PacketRow> getRows() {
        List<PacketRow> list = new ArrayList<>(packets);
        for (StringBuilder c : chunks) {
            int start = 0;
            for (int i = 0; i < c.length(); i++) {
                if (c.charAt(i) == '\n') {
                    list.add(new PacketRow(c.substring(start, i)));
                    start = i + 1;
                }
            }
        }
        return list;
    }

    /** Adds one row (see {@link PacketRow}). */
    public void add(PacketRow row) {
        text().append(row.line()).append('\n');
        packets++;
    }

    @Override
    public String toString() {
        return "PacketBatch[" + packets + " packets]";
    }
}
