package org.packetrelay.decode;

import static org.packetrelay.catalog.Field.PAYLOAD_LENGTH;

/** The payload of an IP protocol the decoder does not read (GRE, ESP, ...): its length and a flow without ports. */
final class OtherIp {
    private OtherIp() {
    }

    static Layer decode(Packet p) {
        p.r.setNumber(PAYLOAD_LENGTH, p.length);
        p.flow.set(p, p.proto, 0, 0, false, false);
        return null;
    }
}
