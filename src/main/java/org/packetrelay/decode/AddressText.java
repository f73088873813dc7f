package org.packetrelay.decode;

import static java.nio.charset.StandardCharsets.US_ASCII;

import org.packetrelay.catalog.Field;

/** MAC, IPv4 and IPv6 addresses as text, written straight into the record (no String per address). */
final class AddressText {
    private static final byte[] HEX = "0123456789abcdef".getBytes(US_ASCII);

    private AddressText() {
    }

    /** {@code 02:00:00:00:00:01} from the 6 bytes at {@code off}. */
    static void mac(Packet p, Field f, int off) {
        byte[] t = p.scratch;
        int n = 0;
        for (int i = 0; i < 6; i++) {
            if (i > 0) {
                t[n++] = ':';
            }
            int b = p.u8(off + i);
            t[n++] = HEX[b >> 4];
            t[n++] = HEX[b & 0xF];
        }
        p.r.setAscii(f, t, 0, n);
    }

    /** The dotted quad of the 4 bytes at {@code off}. */
    static void ipv4(Packet p, Field f, int off) {
        p.r.setAscii(f, p.scratch, 0, dottedQuad(p, off, 0));
    }

    /** Writes the dotted quad of 4 bytes at {@code off} into the scratch from {@code n}; returns the new length. */
    private static int dottedQuad(Packet p, int off, int n) {
        byte[] t = p.scratch;
        for (int i = 0; i < 4; i++) {
            if (i > 0) {
                t[n++] = '.';
            }
            int v = p.u8(off + i);
            if (v >= 100) {
                t[n++] = (byte) ('0' + v / 100);
            }
            if (v >= 10) {
                t[n++] = (byte) ('0' + v / 10 % 10);
            }
            t[n++] = (byte) ('0' + v % 10);
        }
        return n;
    }

    /**
     * RFC 5952 text of the 16 bytes at {@code off}, as inet_ntop and tshark print it: the longest (first if tied) run
     * of 2+ zero groups is "::"; IPv4-mapped and -compatible addresses end in a dotted quad.
     */
    static void ipv6(Packet p, Field f, int off) {
        int best = -1;
        int bestLen = 0;
        for (int i = 0, run = 0; i < 8; i++) {
            run = p.u16(off + 2 * i) == 0 ? run + 1 : 0;
            if (run > bestLen) {
                bestLen = run;
                best = i - run + 1;
            }
        }
        if (bestLen < 2) {
            best = -1;
            bestLen = 0;
        }
        byte[] t = p.scratch;
        int n = 0;
        for (int i = 0; i < 8; i++) {
            if (i == best) {
                t[n++] = ':';
                t[n++] = ':';
                i += bestLen - 1;
                continue;
            }
            if (i > 0 && i != best + bestLen) {
                t[n++] = ':';
            }
            if (i == 6 && best == 0 && (bestLen == 6 || bestLen == 5 && p.u16(off + 10) == 0xFFFF)) {
                n = dottedQuad(p, off + 12, n); // IPv4-compatible ::a.b.c.d or IPv4-mapped ::ffff:a.b.c.d
                break;
            }
            int g = p.u16(off + 2 * i);
            for (int shift = 12; shift >= 0; shift -= 4) {
                if (g >> shift != 0 || shift == 0) {
                    t[n++] = HEX[g >> shift & 0xF];
                }
            }
        }
        p.r.setAscii(f, t, 0, n);
    }
}
