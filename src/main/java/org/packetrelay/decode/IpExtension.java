package org.packetrelay.decode;

import static org.packetrelay.catalog.Field.PAYLOAD_LENGTH;
import static org.packetrelay.catalog.Field.PROTOCOL;

/**
 * One header stepped over between IP and its payload: AH (after IPv4 or IPv6), or an IPv6 hop-by-hop, routing,
 * fragment, destination options or mobility header; at most {@value #MAX_HEADERS} in a packet. A non-first
 * fragment ends decoding with its protocol and no ports.
 */
final class IpExtension {
    static final int MAX_HEADERS = 16;
    static final int NEXT_HEADER = 0;
    static final int LENGTH = 1;
    static final int FRAGMENT_OFFSET = 2;
    static final int FRAGMENT_HEADER = 8;
    static final int FRAGMENT_OFFSET_MASK = 0xFFF8;

    private IpExtension() {
    }

    static Layer decode(Packet p) {
        int off = p.off;
        int proto = p.proto;
        String layer = proto == IpProtocols.AH ? "ah" : "ipv6";
        if (p.extensionHeaders++ == MAX_HEADERS) {
            p.error(layer + ": more than " + MAX_HEADERS + " extension headers");
            return null;
        }
        boolean fragment = proto == IpProtocols.FRAGMENT;
        if (!p.need(layer, fragment ? FRAGMENT_HEADER : 2)) {
            return null;
        }
        int next = p.u8(off + NEXT_HEADER);
        int headerLen = proto == IpProtocols.AH ? (p.u8(off + LENGTH) + 2) * 4 // in 4-byte units, minus 2
                : fragment ? FRAGMENT_HEADER : (p.u8(off + LENGTH) + 1) * 8; // in 8-byte units, not counting the first
        if (!p.need(layer, headerLen)) {
            return null;
        }
        if (fragment && (p.u16(off + FRAGMENT_OFFSET) & FRAGMENT_OFFSET_MASK) != 0) {
            p.r.setString(PROTOCOL, IpProtocols.NAME[next]);
            p.r.setNumber(PAYLOAD_LENGTH, p.length - headerLen);
            return null;
        }
        p.off = off + headerLen;
        p.length -= headerLen;
        return IpProtocols.next(p, next);
    }
}
