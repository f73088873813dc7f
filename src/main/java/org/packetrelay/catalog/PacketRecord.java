package org.packetrelay.catalog;

import java.util.Arrays;

/**
 * One packet's record: a typed slot per {@link Field}. Reused for every packet (call {@link #clear()}), so
 * decoding allocates only the strings it produces. Numbers and booleans live in a {@code long[]}, text in a
 * {@code String[]}; a slot that was never set is null (an empty CSV cell, JSON {@code null}).
 */
public final class PacketRecord {
    private final long[] nums = new long[Field.COUNT];
    private final String[] strs = new String[Field.COUNT];
    private final boolean[] set = new boolean[Field.COUNT];
    private int timestampDigits = 6;

    public void clear() {
        Arrays.fill(set, false);
        Arrays.fill(strs, null);
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

    /** Sets text made by the decoder itself (names, addresses). Null or empty clears the slot. */
    public void setString(Field f, String v) {
        if (v == null || v.isEmpty()) {
            strs[f.ordinal()] = null;
            set[f.ordinal()] = false;
        } else {
            strs[f.ordinal()] = v;
            set[f.ordinal()] = true;
        }
    }

    /** Sets text taken from the wire, escaped as {@link WireText} documents. */
    public void setWireText(Field f, byte[] b, int off, int len) {
        setString(f, WireText.escape(b, off, len));
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

    public String getString(Field f) {
        return strs[f.ordinal()];
    }

    /** The value as the JSON/CSV type gives it: Long, Boolean, String, BigDecimal (timestamp) or null. */
    public Object get(Field f) {
        if (!has(f)) {
            return null;
        }
        return switch (f.type()) {
            case TIMESTAMP -> new java.math.BigDecimal(timestampText());
            case INT, LONG -> nums[f.ordinal()];
            case BOOL -> nums[f.ordinal()] != 0;
            case STRING -> strs[f.ordinal()];
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
                case STRING -> appendCsvText(out, strs[i]);
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

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        appendCsv(sb);
        return sb.toString();
    }
}
