package org.packetrelay.upload;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import org.packetrelay.catalog.Field;
import org.packetrelay.catalog.WireText;
import org.packetrelay.catalog.FieldType;

/**
 * Streams a spool file (RFC 4180 CSV in UTF-8, the field catalog's header, one row per record) and writes each row
 * straight from the CSV bytes as one typed JSON object, without making Strings: numbers for INT/LONG (INT within 32
 * bits), TIMESTAMP written as is (no float rounding; only leading zeros dropped) once it is checked to be
 * digits[.digits], {@code true}/{@code false} for BOOL, JSON strings for STRING (escaped as Jackson escapes them, the
 * bytes checked as strict UTF-8) and {@code null} for an empty cell; keys and types come from {@link Field}. The
 * output is the same JSON, byte for byte, as Jackson's generator writes for the values {@link FieldType#parse} gives.
 *
 * <p>The file is read through one buffer (64 KiB, grown only for a row longer than that, up to
 * {@value #MAX_ROW_BYTES} bytes). The common row (within the buffer, every cell valid and plain) is parsed and written
 * in one pass; any other (one that crosses the end of the buffer, is parsed again once the buffer has been refilled)
 * is first split into cells, then written cell by cell, which is also where every error is found. Rows end with
 * LF, CRLF or CR; the last one may lack its line end; a cell is either unquoted (no quote inside) or quoted, with
 * doubled quotes inside and nothing but a comma or the line end after its closing quote.
 *
 * <p>A file that is not the catalog's CSV fails with a {@link SpoolFormatException} naming its line: no header row, a
 * header that is not the catalog's, a row without {@link Field#COUNT} cells, bytes that are not UTF-8, a cell that
 * does not hold its field's type, a file shorter than its checkpoint, a quote misplaced. Lines count from 1 (the
 * header); a row's line is its record number, which is its line in the file unless a quoted cell before it holds a
 * line end, and "not UTF-8" names the line in the file that holds the bytes.
 */
public final class SpoolTranscoder implements Closeable {
    /** The longest row (in bytes, line end included) that is read: beyond it the file is rejected. */
    public static final int MAX_ROW_BYTES = 16 << 20;
    private static final int BUFFER = 1 << 16;
    /** Cells whose bounds are kept: all of a valid row, enough of a bad header to show 80 characters of it. */
    private static final int CELL_CAP = Field.COUNT + 81;

    private static final byte T_TIMESTAMP = 0;
    private static final byte T_INT = 1;
    private static final byte T_LONG = 2;
    private static final byte T_BOOL = 3;
    private static final byte T_STRING = 4;

    /** {@code {"key":} for the first field, {@code ,"key":} for the others. */
    static final byte[][] KEY_BYTES = new byte[Field.COUNT][];
    /** The keys one after the other (the header's cells), KEY_START[i] where key i starts. */
    private static final byte[] KEYS_ASCII = Field.CSV_HEADER.replace(",", "").getBytes(StandardCharsets.UTF_8);
    private static final int[] KEY_START = new int[Field.COUNT + 1];
    private static final byte[] TYPES = new byte[Field.COUNT];
    /** Bytes of a row object besides its cells' bytes: keys, braces, and per cell up to 6 (quotes, "null"). */
    private static final int ROW_OVERHEAD;
    private static final byte[] TRUE = "true".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] FALSE = "false".getBytes(StandardCharsets.US_ASCII);
    private static final String EPOCH = "epoch seconds such as 1701234567.123456";

    static {
        int keys = 0;
        int at = 0;
        for (Field f : Field.ALL) {
            int i = f.ordinal();
            KEY_BYTES[i] = ((i == 0 ? "{\"" : ",\"") + f.key() + "\":").getBytes(StandardCharsets.UTF_8);
            keys += KEY_BYTES[i].length;
            byte[] k = f.key().getBytes(StandardCharsets.UTF_8);
            KEY_START[i] = at;
            System.arraycopy(k, 0, KEYS_ASCII, at, k.length);
            at += k.length;
            TYPES[i] = switch (f.type()) {
                case TIMESTAMP -> T_TIMESTAMP;
                case INT -> T_INT;
                case LONG -> T_LONG;
                case BOOL -> T_BOOL;
                case STRING -> T_STRING;
            };
        }
        KEY_START[Field.COUNT] = at;
        ROW_OVERHEAD = keys + 2 + 6 * Field.COUNT;
    }

    private final InputStream in;
    private byte[] buf;
    private int pos;
    private int lim;
    private boolean eof;

    /** Rows taken so far (skipped or written), the header not counted. */
    private long rows;
    /** The line in the file (counted by LF, as a text editor does) where the next row starts. */
    private long nextLine = 1;
    /** Line ends read (CR, LF or CRLF, in quoted cells too), and whether the last row read ended with one. */
    private long lineEnds;
    private boolean endedWithLineEnd;
    private boolean headerRead;

    // the row just split: its bytes [rowStart, rowEnd) without the line end, the line it starts on, its cells
    private int rowStart;
    private int rowEnd;
    private long rowLine;
    private int cells;
    private final int[] starts = new int[CELL_CAP];
    private final int[] ends = new int[CELL_CAP];
    private final boolean[] quoted = new boolean[CELL_CAP];

    /** Opens {@code file} and checks its header row. */
    public SpoolTranscoder(Path file) throws IOException, SpoolFormatException {
        this(Files.newInputStream(file), BUFFER);
    }

    /** Reads {@code in} (closed by {@link #close}) with a buffer of {@code bufferSize} bytes to start with. */
    SpoolTranscoder(InputStream in, int bufferSize) throws IOException, SpoolFormatException {
        this.in = in;
        this.buf = new byte[Math.max(1, bufferSize)];
        try {
            readHeader();
        } catch (IOException | SpoolFormatException | RuntimeException e) {
            in.close();
            throw e;
        }
    }

    /** Rows taken so far (written or skipped); row numbers count from 0, the header is not a row. */
    public long rowsRead() {
        return rows;
    }

    private void readHeader() throws IOException, SpoolFormatException {
        if (!splitRow()) {
            throw new SpoolFormatException(1, "empty file (no header row)");
        }
        headerRead = true;
        checkUtf8(rowStart, rowEnd);
        boolean same = cells == Field.COUNT;
        for (int i = 0; same && i < Field.COUNT; i++) {
            int s = starts[i];
            int n = ends[i] - s;
            int ks = KEY_START[i];
            same = n == KEY_START[i + 1] - ks && Arrays.equals(buf, s, s + n, KEYS_ASCII, ks, ks + n);
        }
        if (!same) {
            StringBuilder got = new StringBuilder();
            for (int i = 0; i < Math.min(cells, CELL_CAP) && got.length() <= 80; i++) {
                if (i > 0) {
                    got.append(',');
                }
                // only what looks like a column name is shown: a file that is not a spool file (a link to
                // /etc/passwd, say) must not have its content echoed into the log and the .error file
                String c = cellString(i);
                got.append(c.matches("[A-Za-z0-9_ .-]{0,40}") ? c : "?");
            }
            String g = got.toString();
            throw new SpoolFormatException(1, "header is not the field catalog's: '"
                                              + (g.length() > 80 ? g.substring(0, 80) + "..." : g) + "'");
        }
    }

    /** Skips {@code n} rows (already uploaded), still checking their shape: cell count, quoting, UTF-8. */
    public void skip(long n) throws IOException, SpoolFormatException {
        for (long i = 0; i < n; i++) {
            if (!splitRow()) {
                // the line as commons-csv counted it: the line ends read, and the last line if it has none
                throw new SpoolFormatException(lineEnds + (endedWithLineEnd ? 0 : 1),
                        "file is shorter than its checkpoint (" + n + " rows)");
            }
            checkCells();
            checkUtf8(rowStart, rowEnd);
            rows++;
        }
    }

    /**
     * Whether the file has bytes left after the rows taken so far: then {@link #next} either gives a row or fails with
     * what is wrong with the bytes.
     */
    public boolean hasMore() throws IOException, SpoolFormatException {
        while (pos >= lim && !eof) {
            fill();
        }
        return pos < lim;
    }

    /** Appends the next row as one JSON object to {@code out}; false (and nothing appended) at the end of the file. */
    public boolean next(Output out) throws IOException, SpoolFormatException {
        if (pos < lim) {
            int r = fastRow(out);
            if (r >= 0) {
                pos = r;
                rows++;
                return true;
            }
        }
        // the general path: a row that crosses the buffer's end, is long, or has anything unusual or wrong in it
        if (!splitRow()) {
            return false;
        }
        checkCells();
        out.ensure(ROW_OVERHEAD + (rowEnd - rowStart));
        final byte[] b = buf;
        byte[] o = out.a;
        int n = out.n;
        for (int i = 0; i < Field.COUNT; i++) {
            byte[] k = KEY_BYTES[i];
            System.arraycopy(k, 0, o, n, k.length);
            n += k.length;
            int s = starts[i];
            int e = ends[i];
            if (s == e) {
                o[n] = 'n';
                o[n + 1] = 'u';
                o[n + 2] = 'l';
                o[n + 3] = 'l';
                n += 4;
                continue;
            }
            switch (TYPES[i]) {
                case T_STRING -> {
                    out.n = n;
                    n = putString(out, s, e, quoted[i]);
                    o = out.a;
                }
                case T_INT, T_LONG -> n = putNumber(o, n, i, s, e);
                case T_BOOL -> {
                    int len = e - s;
                    if (len == 4 && b[s] == 't' && b[s + 1] == 'r' && b[s + 2] == 'u' && b[s + 3] == 'e') {
                        System.arraycopy(TRUE, 0, o, n, 4);
                        n += 4;
                    } else if (len == 5 && b[s] == 'f' && b[s + 1] == 'a' && b[s + 2] == 'l' && b[s + 3] == 's' && b[s + 4] == 'e') {
                        System.arraycopy(FALSE, 0, o, n, 5);
                        n += 5;
                    } else {
                        throw badCell(i, "true or false");
                    }
                }
                default -> {
                    // TIMESTAMP: epoch seconds, digits with an optional fraction, written as is (no float rounding)
                    int len = e - s;
                    int dot = -1;
                    for (int k2 = s; k2 < e; k2++) {
                        byte c = b[k2];
                        if (c == '.' && dot < 0 && k2 > s) {
                            dot = k2;
                        } else if (c < '0' || c > '9') {
                            throw badCell(i, EPOCH);
                        }
                    }
                    if (dot == e - 1 || len > 30) {
                        throw badCell(i, EPOCH);
                    }
                    // leading zeros are not JSON: 007.5 is written 7.5 (the same decimal)
                    int from = s;
                    while (b[from] == '0' && from + 1 < e && b[from + 1] != '.') {
                        from++;
                    }
                    System.arraycopy(b, from, o, n, e - from);
                    n += e - from;
                }
            }
        }
        o[n++] = '}';
        out.n = n;
        rows++;
        return true;
    }

    /** Rows longer than this (in bytes) take the general path. */
    private static final int FAST_ROW_MAX = 8192;

    /**
     * The common row in one pass: cells parsed and written as JSON at once, the row within the buffer, every cell
     * valid, unquoted or a quoted STRING, strings that need no JSON escape (no control character, quote or backslash)
     * and lie within the BMP, numbers and timestamps in plain form: copied as they are. Escaping is {@link JsonText}'s
     * alone, on the general path. Returns the position after the row, or -1 (nothing written) for anything else, which
     * {@link #next} then takes through the general path ({@link #tryRow}, then the cells one by one) with its errors.
     */
    private int fastRow(Output out) {
        final byte[] b = buf;
        final int start = pos;
        final int lf = start + Math.min(lim - start, FAST_ROW_MAX);
        final boolean atEof = eof && lf == lim;
        out.ensure(ROW_OVERHEAD + 2 * (lf - start));
        final byte[] o = out.a;
        int n = out.n;
        int p = start;
        final int last = Field.COUNT - 1;
        for (int i = 0; ; i++) {
            byte[] k = KEY_BYTES[i];
            System.arraycopy(k, 0, o, n, k.length);
            n += k.length;
            if (p >= lf) {
                return -1;
            }
            byte c = b[p];
            if (c == ',' || c == '\n' || c == '\r') {
                o[n] = 'n';
                o[n + 1] = 'u';
                o[n + 2] = 'l';
                o[n + 3] = 'l';
                n += 4;
            } else {
                switch (TYPES[i]) {
                    case T_STRING -> {
                        o[n++] = '"';
                        int run;
                        if (c == '"') {
                            // quoted: "" inside is one quote; the cell ends at the quote that is not doubled
                            int cellStart = p;
                            run = ++p;
                            while (true) {
                                if (p >= lf) {
                                    return -1;
                                }
                                c = b[p];
                                if (c >= 0x20 && c != '"' && c != '\\') {
                                    p++;
                                } else if (c == '"') {
                                    // the closing quote; a doubled one (a quote in the text) needs an escape
                                    if (p + 1 >= lf || b[p + 1] == '"') {
                                        return -1;
                                    }
                                    int len = p - run;
                                    System.arraycopy(b, run, o, n, len);
                                    n += len;
                                    p++;
                                    break;
                                } else if (c < 0) {
                                    int len = utf8Length(b, p, lf);
                                    if (len < 0 || len == 4) {
                                        return -1;
                                    }
                                    p += len;
                                } else {
                                    return -1;
                                }
                            }
                            if (p == cellStart + 2) {
                                return -1; // "": an empty cell, null
                            }
                        } else {
                            run = p;
                            while (true) {
                                if (p >= lf) {
                                    if (!atEof) {
                                        return -1;
                                    }
                                    break;
                                }
                                c = b[p];
                                if (c >= 0x20 && c != ',' && c != '"' && c != '\\') {
                                    p++;
                                } else if (c == ',' || c == '\n' || c == '\r') {
                                    break;
                                } else if (c < 0) {
                                    int len = utf8Length(b, p, lf);
                                    if (len < 0 || len == 4) {
                                        return -1;
                                    }
                                    p += len;
                                } else {
                                    return -1;
                                }
                            }
                            int len = p - run;
                            System.arraycopy(b, run, o, n, len);
                            n += len;
                        }
                        o[n++] = '"';
                    }
                    case T_INT, T_LONG -> {
                        int s = p;
                        if (c == '-') {
                            p++;
                        }
                        int d0 = p;
                        long v = 0;
                        while (p < lf) {
                            int d = b[p] - '0';
                            if (d < 0 || d > 9) {
                                break;
                            }
                            v = v * 10 + d;
                            p++;
                        }
                        int digits = p - d0;
                        if (digits == 0 || digits > 18 || b[d0] == '0' && (digits > 1 || d0 > s)
                            || TYPES[i] == T_INT && v > (d0 > s ? 1L << 31 : Integer.MAX_VALUE)) {
                            return -1;
                        }
                        int len = p - s;
                        System.arraycopy(b, s, o, n, len);
                        n += len;
                    }
                    case T_BOOL -> {
                        if (c == 't' && p + 4 <= lf && b[p + 1] == 'r' && b[p + 2] == 'u' && b[p + 3] == 'e') {
                            System.arraycopy(TRUE, 0, o, n, 4);
                            n += 4;
                            p += 4;
                        } else if (c == 'f' && p + 5 <= lf && b[p + 1] == 'a' && b[p + 2] == 'l' && b[p + 3] == 's' && b[p + 4] == 'e') {
                            System.arraycopy(FALSE, 0, o, n, 5);
                            n += 5;
                            p += 5;
                        } else {
                            return -1;
                        }
                    }
                    default -> {
                        // TIMESTAMP: digits[.digits], no leading zero, at most 30 bytes
                        int s = p;
                        int dot = -1;
                        while (p < lf) {
                            byte d = b[p];
                            if (d >= '0' && d <= '9') {
                                p++;
                            } else if (d == '.' && dot < 0 && p > s) {
                                dot = p++;
                            } else {
                                break;
                            }
                        }
                        int len = p - s;
                        if (len == 0 || dot == p - 1 || len > 30 || b[s] == '0' && len > 1 && dot != s + 1) {
                            return -1;
                        }
                        System.arraycopy(b, s, o, n, len);
                        n += len;
                    }
                }
            }
            // after the cell: a comma, or the line end after the last one
            if (p >= lf) {
                if (!atEof || i != last) {
                    return -1;
                }
                o[n++] = '}';
                out.n = n;
                rowDone(start, p, p);
                return p;
            }
            c = b[p];
            if (c == ',') {
                if (i == last) {
                    return -1;
                }
                p++;
                continue;
            }
            if (i != last) {
                return -1;
            }
            int next;
            if (c == '\n') {
                next = p + 1;
            } else if (c == '\r') {
                if (p + 1 < lf) {
                    next = b[p + 1] == '\n' ? p + 2 : p + 1;
                } else if (atEof) {
                    next = p + 1;
                } else {
                    return -1;
                }
            } else {
                return -1;
            }
            o[n++] = '}';
            out.n = n;
            rowDone(start, p, next);
            return next;
        }
    }

    /** The bookkeeping of a row read in one pass: bytes [start, end), line end up to next, no line end inside. */
    private void rowDone(int start, int end, int next) {
        rowStart = start;
        rowEnd = end;
        rowLine = nextLine;
        cells = Field.COUNT;
        endedWithLineEnd = next > end;
        if (next > end && buf[next - 1] == '\n') {
            nextLine++;
        }
        if (next > end) {
            lineEnds++;
        }
    }

    /**
     * An INT or LONG cell as a JSON number: a plain decimal (no sign but '-', no leading zero, up to 18 digits) is
     * copied as is; anything else goes through {@link FieldType#parse} like the catalog reads it back (so "+7" and
     * "007" are written 7) or is an error.
     */
    private int putNumber(byte[] o, int n, int field, int s, int e) throws SpoolFormatException {
        final byte[] b = buf;
        int k = s;
        boolean neg = b[k] == '-';
        if (neg) {
            k++;
        }
        int digits = e - k;
        if (digits > 0 && digits <= 18 && (b[k] != '0' || digits == 1 && !neg)) {
            long v = 0;
            for (; k < e; k++) {
                int d = b[k] - '0';
                if (d < 0 || d > 9) {
                    break;
                }
                v = v * 10 + d;
            }
            if (k == e && (TYPES[field] == T_LONG || v <= (neg ? 1L << 31 : Integer.MAX_VALUE))) {
                int len = e - s;
                System.arraycopy(b, s, o, n, len);
                return n + len;
            }
        }
        // the rare forms, or an error
        String c = cellString(field);
        long v;
        try {
            v = (Long) Field.ALL[field].type().parse(c);
        } catch (IllegalArgumentException x) {
            throw badCell(field, TYPES[field] == T_INT ? "an integer" : "a whole number");
        }
        byte[] t = Long.toString(v).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(t, 0, o, n, t.length);
        return n + t.length;
    }

    /**
     * A STRING cell as a JSON string ({@link JsonText}, the rest of the row's bytes plus {@link #ROW_OVERHEAD} kept as
     * room in {@code out}). Returns the new size.
     */
    private int putString(Output out, int s, int e, boolean q) throws SpoolFormatException {
        int bad = JsonText.put(out, buf, s, e, q, rowEnd - e + ROW_OVERHEAD);
        if (bad >= 0) {
            throw notUtf8(bad);
        }
        return out.n;
    }

    /** The length of the valid UTF-8 sequence at {@code k} (2 to 4 bytes, no overlong form, no surrogate), or -1. */
    private static int utf8Length(byte[] b, int k, int e) {
        int n = WireText.utf8Length(b, k, e);
        return n == 0 ? -1 : n;
    }

    /** Throws "not UTF-8" for the first byte in [from, to) of the row that is not part of valid UTF-8. */
    private void checkUtf8(int from, int to) throws SpoolFormatException {
        final byte[] b = buf;
        int k = from;
        while (k < to) {
            if (b[k] >= 0) {
                k++;
                continue;
            }
            // a sequence never spans cells: separators and quotes are ASCII, and the bytes within a cell are contiguous
            int len = utf8Length(b, k, to);
            if (len < 0) {
                throw notUtf8(k);
            }
            k += len;
        }
    }

    /** "bytes that are not UTF-8" on the line (in the file) of byte {@code at} of the current row. */
    private SpoolFormatException notUtf8(int at) {
        long line = rowLine;
        for (int k = rowStart; k < at; k++) {
            if (buf[k] == '\n') {
                line++;
            }
        }
        return new SpoolFormatException(line, "bytes that are not UTF-8");
    }

    private void checkCells() throws SpoolFormatException {
        if (cells != Field.COUNT) {
            throw rowError(cells + " cells, expected " + Field.COUNT);
        }
    }

    /** An error of the current row; bytes that are not UTF-8 in it are reported first, as reading them would. */
    private SpoolFormatException rowError(String message) throws SpoolFormatException {
        checkUtf8(rowStart, rowEnd);
        return new SpoolFormatException(recordLine(), message);
    }

    private SpoolFormatException badCell(int field, String expected) throws SpoolFormatException {
        checkUtf8(rowStart, rowEnd);
        String c = cellString(field);
        String shown = c.length() > 40 ? c.substring(0, 40) + "..." : c;
        return new SpoolFormatException(recordLine(), Field.ALL[field].key() + " is '" + shown + "', expected " + expected);
    }

    /** Cell {@code i} of the current row as text (doubled quotes undone, strict UTF-8); for the rare paths. */
    private String cellString(int i) throws SpoolFormatException {
        int s = starts[i];
        int e = ends[i];
        byte[] b = buf;
        int off = s;
        int len = e - s;
        if (quoted[i]) {
            b = new byte[len];
            len = 0;
            for (int k = s; k < e; k++) {
                b[len++] = buf[k];
                if (buf[k] == '"') {
                    k++;
                }
            }
            off = 0;
        }
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b, off, len)).toString();
        } catch (CharacterCodingException x) {
            checkUtf8(s, e);
            throw notUtf8(s);
        }
    }

    // ------------------------------------------------------------------------------------------------ CSV rows

    /** Splits the next row into cells (any number); false at the end of the file. */
    private boolean splitRow() throws IOException, SpoolFormatException {
        while (true) {
            if (pos >= lim) {
                if (eof) {
                    return false;
                }
                fill();
                continue;
            }
            int r = tryRow(pos);
            if (r >= 0) {
                pos = r;
                return true;
            }
            fill();
        }
    }

    /**
     * Parses the row at {@code p}; returns the position after its line end, or -1 when the buffer ends before it
     * does (never at the end of the file, where the row ends with the data).
     */
    private int tryRow(int p) throws SpoolFormatException {
        final byte[] b = buf;
        final int l = lim;
        final boolean end = eof;
        final int start = p;
        int cell = 0;
        int lfs = 0;
        int breaks = 0;
        while (true) {
            int s;
            int e;
            boolean q;
            if (p < l && b[p] == '"') {
                q = true;
                s = ++p;
                while (true) {
                    if (p >= l) {
                        if (!end) {
                            return -1;
                        }
                        throw structure(start, p, cell, "a quoted cell (%s) that is not closed before the end of the file");
                    }
                    byte c = b[p];
                    if (c == '"') {
                        if (p + 1 >= l && !end) {
                            return -1;
                        }
                        if (p + 1 < l && b[p + 1] == '"') {
                            p += 2;
                            continue;
                        }
                        break;
                    }
                    if (c == '\n') {
                        lfs++;
                        if (b[p - 1] != '\r') {
                            breaks++;
                        }
                    } else if (c == '\r') {
                        breaks++;
                    }
                    p++;
                }
                e = p++;
            } else {
                q = false;
                s = p;
                while (p < l) {
                    byte c = b[p];
                    if (c == ',' || c == '\n' || c == '\r') {
                        break;
                    }
                    if (c == '"') {
                        throw structure(start, p, cell, "a quote inside an unquoted cell (%s)");
                    }
                    p++;
                }
                if (p >= l && !end) {
                    return -1;
                }
                e = p;
            }
            if (cell < CELL_CAP) {
                starts[cell] = s;
                ends[cell] = e;
                quoted[cell] = q;
            }
            cell++;
            int next;
            if (p >= l) {
                // the last row of the file, without a line end
                next = p;
            } else {
                byte c = b[p];
                if (c == ',') {
                    p++;
                    continue;
                }
                if (c == '\n') {
                    next = p + 1;
                } else if (c == '\r') {
                    if (p + 1 >= l && !end) {
                        return -1;
                    }
                    next = p + 1 < l && b[p + 1] == '\n' ? p + 2 : p + 1;
                } else {
                    throw structure(start, p, cell - 1, "text after the closing quote of a cell (%s)");
                }
            }
            if (next - start > MAX_ROW_BYTES) {
                throw structure(start, p, cell - 1, "a row longer than " + MAX_ROW_BYTES + " bytes (%s)");
            }
            rowStart = start;
            rowEnd = p;
            rowLine = nextLine;
            cells = cell;
            endedWithLineEnd = next > p;
            nextLine += lfs + (next > p && b[next - 1] == '\n' ? 1 : 0);
            lineEnds += breaks + (next > p ? 1 : 0);
            return next;
        }
    }

    /** A misplaced quote or similar in the row starting at {@code start}, in cell {@code cell}. */
    private SpoolFormatException structure(int start, int at, int cell, String message) throws SpoolFormatException {
        rowStart = start;
        rowEnd = at;
        rowLine = nextLine;
        String where = cell < Field.COUNT ? Field.ALL[cell].key() : "cell " + (cell + 1);
        // bytes that are not UTF-8 before the problem are reported first, as reading them would
        checkUtf8(start, at);
        return new SpoolFormatException(recordLine(), String.format(message, where));
    }

    /** The record number of the row being read: 1 for the header, then 2 for the first row and so on. */
    private long recordLine() {
        return headerRead ? rows + 2 : 1;
    }

    /** Moves the unparsed rest to the front (or grows the buffer when one row fills it) and reads more. */
    private void fill() throws IOException, SpoolFormatException {
        int rest = lim - pos;
        if (pos > 0) {
            System.arraycopy(buf, pos, buf, 0, rest);
        } else if (rest == buf.length) {
            if (rest >= MAX_ROW_BYTES) {
                throw structureTooLong();
            }
            buf = Arrays.copyOf(buf, (int) Math.min((long) buf.length * 2, MAX_ROW_BYTES + 2L));
        }
        pos = 0;
        lim = rest;
        int n = in.read(buf, lim, buf.length - lim);
        if (n < 0) {
            eof = true;
        } else {
            lim += n;
        }
    }

    private SpoolFormatException structureTooLong() {
        return new SpoolFormatException(recordLine(), "a row longer than " + MAX_ROW_BYTES + " bytes");
    }

    @Override
    public void close() throws IOException {
        in.close();
    }

    /**
     * A growable byte buffer that rows are appended to, reused from batch to batch; {@link #toByteArray} copies
     * out a body of exactly the bytes written.
     */
    public static final class Output {
        byte[] a;
        int n;

        public Output(int capacity) {
            a = new byte[Math.max(16, capacity)];
        }

        /** Bytes written so far. */
        public int size() {
            return n;
        }

        /** Drops everything after the first {@code size} bytes. */
        public void truncate(int size) {
            if (size < 0 || size > n) {
                throw new IndexOutOfBoundsException(size);
            }
            n = size;
        }

        public void reset() {
            n = 0;
        }

        public void put(byte b) {
            if (n == a.length) {
                ensure(1);
            }
            a[n++] = b;
        }

        public void put(byte[] b, int off, int len) {
            ensure(len);
            System.arraycopy(b, off, a, n, len);
            n += len;
        }

        /** The bytes it can hold before it grows. */
        public int capacity() {
            return a.length;
        }

        /** A copy of the bytes written. */
        public byte[] toByteArray() {
            return Arrays.copyOf(a, n);
        }

        void ensure(int more) {
            if (n + more > a.length) {
                long want = Math.max((long) a.length * 2, (long) n + more);
                if (want > Integer.MAX_VALUE - 16) {
                    throw new IllegalStateException("a batch of more than 2 GB of JSON: lower sender.batch-size");
                }
                a = Arrays.copyOf(a, (int) want);
            }
        }

        @Override
        public String toString() {
            return new String(a, 0, n, StandardCharsets.UTF_8);
        }
    }
}
