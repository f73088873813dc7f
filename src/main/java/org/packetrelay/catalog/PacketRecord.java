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
    /** Text that cannot hold a comma, quote, CR or LF (set by {@link #setAscii}): written without the quoting scan. */
    private final boolean[] plain = new boolean[Field.COUNT];
    /**
     * Room the Strings set since {@link #clear} may take as cells (3 bytes a char, 2 quotes), counted as they are set: a
     * String set twice or unset is counted anyway, which only makes the reserve larger.
     */
    private int stringRoom;
    private final CsvBytes text = new CsvBytes(1024);
    private static final int CELLS = 64;
    private final String[] cellOf = new String[CELLS];
    private final byte[][] cells = new byte[CELLS][];
    private int timestampDigits = 6;

    public void clear() {
        Arrays.fill(set, false);
        Arrays.fill(strs, null);
        text.setLength(0);
        stringRoom = 0;
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
            stringRoom += 3 * v.length() + 2;
        }
    }

    /**
     * Sets text the decoder wrote as ASCII bytes that hold no comma, quote, CR or LF (addresses, hex, base64), so its
     * cell needs no quoting: {@code len} bytes from {@code off}, copied.
     */
    public void setAscii(Field f, byte[] b, int off, int len) {
        if (len <= 0) {
            unset(f);
            return;
        }
        int start = text.length();
        text.putBytes(b, off, len);
        setText(f, start, true);
    }

    /** Sets text taken from the wire, escaped as {@link WireText} documents. Empty clears the slot. */
    public void setWireText(Field f, byte[] b, int off, int len) {
        if (len <= 0) {
            unset(f);
            return;
        }
        int start = text.length();
        WireText.escapeTo(b, off, len, text);
        setText(f, start, false);
    }

    private void setText(Field f, int start, boolean plainText) {
        int i = f.ordinal();
        strs[i] = null;
        plain[i] = plainText;
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
        byte[] b = new byte[48];
        return new String(b, 0, putTimestamp(b, 0), StandardCharsets.US_ASCII);
    }

    private static final int TIMESTAMP = 0;
    private static final int NUMBER = 1;
    private static final int BOOL = 2;
    private static final int STRING = 3;
    /** Each field's kind, by ordinal (an array: the row loop is the hot path of capture). */
    private static final int[] KIND = new int[Field.COUNT];
    private static final byte[] TRUE = {'t', 'r', 'u', 'e'};
    private static final byte[] FALSE = {'f', 'a', 'l', 's', 'e'};

    static {
        for (Field f : Field.ALL) {
            KIND[f.ordinal()] = switch (f.type()) {
                case TIMESTAMP -> TIMESTAMP;
                case INT, LONG -> NUMBER;
                case BOOL -> BOOL;
                case STRING -> STRING;
            };
        }
    }

    /**
     * Appends this record as one CSV row (RFC 4180 quoting, UTF-8) ending in {@code \n}. Room for the longest row these
     * values can make is reserved once, then the bytes are written straight into the array.
     */
    public void appendCsv(CsvBytes out) {
        out.room(maxRowBytes());
        byte[] b = out.array();
        int n = out.length();
        for (int i = 0; i < Field.COUNT; i++) {
            if (i > 0) {
                b[n++] = ',';
            }
            if (!set[i]) {
                continue;
            }
            switch (KIND[i]) {
                case NUMBER -> n = putLong(b, n, nums[i]);
                case BOOL -> {
                    byte[] word = nums[i] != 0 ? TRUE : FALSE;
                    System.arraycopy(word, 0, b, n, word.length);
                    n += word.length;
                }
                case TIMESTAMP -> n = putTimestamp(b, n);
                default -> {
                    if (strs[i] != null) {
                        byte[] cell = cell(strs[i]);
                        System.arraycopy(cell, 0, b, n, cell.length);
                        n += cell.length;
                    } else if (plain[i]) {
                        System.arraycopy(text.array(), textStart[i], b, n, textEnd[i] - textStart[i]);
                        n += textEnd[i] - textStart[i];
                    } else {
                        n = putText(b, n, text.array(), textStart[i], textEnd[i]);
                    }
                }
            }
        }
        b[n++] = '\n';
        out.setLength(n);
    }

    /** At least the bytes {@link #appendCsv} writes: numbers at most 20, text at most doubled (quotes) or tripled (UTF-8). */
    private int maxRowBytes() {
        return Field.COUNT * 32 + 2 * text.length() + stringRoom;
    }

    private static int putLong(byte[] b, int n, long v) {
        if (v < 0) {
            if (v == Long.MIN_VALUE) {
                byte[] min = Long.toString(v).getBytes(StandardCharsets.US_ASCII);
                System.arraycopy(min, 0, b, n, min.length);
                return n + min.length;
            }
            b[n++] = '-';
            v = -v;
        }
        return CsvBytes.writeDigits(b, n + CsvBytes.digits(v), v, n);
    }

    private int putTimestamp(byte[] b, int n) {
        long ns = nums[Field.TIMESTAMP.ordinal()];
        long sec = Math.floorDiv(ns, 1_000_000_000L);
        long frac = Math.floorMod(ns, 1_000_000_000L);
        n = putLong(b, n, sec);
        b[n++] = '.';
        if (timestampDigits == 6) {
            frac /= 1000;
        }
        return CsvBytes.writeDigits(b, n + timestampDigits, frac, n);
    }

    /**
     * The CSV cell of a String value, from a small cache by identity: the Strings set are the decoder's names (protocol,
     * TCP flags) and the interface, the same few objects packet after packet, so each is quoted and encoded once.
     */
    private byte[] cell(String s) {
        int slot = System.identityHashCode(s) & (CELLS - 1);
        if (cellOf[slot] != s) {
            CsvBytes b = new CsvBytes(s.length() + 8);
            appendCsvText(b, s);
            cells[slot] = Arrays.copyOf(b.array(), b.length());
            cellOf[slot] = s;
        }
        return cells[slot];
    }

    /** A cell of UTF-8 bytes from {@code start} to {@code end}, quoted when it holds a comma, quote, CR or LF. */
    private static int putText(byte[] b, int n, byte[] src, int start, int end) {
        boolean quote = false;
        for (int i = start; i < end; i++) {
            byte c = src[i];
            if (c == ',' || c == '"' || c == '\n' || c == '\r') {
                quote = true;
                break;
            }
        }
        if (!quote) {
            System.arraycopy(src, start, b, n, end - start);
            return n + end - start;
        }
        b[n++] = '"';
        for (int i = start; i < end; i++) {
            if (src[i] == '"') {
                b[n++] = '"';
            }
            b[n++] = src[i];
        }
        b[n++] = '"';
        return n;
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
