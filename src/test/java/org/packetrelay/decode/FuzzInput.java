package org.packetrelay.decode;

import java.nio.ByteBuffer;
import java.util.Arrays;

/**
 * One decoder input as the fuzzer's bytes, so that a corpus packet can be written as a seed that reproduces it:
 * <pre>
 * [0]      link type: LINK_TYPES[b % 10]; 9 means "other", taken from [1..2]
 * [1..2]   the other link type (big-endian u16; mostly unknown ones)
 * [3..4]   wire length minus captured length (u16), shifted left by [5] & 0x0F (at most Integer.MAX_VALUE in all)
 * [5]      bit 7: nanosecond timestamp digits (else microseconds)
 * [6..13]  epoch nanoseconds (big-endian; the sign bit is dropped: the capture loop gives 0..Long.MAX_VALUE)
 * [14..]   the captured bytes
 * </pre>
 * A shorter input reads its missing header bytes as 0.
 */
record FuzzInput(int dlt, byte[] data, int wireLength, long epochNanos, int digits) {
    /** The link types the decoder knows. */
    static final int[] LINK_TYPES = {1, 113, 276, 12, 101, 228, 229, 0, 108};
    static final int HEADER = 14;

    static FuzzInput parse(byte[] in) {
        byte[] h = Arrays.copyOf(in, HEADER);
        ByteBuffer b = ByteBuffer.wrap(h);
        int pick = (h[0] & 0xFF) % (LINK_TYPES.length + 1);
        int dlt = pick < LINK_TYPES.length ? LINK_TYPES[pick] : b.getShort(1) & 0xFFFF;
        long extra = (long) (b.getShort(3) & 0xFFFF) << (h[5] & 0x0F);
        byte[] data = in.length > HEADER ? Arrays.copyOfRange(in, HEADER, in.length) : new byte[0];
        int wire = (int) Math.min(Integer.MAX_VALUE, data.length + extra);
        return new FuzzInput(dlt, data, wire, b.getLong(6) & Long.MAX_VALUE, (h[5] & 0x80) != 0 ? 9 : 6);
    }

    /** The bytes that {@link #parse} turns into this input (the wire length rounded down where it needs a shift). */
    byte[] encode() {
        int pick = 0;
        while (pick < LINK_TYPES.length && LINK_TYPES[pick] != dlt) {
            pick++;
        }
        long extra = Math.max(0, (long) wireLength - data.length);
        int shift = 0;
        while ((extra >> shift) > 0xFFFF) {
            shift++;
        }
        ByteBuffer b = ByteBuffer.allocate(HEADER + data.length);
        b.put((byte) pick).putShort((short) dlt).putShort((short) (extra >> shift)).put((byte) (shift | (digits == 9 ? 0x80 : 0)))
                .putLong(epochNanos).put(data);
        return b.array();
    }
}
