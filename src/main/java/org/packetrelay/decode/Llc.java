package org.packetrelay.decode;

import static org.packetrelay.catalog.Field.PROTOCOL;

/**
 * 802.2 LLC after an 802.3 length field (or Linux's ETH_P_802_2); SNAP with OUI 0 (RFC 1042) continues with its
 * ether type, except a VLAN tag, whose inner LLC could nest again.
 */
final class Llc {
    static final int DSAP = 0;
    static final int SSAP = 1;
    static final int CONTROL = 2;
    static final int OUI = 3;
    static final int SNAP_TYPE = 6;
    static final int SNAP_HEADER = 8;
    static final int SNAP_SAPS = 0xAAAA;
    static final int UNNUMBERED_INFORMATION = 3;

    private Llc() {
    }

    static Layer decode(Packet p) {
        int off = p.off;
        p.r.setString(PROTOCOL, "LLC");
        if (p.end - off < SNAP_HEADER || p.u16(off + DSAP) != SNAP_SAPS || p.u8(off + CONTROL) != UNNUMBERED_INFORMATION
            || p.u16(off + OUI) != 0 || p.u8(off + OUI + 2) != 0) {
            return null; // plain LLC: not decoded further, not an error
        }
        int type = p.u16(off + SNAP_TYPE);
        if (type < EtherTypes.MIN_TYPE || EtherTypes.isVlan(type)) {
            return null;
        }
        p.off = off + SNAP_HEADER;
        return EtherTypes.next(p, type);
    }
}
