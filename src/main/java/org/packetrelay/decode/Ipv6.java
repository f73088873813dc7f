package org.packetrelay.decode;

import static org.packetrelay.catalog.Field.DST_IP;
import static org.packetrelay.catalog.Field.IP_VERSION;
import static org.packetrelay.catalog.Field.PROTOCOL;
import static org.packetrelay.catalog.Field.SRC_IP;
import static org.packetrelay.catalog.Field.TTL;

/**
 * IPv6; its extension headers are {@link IpExtension}. A payload length of 0 (other than with No Next Header) is a
 * jumbogram or BIG TCP packet whose length is the packet's on the wire, as tcpdump takes it.
 */
final class Ipv6 {
    static final int VERSION = 0;
    static final int PAYLOAD_LENGTH = 4;
    static final int NEXT_HEADER = 6;
    static final int HOP_LIMIT = 7;
    static final int SRC = 8;
    static final int DST = 24;
    static final int HEADER = 40;

    private Ipv6() {
    }

    static Layer decode(Packet p) {
        int off = p.off;
        if (!p.need("ipv6", HEADER)) {
            return null;
        }
        int version = p.u8(off + VERSION) >> 4;
        if (version != 6) {
            p.error("ipv6: bad version " + version);
            return null;
        }
        p.r.setNumber(IP_VERSION, 6);
        p.r.setNumber(TTL, p.u8(off + HOP_LIMIT));
        AddressText.ipv6(p, SRC_IP, off + SRC);
        AddressText.ipv6(p, DST_IP, off + DST);
        p.r.setString(PROTOCOL, "IPv6");
        p.ipSrc = off + SRC;
        p.ipAddrLen = 16;
        p.v6 = true;
        int payloadLen = p.u16(off + PAYLOAD_LENGTH);
        int next = p.u8(off + NEXT_HEADER);
        if (payloadLen == 0 && next != IpProtocols.NO_NEXT_HEADER) {
            payloadLen = p.wireLengthFrom(off) - HEADER;
        }
        p.off = off + HEADER;
        p.length = payloadLen;
        p.limit(p.off + payloadLen, "ipv6 payload length");
        return IpProtocols.next(p, next);
    }
}
