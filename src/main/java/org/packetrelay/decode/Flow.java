package org.packetrelay.decode;

import static org.packetrelay.catalog.Field.COMMUNITY_ID;
import static org.packetrelay.catalog.Field.DST_PORT;
import static org.packetrelay.catalog.Field.SRC_PORT;

import java.nio.charset.StandardCharsets;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * The flow's ports and its Community ID v1 (seed 0, base64), as Zeek, Suricata and Wireshark compute it: SHA-1 of
 * seed, the addresses and ports in a canonical order (the smaller address first, or on a tie the smaller port),
 * protocol and a zero byte. Always of the outermost IP header (Wireshark takes a tunnel's innermost). Holds the
 * digest and its buffers: one per decoder.
 */
final class Flow {
    private static final byte[] BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
            .getBytes(StandardCharsets.US_ASCII);
    static final int SRC_PORT_OFFSET = 0;
    static final int DST_PORT_OFFSET = 2;

    private final MessageDigest sha1;
    private final byte[] tuple = new byte[40];
    private final byte[] digest = new byte[20];
    private final byte[] id = new byte[30]; // "1:" and 28 base64 characters
    /**
     * The last flows seen, by a hash of their tuple: packets of one flow come in runs, and a hit saves the SHA-1 (about
     * a third of the decoder's time per packet). Each slot holds the tuple's length, the tuple and the 28 characters.
     */
    private static final int CACHE_SLOTS = 256;
    private static final int SLOT = 1 + 40 + 28;
    private final byte[] cache = new byte[CACHE_SLOTS * SLOT];

    Flow() {
        try {
            sha1 = MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-1", e);
        }
        id[0] = '1';
        id[1] = ':';
    }

    /**
     * Standard base64 (RFC 4648, padded) of the 20-byte digest into {@code out} from {@code at}: 28 characters. Written
     * out here: {@code Base64.Encoder} took 3 % of a replay's CPU samples (JFR), this is a few table look-ups.
     */
    static void base64(byte[] digest, byte[] out, int at) {
        int i = 0;
        for (; i + 3 <= digest.length; i += 3) {
            int v = (digest[i] & 0xFF) << 16 | (digest[i + 1] & 0xFF) << 8 | digest[i + 2] & 0xFF;
            out[at++] = BASE64[v >> 18];
            out[at++] = BASE64[v >> 12 & 0x3F];
            out[at++] = BASE64[v >> 6 & 0x3F];
            out[at++] = BASE64[v & 0x3F];
        }
        int v = (digest[i] & 0xFF) << 16 | (digest[i + 1] & 0xFF) << 8; // 20 = 6 * 3 + 2: two bytes left
        out[at++] = BASE64[v >> 18];
        out[at++] = BASE64[v >> 12 & 0x3F];
        out[at++] = BASE64[v >> 6 & 0x3F];
        out[at] = '=';
    }

    private static int hash(byte[] t, int len) {
        int h = len;
        for (int i = 0; i < len; i++) {
            h = 31 * h + t[i];
        }
        return h ^ h >>> 16;
    }

    /** Sets the ports of TCP, UDP or SCTP at {@code p.off} and the community ID (the caller checked the 4 bytes). */
    void ports(Packet p, int proto) {
        int src = p.u16(p.off + SRC_PORT_OFFSET);
        int dst = p.u16(p.off + DST_PORT_OFFSET);
        p.r.setNumber(SRC_PORT, src);
        p.r.setNumber(DST_PORT, dst);
        set(p, proto, src, dst, true, false);
    }

    /**
     * Sets {@code community_id} of the IP header's addresses with {@code proto} and, if {@code hasPorts}, the ports;
     * a {@code oneWay} flow (ICMP types without a peer) keeps its direction.
     */
    void set(Packet p, int proto, int srcPort, int dstPort, boolean hasPorts, boolean oneWay) {
        byte[] d = p.d;
        int n = p.ipAddrLen;
        int a = p.ipSrc;
        int b = p.ipSrc + n;
        int cmp = Arrays.compareUnsigned(d, a, b, d, b, b + n);
        if (!oneWay && (cmp > 0 || cmp == 0 && srcPort > dstPort)) {
            a = b;
            b = p.ipSrc;
            int t = srcPort;
            srcPort = dstPort;
            dstPort = t;
        }
        byte[] t = tuple;
        t[0] = 0; // seed 0, 2 bytes
        t[1] = 0;
        System.arraycopy(d, a, t, 2, n);
        System.arraycopy(d, b, t, 2 + n, n);
        int len = 2 + 2 * n;
        t[len++] = (byte) proto;
        t[len++] = 0;
        if (hasPorts) {
            t[len++] = (byte) (srcPort >> 8);
            t[len++] = (byte) srcPort;
            t[len++] = (byte) (dstPort >> 8);
            t[len++] = (byte) dstPort;
        }
        int slot = (hash(t, len) & (CACHE_SLOTS - 1)) * SLOT;
        if (cache[slot] == len && Arrays.equals(cache, slot + 1, slot + 1 + len, t, 0, len)) {
            System.arraycopy(cache, slot + 1 + 40, id, 2, 28);
        } else {
            sha1.update(t, 0, len);
            try {
                sha1.digest(digest, 0, digest.length);
            } catch (DigestException e) {
                throw new IllegalStateException(e);
            }
            base64(digest, id, 2);
            cache[slot] = (byte) len;
            System.arraycopy(t, 0, cache, slot + 1, len);
            System.arraycopy(id, 2, cache, slot + 1 + 40, 28);
        }
        p.r.setAscii(COMMUNITY_ID, id, 0, id.length);
    }
}
