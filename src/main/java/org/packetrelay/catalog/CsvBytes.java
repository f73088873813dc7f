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

    private void room(int n) {
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
        int digits = 1;
        for (long x = v / 10; x != 0; x /= 10) {
            digits++;
        }
        int n = Math.max(digits, width);
        room(n);
        int end = len + n;
        for (int i = end - 1; i >= len; i--) {
            buf[i] = (byte) ('0' + (v % 10));
            v /= 10;
        }
        len = end;
        return this;
    }

    @Override
    public String toString() {
        return new String(buf, 0, len, StandardCharsets.UTF_8);
    }
}
