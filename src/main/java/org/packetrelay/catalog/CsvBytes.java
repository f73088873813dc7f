package org.packetrelay.catalog;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * CSV text as UTF-8 bytes, appended to a growing array: what the capture threads build rows in, so that the
 * spool writes them as they are (a {@code StringBuilder} would need a copy to a String and an encoding pass per
 * batch, and costs a capacity and coder check per append). Not thread-safe. The JDK has no growable byte sink
 * with text appends ({@code ByteArrayOutputStream} is synchronized per byte and knows no text).
 */
public final class CsvBytes {
    private byte[] buf;
    private int len;

    public CsvBytes(int capacity) {
        buf = new byte[Math.max(16, capacity)];
    }

    public byte[] array() {
        return buf;
    }

    public int length() {
        return len;
    }

    public void setLength(int length) {
        len = length;
    }

    /** Makes room for {@code n} more bytes: after it, {@link #array()} has at least that many after {@link #length()}. */
    public void room(int n) {
        if (len + n > buf.length) {
            buf = Arrays.copyOf(buf, Math.max(buf.length * 2, len + n));
        }
    }

    public CsvBytes put(char ascii) {
        room(1);
        buf[len++] = (byte) ascii;
        return this;
    }

    /** Text known to be ASCII (the decoder's names and addresses, digits). */
    @SuppressWarnings("deprecation")
    public CsvBytes putAscii(String s) {
        int n = s.length();
        room(n);
        s.getBytes(0, n, buf, len); // the low byte of each char: exact for ASCII
        len += n;
        return this;
    }

    public CsvBytes putUtf8(String s) {
        return putBytes(s.getBytes(StandardCharsets.UTF_8));
    }

    public CsvBytes putBytes(byte[] b) {
        return putBytes(b, 0, b.length);
    }

    public CsvBytes putBytes(byte[] b, int off, int n) {
        room(n);
        System.arraycopy(b, off, buf, len, n);
        len += n;
        return this;
    }

    /** Decimal digits of {@code v}. */
    public CsvBytes putLong(long v) {
        if (v < 0) {
            if (v == Long.MIN_VALUE) {
                return putAscii(Long.toString(v));
            }
            put('-');
            v = -v;
        }
        return putDigits(v, 1);
    }

    /** Decimal digits of non-negative {@code v}, zero-padded to at least {@code width}. */
    public CsvBytes putDigits(long v, int width) {
        int n = Math.max(digits(v), width);
        room(n);
        len = writeDigits(buf, len + n, v, len);
        return this;
    }

    private static final long[] POW10 = new long[19];

    static {
        POW10[0] = 1;
        for (int i = 1; i < POW10.length; i++) {
            POW10[i] = POW10[i - 1] * 10;
        }
    }

    /** The number of decimal digits of non-negative {@code v}: from its bit length (log10(2) ~ 1233/4096), no division. */
    static int digits(long v) {
        int d = (64 - Long.numberOfLeadingZeros(v | 1)) * 1233 >>> 12;
        return d < POW10.length && v >= POW10[d] ? d + 1 : Math.max(d, 1);
    }

    private static final byte[] PAIRS = new byte[200];

    static {
        for (int i = 0; i < 100; i++) {
            PAIRS[2 * i] = (byte) ('0' + i / 10);
            PAIRS[2 * i + 1] = (byte) ('0' + i % 10);
        }
    }

    /**
     * Writes the digits of non-negative {@code v} backwards from {@code end} (exclusive) down to {@code start},
     * zero-padding what is left; returns {@code end}. Two digits a step (a table of pairs), in int arithmetic where
     * the value fits: most of a CSV row's cost is its numbers.
     */
    static int writeDigits(byte[] b, int end, long v, int start) {
        int i = end;
        while (v > Integer.MAX_VALUE) {
            long q = v / 100;
            int r = (int) (v - q * 100);
            b[--i] = PAIRS[2 * r + 1];
            b[--i] = PAIRS[2 * r];
            v = q;
        }
        int x = (int) v;
        while (x >= 100) {
            int q = x / 100;
            int r = x - q * 100;
            b[--i] = PAIRS[2 * r + 1];
            b[--i] = PAIRS[2 * r];
            x = q;
        }
        if (x >= 10) {
            b[--i] = PAIRS[2 * x + 1];
            b[--i] = PAIRS[2 * x];
        } else {
            b[--i] = (byte) ('0' + x);
        }
        while (i > start) {
            b[--i] = '0';
        }
        return end;
    }

    @Override
    public String toString() {
        return new String(buf, 0, len, StandardCharsets.UTF_8);
    }
}
