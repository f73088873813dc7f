package org.packetrelay.catalog;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Turns bytes from the wire (DNS names, HTTP paths and hosts, TLS server names) into safe text.
 *
 * <p>The bytes are read as UTF-8. Every byte that is not part of a valid UTF-8 sequence, and every control
 * character (U+0000..U+001F, U+007F), is written as {@code \xHH} (two upper-case hex digits); a backslash
 * is written as {@code \\}. Everything else is kept as is. So a value never holds CR, LF or NUL, the mapping
 * is reversible ({@link #unescape}) and commas and quotes are left to CSV quoting.
 *
 * <p>A value is at most {@value #MAX_CHARS} characters (UTF-16 units, as the receiver counts them: its default
 * {@code max-string-length}): escaping can make text four times longer than its bytes (a 65,535-byte HTTP path of
 * invalid bytes would become 262,140 characters, and its whole spool file would be refused). Up to 16,384 bytes
 * of any kind always fit, so a 10 kB hostile string round-trips exactly. A longer value is cut at a character or escape boundary and ends in {@value #TRUNCATED}, which escaping
 * never produces otherwise (a backslash is always followed by {@code \} or {@code x}).
 */
public final class WireText {
    private static final char[] HEX = "0123456789ABCDEF".toCharArray();
    /** The longest value {@link #escape} returns, the marker included. */
    public static final int MAX_CHARS = 65_536;
    /** Ends a value that was cut at {@link #MAX_CHARS}. */
    public static final String TRUNCATED = "\\...";

    private WireText() {
    }

    /** Escapes {@code len} bytes from {@code off}, cut at {@link #MAX_CHARS}; returns {@code null} for an empty range. */
    public static String escape(byte[] b, int off, int len) {
        if (len <= 0) {
            return null;
        }
        CsvBytes out = new CsvBytes(Math.min(len, MAX_CHARS) + 16);
        escapeTo(b, off, len, out);
        return out.toString();
    }

    /**
     * Appends the escaped text of {@code len} bytes from {@code off} to {@code out} as UTF-8: the bytes of what
     * {@link #escape} returns, without making a String (the capture path writes rows as bytes).
     */
    public static void escapeTo(byte[] b, int off, int len, CsvBytes out) {
        int end = off + len;
        if (plainAscii(b, off, end)) { // the common case: printable ASCII without a backslash, one char a byte
            if (len <= MAX_CHARS) {
                out.putBytes(b, off, len);
            } else {
                out.putBytes(b, off, MAX_CHARS - TRUNCATED.length()).putAscii(TRUNCATED);
            }
            return;
        }
        final int keep = MAX_CHARS - TRUNCATED.length();
        int chars = 0; // UTF-16 units written, as the receiver counts a string's length
        int cutBytes = out.length(); // the last boundary between escapes that leaves room for the marker
        int i = off;
        while (i < end && chars <= MAX_CHARS) {
            if (chars <= keep) {
                cutBytes = out.length();
            }
            int c = b[i] & 0xFF;
            if (c < 0x80) {
                if (c < 0x20 || c == 0x7F) {
                    hex(out, c);
                    chars += 4;
                } else if (c == '\\') {
                    out.put('\\').put('\\');
                    chars += 2;
                } else {
                    out.put((char) c);
                    chars++;
                }
                i++;
                continue;
            }
            int n = utf8Length(b, i, end);
            if (n == 0) {
                hex(out, c);
                chars += 4;
                i++;
            } else {
                out.putBytes(b, i, n);
                chars += n == 4 ? 2 : 1; // a supplementary character is a surrogate pair
                i += n;
            }
        }
        if (chars > MAX_CHARS) {
            out.setLength(cutBytes);
            out.putAscii(TRUNCATED);
        }
    }

    private static boolean plainAscii(byte[] b, int off, int end) {
        for (int i = off; i < end; i++) {
            int c = b[i]; // bytes >= 0x80 are negative here
            if (c < 0x20 || c == 0x7F || c == '\\') {
                return false;
            }
        }
        return true;
    }

    /** Length of the valid UTF-8 sequence (2..4 bytes, no overlongs or surrogates) at {@code i}, else 0. */
    public static int utf8Length(byte[] b, int i, int end) {
        int c = b[i] & 0xFF;
        int n;
        int min;
        if (c >= 0xC2 && c <= 0xDF) {
            n = 2;
            min = 0x80;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 3;
            min = 0x800;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 4;
            min = 0x10000;
        } else {
            return 0;
        }
        if (i + n > end) {
            return 0;
        }
        int cp = c & (0xFF >> (n + 1));
        for (int k = 1; k < n; k++) {
            int d = b[i + k] & 0xFF;
            if ((d & 0xC0) != 0x80) {
                return 0;
            }
            cp = (cp << 6) | (d & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return 0;
        }
        return n;
    }

    private static void hex(CsvBytes out, int c) {
        out.put('\\').put('x').put(HEX[c >> 4]).put(HEX[c & 0xF]);
    }

    /** Whether {@link #escape} cut this value at {@link #MAX_CHARS}. */
    public static boolean isTruncated(String s) {
        if (s == null || !s.endsWith(TRUNCATED)) {
            return false;
        }
        int at = s.length() - TRUNCATED.length();
        int i = 0;
        while (i < at) { // skip whole escapes so that an escaped backslash before "..." does not count
            i += s.charAt(i) == '\\' ? (s.charAt(i + 1) == 'x' ? 4 : 2) : 1;
        }
        return i == at;
    }

    /** The original bytes of an escaped value (of its kept part when it was {@link #isTruncated truncated}). */
    public static byte[] unescape(String s) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length());
        int n = isTruncated(s) ? s.length() - TRUNCATED.length() : s.length();
        for (int i = 0; i < n; ) {
            char ch = s.charAt(i);
            if (ch == '\\' && i + 1 < n) {
                char nx = s.charAt(i + 1);
                if (nx == '\\') {
                    out.write('\\');
                    i += 2;
                    continue;
                }
                if (nx == 'x' && i + 3 < n) {
                    out.write(Integer.parseInt(s.substring(i + 2, i + 4), 16));
                    i += 4;
                    continue;
                }
            }
            int cp = s.codePointAt(i);
            byte[] enc = new String(Character.toChars(cp)).getBytes(StandardCharsets.UTF_8);
            out.write(enc, 0, enc.length);
            i += Character.charCount(cp);
        }
        return out.toByteArray();
    }
}
