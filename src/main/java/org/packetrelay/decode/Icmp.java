package org.packetrelay.decode;

import static org.packetrelay.catalog.Field.ICMP_CODE;
import static org.packetrelay.catalog.Field.ICMP_TYPE;
import static org.packetrelay.catalog.Field.PAYLOAD_LENGTH;

import java.util.Arrays;

/** ICMP and ICMPv6 ({@code p.proto} says which): type and code; both need their 8-byte header. */
final class Icmp {
    static final int TYPE = 0;
    static final int CODE = 1;
    static final int HEADER = 8;

    /** Community ID: the type answering each request type and back (Zeek's mapping); -1 for one-way types. */
    private static final int[] ICMP4_PEER = peers(8, 0, 13, 14, 15, 16, 10, 9, 17, 18);
    private static final int[] ICMP6_PEER = peers(128, 129, 130, 131, 133, 134, 135, 136, 139, 140, 144, 145);

    private Icmp() {
    }

    private static int[] peers(int... pairs) {
        int[] table = new int[256];
        Arrays.fill(table, -1);
        for (int i = 0; i < pairs.length; i += 2) {
            table[pairs[i]] = pairs[i + 1];
            table[pairs[i + 1]] = pairs[i];
        }
        return table;
    }

    static Layer decode(Packet p) {
        boolean v4 = p.proto == IpProtocols.ICMP;
        if (!p.need(v4 ? "icmp" : "icmpv6", HEADER)) {
            return null;
        }
        int type = p.u8(p.off + TYPE);
        int code = p.u8(p.off + CODE);
        p.r.setNumber(ICMP_TYPE, type);
        p.r.setNumber(ICMP_CODE, code);
        p.r.setNumber(PAYLOAD_LENGTH, p.length - HEADER);
        int peer = (v4 ? ICMP4_PEER : ICMP6_PEER)[type];
        // type and code stand in for the ports; a request/reply pair maps to the same flow
        p.flow.set(p, p.proto, type, peer < 0 ? code : peer, true, peer < 0);
        return null;
    }
}
