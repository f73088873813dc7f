package org.packetrelay.catalog;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * One packet's record: a typed slot per {@link Field}. Reused for every packet (call {@link #clear()}), so
 * decoding allocates nothing per packet: numbers and booleans live in a {@code long[]}; text is either a String
 * the decoder keeps anyway (protocol names, the interface) or bytes copied into one buffer of the record (addresses,
 * escaped wire text), which {@link #appendCsv(CsvBytes)} copies as they are. A slot that was never set is null (an
 * empty CSV cell, JSON {@code null}).
 */
public final class PacketRecord {
    private final long[] nums = new long[Field.COUNT];
    private final boolean[] set = new boolean[Field.COUNT];
    /** Text set as a String; null where the text is in {@link #text}. */
    private final String[] strs = new String[Field.COUNT];
    /** Text set as bytes: UTF-8 in {@link #text} from {@code textStart} to {@code textEnd}. */
    private final int[] textStart = new int[Field.COUNT];
    private final int[] textEnd = new int[Field.COUNT];
    private final CsvBytes text = new CsvBytes(1024);
    private int timestampDigits = 6;

    public void clear() {
        Arrays.fill(set, false);
        Arrays.fill(strs, null);
        text.setLength(0);
    }

    /** Sets the capture time; {@code digits} is 6 (microseconds) or 9 (nanoseconds) in the output. */
    public void setTimestamp(long epochNanos, int digits) {
        nums[Field.TIMESTAMP.ordinal()] = epochNanos;
        set[Field.TIMESTAMP.ordinal()] = true;
        timestampDigits = digits == 9 ? 9 : 6;
    }

    public long timestampNanos() {
        return nums[Field.TIMESTAMP.ordinal()];
    }

    /** For INT and LONG fields. */
    public void setNumber(Field f, long v) {
        nums[f.ordinal()] = v;
        set[f.ordinal()] = true;
    }

    public void setBool(Field f, boolean v) {
        nums[f.ordinal()] = v ? 1 : 0;
        set[f.ordinal()] = true;
    }

    /** Sets text made by the decoder itself (names). Null or empty clears the slot. */
    public void setString(Field f, String v) {
        if (v == null || v.isEmpty()) {
            unset(f);
        } else {
            strs[f.ordinal()] = v;
            set[f.ordinal()] = true;
        }
    }

    /** Sets text the decoder wrote as ASCII bytes (addresses, hex): {@code len} bytes from {@code off}, copied. */
    public void setAscii(Field f, byte[] b, int off, int len) {
        if (len <= 0) {
            unset(f);
            return;
        }
        int start = text.length();
        text.putBytes(b, off, len);
        setText(f, start);
    }

    /** Sets text taken from the wire, escaped as {@link WireText} documents. Empty clears the slot. */
    public void setWireText(Field f, byte[] b, int off, int len) {
        if (len <= 0) {
            unset(f);
            return;
        }
        int start = text.length();
        WireText.escapeTo(b, off, len, text);
        setText(f, start);
    }

    private void setText(Field f, int start) {
        int i = f.ordinal();
        strs[i] = null;
        textStart[i] = start;
        textEnd[i] = text.length();
        set[i] = true;
    }

    public void unset(Field f) {
        set[f.ordinal()] = false;
        strs[f.ordinal()] = null;
    }

    public boolean has(Field f) {
        return set[f.ordinal()];
    }

    public long getNumber(Field f) {
        return nums[f.ordinal()];
    }

    public boolean getBool(Field f) {
        return nums[f.ordinal()] != 0;
    }

    /** The text of a STRING field, or null (made on each call for text held as bytes: for tests and tools). */
    public String getString(Field f) {
        int i = f.ordinal();
        if (!set[i]) {
            return null;
        }
        if (strs[i] != null) {
            return strs[i];
        }
        return new String(text.array(), textStart[i], textEnd[i] - textStart[i], StandardCharsets.UTF_8);
    }

    /** The value as the JSON/CSV type gives it: Long, Boolean, String, BigDecimal (timestamp) or null. */
    public Object get(Field f) {
        if (!has(f)) {
            return null;
        }
        return switch (f.type()) {
            case TIMESTAMP -> new BigDecimal(timestampText());
            case INT, LONG -> nums[f.ordinal()];
            case BOOL -> nums[f.ordinal()] != 0;
            case STRING -> getString(f);
        };
    }

    private String timestampText() {
        CsvBytes b = new CsvBytes(24);
        appendTimestamp(b);
        return b.toString();
    }

    private void appendTimestamp(CsvBytes out) {
        long ns = nums[Field.TIMESTAMP.ordinal()];
        long sec = Math.floorDiv(ns, 1_000_000_000L);
        long frac = Math.floorMod(ns, 1_000_000_000L);
        out.putLong(sec).put('.');
        if (timestampDigits == 6) {
            frac /= 1000;
        }
        out.putDigits(frac, timestampDigits);
    }

    /** Appends this record as one CSV row (RFC 4180 quoting, UTF-8) ending in {@code \n}. */
    public void appendCsv(CsvBytes out) {
        for (int i = 0; i < Field.COUNT; i++) {
            if (i > 0) {
                out.put(',');
            }
            if (!set[i]) {
                continue;
            }
            switch (Field.ALL[i].type()) {
                case TIMESTAMP -> appendTimestamp(out);
                case INT, LONG -> out.putLong(nums[i]);
                case BOOL -> out.putAscii(nums[i] != 0 ? "true" : "false");
                case STRING -> {
                    if (strs[i] != null) {
                        appendCsvText(out, strs[i]);
                    } else {
                        appendCsvText(out, text.array(), textStart[i], textEnd[i]);
                    }
                }
            }
        }
        out.put('\n');
    }

    /** The same row as text (for tests and tools; the capture path writes bytes). */
    public void appendCsv(StringBuilder sb) {
        CsvBytes b = new CsvBytes(512);
        appendCsv(b);
        sb.append(b);
    }

    /** RFC 4180: quote a cell holding a comma, quote, CR or LF; double the quotes inside. */
    public static void appendCsvText(CsvBytes out, String s) {
        boolean quote = false;
        boolean ascii = true;
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (c == ',' || c == '"' || c == '\n' || c == '\r') {
                quote = true;
            } else if (c >= 0x80) {
                ascii = false;
            }
        }
        if (quote) {
            out.put('"');
            s = s.replace("\"", "\"\"");
        }
        if (ascii) {
            out.putAscii(s);
        } else {
            out.putUtf8(s);
        }
        if (quote) {
            out.put('"');
        }
    }

    /** The same for UTF-8 bytes from {@code start} to {@code end}. */
    private static void appendCsvText(CsvBytes out, byte[] b, int start, int end) {
        boolean quote = false;
        for (int i = start; i < end; i++) {
            byte c = b[i];
            if (c == ',' || c == '"' || c == '\n' || c == '\r') {
                quote = true;
                break;
            }
        }
        if (!quote) {
            out.putBytes(b, start, end - start);
            return;
        }
        out.put('"');
        for (int i = start; i < end; i++) {
            if (b[i] == '"') {
                out.put('"');
            }
            out.put((char) (b[i] & 0xFF));
        }
        out.put('"');
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        appendCsv(sb);
        return sb.toString();
    }
}
