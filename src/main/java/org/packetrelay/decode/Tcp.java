package org.packetrelay.decode;

import static org.packetrelay.catalog.Field.ACK;
import static org.packetrelay.catalog.Field.PAYLOAD_LENGTH;
import static org.packetrelay.catalog.Field.SEQ;
import static org.packetrelay.catalog.Field.TCP_ACK;
import static org.packetrelay.catalog.Field.TCP_FIN;
import static org.packetrelay.catalog.Field.TCP_FLAGS;
import static org.packetrelay.catalog.Field.TCP_PSH;
import static org.packetrelay.catalog.Field.TCP_RST;
import static org.packetrelay.catalog.Field.TCP_SYN;
import static org.packetrelay.catalog.Field.TCP_WINDOW;

/**
 * TCP. A segment on a DNS port that starts a message (a length prefix and header counts that fit it) goes on to
 * {@link Dns}; any other payload to {@link Http} (then {@link Tls}).
 */
final class Tcp {
    static final int SEQ_OFFSET = 4;
    static final int ACK_OFFSET = 8;
    static final int DATA_OFFSET = 12;
    static final int FLAGS = 13;
    static final int WINDOW = 14;
    static final int MIN_HEADER = 20;
    static final int FIN = 1;
    static final int SYN = 2;
    static final int RST = 4;
    static final int PSH = 8;
    static final int ACK_FLAG = 16;

    /** The set flags' names in bit order, joined by ',' ("" for none). */
    private static final String[] FLAGS_TEXT = new String[256];

    static {
        String[] names = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
        for (int f = 0; f < 256; f++) {
            StringBuilder sb = new StringBuilder();
            for (int bit = 0; bit < 8; bit++) {
                if ((f & 1 << bit) != 0) {
                    sb.append(sb.length() > 0 ? "," : "").append(names[bit]);
                }
            }
            FLAGS_TEXT[f] = sb.toString();
        }
    }

    private Tcp() {
    }

    static Layer decode(Packet p) {
        int off = p.off;
        if (!p.need("tcp", MIN_HEADER)) {
            return null;
        }
        p.flow.ports(p, IpProtocols.TCP);
        int flags = p.u8(off + FLAGS);
        p.r.setNumber(SEQ, p.u32(off + SEQ_OFFSET));
        p.r.setNumber(ACK, p.u32(off + ACK_OFFSET));
        p.r.setString(TCP_FLAGS, FLAGS_TEXT[flags]);
        p.r.setBool(TCP_FIN, (flags & FIN) != 0);
        p.r.setBool(TCP_SYN, (flags & SYN) != 0);
        p.r.setBool(TCP_RST, (flags & RST) != 0);
        p.r.setBool(TCP_PSH, (flags & PSH) != 0);
        p.r.setBool(TCP_ACK, (flags & ACK_FLAG) != 0);
        p.r.setNumber(TCP_WINDOW, p.u16(off + WINDOW));
        int dataOffset = p.u8(off + DATA_OFFSET) >> 4;
        int headerLen = dataOffset * 4;
        if (dataOffset < 5) {
            p.error("tcp: bad data offset " + dataOffset);
            return null;
        }
        if (!p.need("tcp", headerLen)) {
            return null;
        }
        p.r.setNumber(PAYLOAD_LENGTH, p.length - headerLen);
        int payload = off + headerLen;
        if (payload >= p.end) {
            return null;
        }
        if (Dns.isPort(p.u16(off)) || Dns.isPort(p.u16(off + 2))) {
            return dnsMessage(p, payload);
        }
        p.off = payload;
        return Layer.HTTP;
    }

    /**
     * DNS over TCP: a segment that starts a message has a 2-byte length prefix and a header whose counts fit that
     * length (each question at least 5 bytes, each record at least 11); anything else is a continuation segment.
     */
    private static Layer dnsMessage(Packet p, int payload) {
        int msgLen = p.end - payload >= 2 + Dns.HEADER ? p.u16(payload) : 0;
        if (msgLen < Dns.HEADER) {
            return null;
        }
        int m = payload + 2;
        long least = p.u16(m + Dns.QDCOUNT) * 5L + (p.u16(m + Dns.ANCOUNT) + p.u16(m + Dns.NSCOUNT) + (long) p.u16(m + Dns.ARCOUNT)) * 11;
        if (least > msgLen - Dns.HEADER) {
            return null;
        }
        p.off = m;
        p.length = msgLen;
        p.limit(m + msgLen, "dns length prefix");
        return Layer.DNS;
    }
}
