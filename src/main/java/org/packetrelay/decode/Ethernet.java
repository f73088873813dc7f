package org.packetrelay.decode;

import static org.packetrelay.catalog.Field.DST_MAC;
import static org.packetrelay.catalog.Field.SRC_MAC;

/** Ethernet II (and 802.3, whose type field is a length: {@link Llc} follows). */
final class Ethernet {
    static final int DST = 0;
    static final int SRC = 6;
    static final int TYPE = 12;
    static final int HEADER = 14;

    private Ethernet() {
    }

    static Layer decode(Packet p) {
        int off = p.off;
        if (!p.need("ethernet", HEADER)) {
            return null;
        }
        AddressText.mac(p, DST_MAC, off + DST);
        AddressText.mac(p, SRC_MAC, off + SRC);
        p.off = off + HEADER;
        return EtherTypes.next(p, p.u16(off + TYPE));
    }
}
