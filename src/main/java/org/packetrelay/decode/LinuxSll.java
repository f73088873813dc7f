package org.packetrelay.decode;

import static org.packetrelay.catalog.Field.SRC_MAC;

/** Linux "cooked" capture headers, SLL (link type 113) and SLL2 (276): {@code src_mac} from a 6-byte address. */
final class LinuxSll {
    // SLL: packet type, ARPHRD type, address length, 8 address bytes, protocol
    static final int SLL_ADDR_LEN = 4;
    static final int SLL_ADDR = 6;
    static final int SLL_PROTOCOL = 14;
    static final int SLL_HEADER = 16;
    // SLL2: protocol, reserved, interface index, ARPHRD type, packet type, address length, 8 address bytes
    static final int SLL2_PROTOCOL = 0;
    static final int SLL2_ADDR_LEN = 11;
    static final int SLL2_ADDR = 12;
    static final int SLL2_HEADER = 20;
    /** ETH_P_802_2: an LLC header follows. */
    static final int ETH_P_802_2 = 4;

    private LinuxSll() {
    }

    static Layer decodeSll(Packet p) {
        if (!p.need("sll", SLL_HEADER)) {
            return null;
        }
        return next(p, p.u16(p.off + SLL_PROTOCOL), SLL_HEADER, p.u16(p.off + SLL_ADDR_LEN), SLL_ADDR);
    }

    static Layer decodeSll2(Packet p) {
        if (!p.need("sll2", SLL2_HEADER)) {
            return null;
        }
        return next(p, p.u16(p.off + SLL2_PROTOCOL), SLL2_HEADER, p.u8(p.off + SLL2_ADDR_LEN), SLL2_ADDR);
    }

    private static Layer next(Packet p, int protocol, int header, int addrLen, int addr) {
        int off = p.off;
        if (addrLen == 6) {
            AddressText.mac(p, SRC_MAC, off + addr);
        }
        if (protocol < EtherTypes.MIN_TYPE && protocol != ETH_P_802_2) {
            return null; // another Linux protocol number (ETH_P_802_3, ...): not decoded further
        }
        p.off = off + header;
        return EtherTypes.next(p, protocol);
    }
}
