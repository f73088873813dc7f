package org.packetrelay.pcap;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.packetrelay.catalog.CsvBytes;

/**
 * A micro-batch of packets as CSV rows (UTF-8 bytes, no header), the body the pcap consumer sends. Also the
 * aggregated body: {@link #append} merges batches, so the aggregator handles thousands of exchanges, not millions
 * of packets. Merging keeps the micro-batches' bytes as chunks (no copy, no growing buffer), so a spool file's
 * worth of rows takes about its own size in memory.
 */
public final class PacketBatch {
    private final List<CsvBytes> chunks = new ArrayList<>(4);
    private int packets;
    private boolean replayComplete;
    private Counters counters;

    /** The capture counters a batch's consumer keeps, as the spool sees them. */
    public interface Counters {
        /** Counts packets of this batch's consumer that the spool could not take. */
        void spoolDropped(long packets);

        /** The counters as one line, for the spool log. */
        String line();
    }

    public PacketBatch(int capacityBytes) {
        chunks.add(new CsvBytes(capacityBytes));
    }

    /** The bytes rows are appended to (the last chunk). */
    public CsvBytes text() {
        return chunks.get(chunks.size() - 1);
    }

    /** All the rows' bytes, in order. */
    public List<CsvBytes> chunks() {
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

    /** The counters of the consumer that captured these packets; null for a batch made otherwise. */
    public Counters getCounters() {
        return counters;
    }

    public void setCounters(Counters counters) {
        this.counters = counters;
    }

    /** Adds another batch's rows to this one. */
    public PacketBatch append(PacketBatch other) {
        for (CsvBytes c : other.chunks) {
            if (c.length() > 0) {
                chunks.add(c);
            }
        }
        packets += other.packets;
        replayComplete |= other.replayComplete;
        if (other.counters != null) {
            counters = other.counters;
        }
        return this;
    }

    /** The rows one by one (for a {@code split} that wants per-packet EIPs). */
    public List<PacketRow> getRows() {
        List<PacketRow> list = new ArrayList<>(packets);
        for (CsvBytes c : chunks) {
            byte[] b = c.array();
            int start = 0;
            for (int i = 0; i < c.length(); i++) {
                if (b[i] == '\n') {
                    list.add(new PacketRow(new String(b, start, i - start, StandardCharsets.UTF_8)));
                    start = i + 1;
                }
            }
        }
        return list;
    }

    /** Adds one row (see {@link PacketRow}). */
    public void add(PacketRow row) {
        text().putUtf8(row.line()).put('\n');
        packets++;
    }

    @Override
    public String toString() {
        return "PacketBatch[" + packets + " packets]";
    }
}
