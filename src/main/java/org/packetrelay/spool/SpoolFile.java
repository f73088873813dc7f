package org.packetrelay.spool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;

import org.packetrelay.pcap.PacketBatch;

/**
 * A spool file being written: {@code <name>.part}, open for appending. The body of the capture route's
 * aggregated exchange: rows are on disk (in the page cache, which outlives a kill -9) as soon as their
 * micro-batch arrives, and forced to the device at least every second.
 */
public final class SpoolFile {
    private final Path part;
    private final String name;
    private FileChannel channel;
    private long size;
    private int packets;
    private long lastForce = System.nanoTime();
    private boolean replayComplete;
    private PacketBatch.Counters counters;

    SpoolFile(Path part, String name) {
        this.part = part;
        this.name = name;
    }

    /** Whether {@code <name>.part} exists (it is created with the first batch that could be written). */
    boolean isOpen() {
        return channel != null;
    }

    void open(FileChannel channel) {
        this.channel = channel;
        this.size = 0;
    }

    /** Bytes written so far. */
    long size() {
        return size;
    }

    /**
     * Undoes a batch whose write failed half-way (e.g. the disk filled up): cuts the file back to {@code to} bytes,
     * or removes it when nothing of it was whole (the header alone).
     */
    void rollback(long to) throws IOException {
        if (channel == null) {
            return;
        }
        if (to == 0) {
            channel.close();
            channel = null;
            Files.deleteIfExists(part);
        } else {
            channel.truncate(to);
            channel.position(to);
        }
        size = to;
    }

    public Path part() {
        return part;
    }

    /** The final name ({@code packets_....csv}). */
    public String getName() {
        return name;
    }

    public int getPackets() {
        return packets;
    }

    public boolean isReplayComplete() {
        return replayComplete;
    }

    /** The capture counters of the batches in this file (for the log line); may be null. */
    public PacketBatch.Counters getCounters() {
        return counters;
    }

    FileChannel channel() {
        return channel;
    }

    void write(byte[] data, int length) throws IOException {
        ByteBuffer buf = ByteBuffer.wrap(data, 0, length);
        while (buf.hasRemaining()) {
            size += channel.write(buf);
        }
        long now = System.nanoTime();
        if (now - lastForce > 1_000_000_000L) {
            channel.force(false);
            lastForce = now;
        }
    }

    void addRows(int rows) {
        packets += rows;
    }

    void note(boolean replayComplete, PacketBatch.Counters counters) {
        this.replayComplete |= replayComplete;
        if (counters != null) {
            this.counters = counters;
        }
    }

    @Override
    public String toString() {
        return "SpoolFile[" + name + ", " + packets + " packets]";
    }
}
