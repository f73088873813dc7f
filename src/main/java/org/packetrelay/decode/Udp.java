package org.packetrelay.decode;

import static org.packetrelay.catalog.Field.PAYLOAD_LENGTH;

/** UDP; a datagram with a payload on a DNS port goes on to {@link Dns}. */
final class Udp {
    static final int LENGTH = 4;
    static final int HEADER = 8;

    private Udp() {
    }

    static Layer decode(Packet p) {
        int off = p.off;
        if (!p.need("udp", HEADER)) {
            return null;
        }
        p.flow.ports(p, IpProtocols.UDP);
        int udpLen = p.u16(off + LENGTH);
        if (udpLen == 0 && p.length > 0xFFFF) {
            udpLen = p.length; // RFC 2675 (and BIG TCP tunnels): the length is the IP payload's
        }
        if (udpLen < HEADER) {
            p.error("udp: bad length " + udpLen);
            return null;
        }
        int payloadLen = Math.min(udpLen, p.length) - HEADER;
        p.r.setNumber(PAYLOAD_LENGTH, payloadLen);
        if (payloadLen <= 0 || !Dns.isPort(p.u16(off)) && !Dns.isPort(p.u16(off + 2))) {
            return null;
        }
        p.off = off + HEADER;
        p.length = payloadLen;
        p.limit(p.off + payloadLen, "udp length");
        return Layer.DNS;
    }
}
