package org.packetrelay.upload;

import java.nio.charset.StandardCharsets;

import org.packetrelay.catalog.WireText;

/**
 * The one JSON string escaper of the sender: writes UTF-8 bytes as a JSON string exactly as Jackson's generator
 * does ({@code \" \\ \b \t \n \f \r}, other control characters as {@code \}{@code u00XX}, a character beyond the BMP
 * as its UTF-16 surrogate pair of {@code \}{@code uXXXX} escapes, everything else as is). Used for the cells of a
 * spool file ({@link SpoolTranscoder}) and for values a route step set on a record ({@link BatchRecord}), so both
 * give the same bytes for the same text.
 */
final class JsonText {
    private static final byte[] HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);

    private JsonText() {
    }

    /**
     * Appends bytes [s, e) of {@code b} as a JSON string (quotes included) to {@code out}, which has room for them and
     * {@code tail} bytes more; an escape keeps that room. In a quoted CSV cell ({@code csvQuoted}) a doubled quote
     * stands for one. Returns the position of the first byte that is not strict UTF-8 (nothing is then valid in
     * {@code out} past its size before the call), or -1 when all was written.
     */
    static int put(SpoolTranscoder.Output out, byte[] b, int s, int e, boolean csvQuoted, int tail) {
        byte[] o = out.a;
        int n = out.n;
        o[n++] = '"';
        int run = s;
        int k = s;
        while (k < e) {
            byte c = b[k];
            if (c >= 0x20 && c != '"' && c != '\\') {
                k++;
                continue;
            }
            if (c < 0) {
                int len = WireText.utf8Length(b, k, e);
                if (len == 0) {
                    return k;
                }
                if (len == 4) {
                    int run0 = k - run;
                    System.arraycopy(b, run, o, n, run0);
                    n += run0;
                    if (n + 12 + (e - k) + tail > o.length) {
                        out.n = n;
                        out.ensure(12 + (e - k) + tail);
                        o = out.a;
                    }
                    int cp = (b[k] & 0x07) << 18 | (b[k + 1] & 0x3F) << 12 | (b[k + 2] & 0x3F) << 6 | (b[k + 3] & 0x3F);
                    n = escape(o, n, Character.highSurrogate(cp));
                    n = escape(o, n, Character.lowSurrogate(cp));
                    k += 4;
                    run = k;
                    continue;
                }
                k += len;
                continue;
            }
            int len = k - run;
            System.arraycopy(b, run, o, n, len);
            n += len;
            // an escape takes up to 6 bytes for 1 (2 for a doubled quote): keep room for it and the rest
            if (n + 6 + (e - k) + tail > o.length) {
                out.n = n;
                out.ensure(6 + (e - k) + tail);
                o = out.a;
            }
            o[n++] = '\\';
            switch (c) {
                case '"' -> {
                    o[n++] = '"';
                    k += csvQuoted ? 2 : 1;
                    run = k;
                    continue;
                }
                case '\\' -> o[n++] = '\\';
                case '\n' -> o[n++] = 'n';
                case '\r' -> o[n++] = 'r';
                case '\t' -> o[n++] = 't';
                case '\b' -> o[n++] = 'b';
                case '\f' -> o[n++] = 'f';
                default -> n = escape(o, n - 1, (char) c);
            }
            k++;
            run = k;
        }
        int len = e - run;
        System.arraycopy(b, run, o, n, len);
        n += len;
        o[n++] = '"';
        out.n = n;
        return -1;
    }

    /** Writes {@code \}{@code uXXXX} (upper-case hex, as Jackson does). */
    private static int escape(byte[] o, int n, char c) {
        o[n] = '\\';
        o[n + 1] = 'u';
        o[n + 2] = HEX[c >> 12];
        o[n + 3] = HEX[(c >> 8) & 15];
        o[n + 4] = HEX[(c >> 4) & 15];
        o[n + 5] = HEX[c & 15];
        return n + 6;
    }
}
