package org.packetrelay.pcap;

import java.util.Arrays;


/**
 * Captured packets as libpcap gave them, waiting to be decoded: the bytes back to back in one array plus, per
 * packet, offset, captured and wire length, timestamp, link type and source name. A capture thread only copies
 * packets in; {@link BatchDelivery}'s workers decode them into a {@link PacketBatch}, so reading and decoding run on
 * every core. Reused, so steady capture allocates no per-packet objects for it.
 */
final class RawBatch {
    byte[] bytes;
    int used;
    int count;
    int[] offset;
    int[] capLength;
    int[] wireLength;
    long[] nanos;
    int[] dlt;
    String[] source;
    int timestampDigits = 6;
    boolean replayComplete;
    /** The order in which it was handed over (see {@link BatchDelivery}). */
    long seq;

    RawBatch(int packets, int bytes) {
        this.bytes = new byte[bytes];
        offset = new int[packets];
        capLength = new int[packets];
        wireLength = new int[packets];
        nanos = new long[packets];
        dlt = new int[packets];
        source = new String[packets];
    }

    /** Copies one packet in from native memory (at address {@code data}). */
    void add(long data, int caplen, int wireLen, long epochNanos, int linkType, String sourceName) {
        if (count == offset.length) {
            int n = count * 2;
            offset = Arrays.copyOf(offset, n);
            capLength = Arrays.copyOf(capLength, n);
            wireLength = Arrays.copyOf(wireLength, n);
            nanos = Arrays.copyOf(nanos, n);
            dlt = Arrays.copyOf(dlt, n);
            source = Arrays.copyOf(source, n);
        }
        if (used + caplen > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, used + caplen));
        }
        if (caplen > 0) {
            NativeLoop.copy(data, bytes, used, caplen);
        }
        offset[count] = used;
        capLength[count] = caplen;
        wireLength[count] = wireLen;
        nanos[count] = epochNanos;
        dlt[count] = linkType;
        source[count] = sourceName;
        used += caplen;
        count++;
    }

    /** Whether it is to be handed over: {@code batchSize} packets or {@link CaptureTask#RAW_BATCH_BYTES} bytes. */
    boolean isFull(int batchSize) {
        return count >= batchSize || used >= CaptureTask.RAW_BATCH_BYTES;
    }

    /** Empties it for reuse. */
    RawBatch reset() {
        used = 0;
        count = 0;
        replayComplete = false;
        Arrays.fill(source, null);
        return this;
    }
}
