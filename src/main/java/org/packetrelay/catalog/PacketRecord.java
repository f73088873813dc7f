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
        StringBuilder sb = new StringBuilder(24);
        appendTimestamp(sb);
        return sb.toString();
    }

    private void appendTimestamp(StringBuilder sb) {
        long ns = nums[Field.TIMESTAMP.ordinal()];
        long sec = Math.floorDiv(ns, 1_000_000_000L);
        long frac = Math.floorMod(ns, 1_000_000_000L);
        sb.append(sec).append('.');
        if (timestampDigits == 6) {
            frac /= 1000;
        }
        String f = Long.toString(frac);
        for (int i = f.length(); i < timestampDigits; i++) {
            sb.append('0');
        }
        sb.append(f);
    }

    /** Appends this record as one CSV row (RFC 4180 quoting) ending in {@code \n}. */
    public void appendCsv(StringBuilder sb) {
        for (int i = 0; i < Field.COUNT; i++) {
            if (i > 0) {
                sb.append(',');
            }
            if (!set[i]) {
                continue;
            }
            switch (Field.ALL[i].type()) {
                case TIMESTAMP -> appendTimestamp(sb);
                case INT, LONG -> sb.append(nums[i]);
                case BOOL -> sb.append(nums[i] != 0 ? "true" : "false");
                case STRING -> appendCsvText(sb, strs[i]);
            }
        }
        sb.append('\n');
    }

    /** RFC 4180: quote a cell holding a comma, quote, CR or LF; double the quotes inside. */
    public static void appendCsvText(StringBuilder sb, String s) {
        boolean quote = false;
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (c == ',' || c == '"' || c == '\n' || c == '\r') {
                quote = true;
                break;
            }
        }
        if (!quote) {
            sb.append(s);
            return;
        }
        sb.append('"');
        for (int i = 0, n = s.length(); i < n; i++) {
            char c = s.charAt(i);
            if (c == '"') {
                sb.append('"');
            }
            sb.append(c);
        }
        sb.append('"');
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        appendCsv(sb);
        return sb.toString();
    }
}
