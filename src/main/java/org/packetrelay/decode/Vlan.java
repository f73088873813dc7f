package org.packetrelay.decode;

import static org.packetrelay.catalog.Field.PROTOCOL;
import static org.packetrelay.catalog.Field.VLAN_ID;

/** An 802.1Q or 802.1ad (QinQ) tag; {@code vlan_id} is the outermost tag's id. */
final class Vlan {
    static final int TCI = 0;
    static final int TYPE = 2;
    static final int HEADER = 4;
    static final int ID_MASK = 0xFFF;

    private Vlan() {
    }

    static Layer decode(Packet p) {
        int off = p.off;
        p.r.setString(PROTOCOL, "VLAN");
        if (!p.need("vlan", HEADER)) {
            return null;
        }
        if (!p.r.has(VLAN_ID)) {
            p.r.setNumber(VLAN_ID, p.u16(off + TCI) & ID_MASK);
        }
        p.off = off + HEADER;
        return EtherTypes.next(p, p.u16(off + TYPE));
    }
}
