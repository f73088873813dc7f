package org.packetrelay.decode;

import static org.packetrelay.catalog.Field.TLS_SNI;

/**
 * The server_name of a TLS ClientHello at the start of a TCP payload, if this segment holds it whole. Never an
 * error: anything else, or a ClientHello cut short, just gives no {@code tls_sni}.
 */
final class Tls {
    static final int HANDSHAKE = 22;
    static final int CLIENT_HELLO = 1;
    static final int SERVER_NAME = 0;
    static final int HOST_NAME = 0;
    // record header: type, version (2), length (2); handshake header: type, length (3)
    static final int RECORD_LENGTH = 3;
    static final int HANDSHAKE_TYPE = 5;
    static final int HANDSHAKE_LENGTH = 6;
    static final int HELLO = 9;
    /** client version and random, before the session id */
    static final int HELLO_FIXED = 2 + 32;

    private Tls() {
    }

    static Layer decode(Packet p) {
        int off = p.off;
        int end = p.end;
        if (end - off < HELLO || p.d[off] != HANDSHAKE || p.d[off + 1] != 3 || p.d[off + HANDSHAKE_TYPE] != CLIENT_HELLO) {
            return null;
        }
        int limit = Math.min(end, Math.min(off + 5 + p.u16(off + RECORD_LENGTH),
                off + HELLO + (p.u8(off + HANDSHAKE_LENGTH) << 16 | p.u16(off + HANDSHAKE_LENGTH + 1))));
        int at = off + HELLO + HELLO_FIXED;
        if (at >= limit) {
            return null;
        }
        at += 1 + p.u8(at); // session id
        if (at + 2 > limit) {
            return null;
        }
        at += 2 + p.u16(at); // cipher suites
        if (at >= limit) {
            return null;
        }
        at += 1 + p.u8(at); // compression methods
        if (at + 2 > limit) {
            return null;
        }
        limit = Math.min(limit, at + 2 + p.u16(at)); // extensions
        at += 2;
        while (at + 4 <= limit) {
            int type = p.u16(at);
            int extEnd = Math.min(limit, at + 4 + p.u16(at + 2));
            at += 4;
            if (type == SERVER_NAME) { // list length, then (type, length, name)...
                serverName(p, at, extEnd);
                return null;
            }
            at = extEnd;
        }
        return null;
    }

    private static void serverName(Packet p, int at, int extEnd) {
        if (at + 2 > extEnd) {
            return;
        }
        extEnd = Math.min(extEnd, at + 2 + p.u16(at));
        for (at += 2; at + 3 <= extEnd; at += 3 + p.u16(at + 1)) {
            if (p.d[at] == HOST_NAME && at + 3 + p.u16(at + 1) <= extEnd) {
                p.r.setWireText(TLS_SNI, p.d, at + 3, p.u16(at + 1));
                return;
            }
        }
    }
}
