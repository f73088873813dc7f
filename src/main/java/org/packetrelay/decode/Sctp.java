package org.packetrelay.decode;

import static org.packetrelay.catalog.Field.PAYLOAD_LENGTH;

/** SCTP: the common header's ports. */
final class Sctp {
    static final int COMMON_HEADER = 12;

    private Sctp() {
    }

    static Layer decode(Packet p) {
        if (p.need("sctp", COMMON_HEADER)) {
            p.flow.ports(p, IpProtocols.SCTP);
            p.r.setNumber(PAYLOAD_LENGTH, p.length - COMMON_HEADER);
        }
        return null;
    }
}
