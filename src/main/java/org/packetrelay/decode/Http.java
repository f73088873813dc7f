package org.packetrelay.decode;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.packetrelay.catalog.Field.HTTP_HOST;
import static org.packetrelay.catalog.Field.HTTP_METHOD;
import static org.packetrelay.catalog.Field.HTTP_PATH;
import static org.packetrelay.catalog.Field.HTTP_STATUS_CODE;

import java.util.Arrays;

/**
 * An HTTP/1.x request or status line at the start of a TCP payload, on any port; a payload that starts with
 * neither goes on to {@link Tls}.
 *
 * <p>A request starts with {@code <METHOD> } (GET POST PUT DELETE HEAD OPTIONS PATCH CONNECT TRACE): {@code http_path}
 * is every byte between the method's space and the first {@code " HTTP/1."} (or the end of the line or capture if
 * there is none), {@code http_host} the first Host header's value (name matched case-insensitively, value trimmed of
 * spaces and tabs) within the captured bytes. {@code HTTP/1.x NNN} gives {@code http_status_code}.
 */
final class Http {
    private static final String[] METHOD_NAMES = {"GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE"};
    private static final byte[][] METHODS = new byte[METHOD_NAMES.length][];
    private static final byte[] HTTP_VERSION = " HTTP/1.".getBytes(US_ASCII);
    private static final byte[] HOST = "host:".getBytes(US_ASCII);
    /** "HTTP/1.x NNN": the version without the space before it, a space, three digits. */
    private static final int STATUS_LINE = 12;
    private static final int STATUS_CODE = 9;

    static {
        for (int i = 0; i < METHODS.length; i++) {
            METHODS[i] = (METHOD_NAMES[i] + " ").getBytes(US_ASCII);
        }
    }

    private Http() {
    }

    static Layer decode(Packet p) {
        int off = p.off;
        int end = p.end;
        byte[] d = p.d;
        for (int m = 0; m < METHODS.length; m++) {
            if (startsWith(d, off, end, METHODS[m], 0)) {
                p.r.setString(HTTP_METHOD, METHOD_NAMES[m]);
                int path = off + METHODS[m].length;
                int version = indexOf(d, path, end, HTTP_VERSION);
                p.r.setWireText(HTTP_PATH, d, path, (version >= 0 ? version : lineEnd(d, path, end)) - path);
                if (version >= 0) {
                    host(p, nextLine(d, version, end), end);
                }
                return null;
            }
        }
        if (end - off >= STATUS_LINE && startsWith(d, off, end, HTTP_VERSION, 1) && d[off + 8] == ' '
            && digit(d[off + STATUS_CODE]) && digit(d[off + STATUS_CODE + 1]) && digit(d[off + STATUS_CODE + 2])) {
            p.r.setNumber(HTTP_STATUS_CODE, (d[off + STATUS_CODE] - '0') * 100 + (d[off + STATUS_CODE + 1] - '0') * 10
                                            + d[off + STATUS_CODE + 2] - '0');
            return null;
        }
        return Layer.TLS;
    }

    /** The Host header among the header lines from {@code at}. */
    private static void host(Packet p, int at, int end) {
        byte[] d = p.d;
        while (at < end) {
            int e = lineEnd(d, at, end);
            if (e == at) {
                return; // the empty line ending the headers
            }
            if (e - at >= HOST.length && startsWithIgnoreCase(d, at, HOST)) {
                int a = at + HOST.length;
                while (a < e && (d[a] == ' ' || d[a] == '\t')) {
                    a++;
                }
                while (e > a && (d[e - 1] == ' ' || d[e - 1] == '\t')) {
                    e--;
                }
                p.r.setWireText(HTTP_HOST, d, a, e - a);
                return;
            }
            at = nextLine(d, at, end);
        }
    }

    private static boolean digit(byte c) {
        return c >= '0' && c <= '9';
    }

    /** Whether the bytes at {@code off} (below {@code end}) are {@code s} from index {@code from}. */
    private static boolean startsWith(byte[] d, int off, int end, byte[] s, int from) {
        int n = s.length - from;
        return end - off >= n && Arrays.equals(d, off, off + n, s, from, s.length);
    }

    /** The caller checked that {@code lower.length} bytes are there. */
    private static boolean startsWithIgnoreCase(byte[] d, int off, byte[] lower) {
        for (int i = 0; i < lower.length; i++) {
            int c = d[off + i];
            if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != lower[i]) {
                return false;
            }
        }
        return true;
    }

    private static int indexOf(byte[] d, int from, int end, byte[] s) {
        for (int i = from, last = end - s.length; i <= last; i++) {
            if (d[i] == s[0] && Arrays.equals(d, i, i + s.length, s, 0, s.length)) {
                return i;
            }
        }
        return -1;
    }

    /** The end of the line at {@code at} without its CR LF or LF (at most {@code end}). */
    private static int lineEnd(byte[] d, int at, int end) {
        while (at < end && d[at] != '\n' && d[at] != '\r') {
            at++;
        }
        return at;
    }

    /** The start of the line after the one holding {@code at}. */
    private static int nextLine(byte[] d, int at, int end) {
        while (at < end && d[at] != '\n') {
            at++;
        }
        return at + 1;
    }
}
