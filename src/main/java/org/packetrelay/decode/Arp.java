package org.packetrelay.decode;

import static org.packetrelay.catalog.Field.ARP_HWDST;
import static org.packetrelay.catalog.Field.ARP_HWSRC;
import static org.packetrelay.catalog.Field.ARP_OP;
import static org.packetrelay.catalog.Field.ARP_PDST;
import static org.packetrelay.catalog.Field.ARP_PSRC;
import static org.packetrelay.catalog.Field.PROTOCOL;

/** ARP: the operation of any ARP packet; addresses for Ethernet/IPv4 only. */
final class Arp {
    static final int HARDWARE_TYPE = 0;
    static final int PROTOCOL_TYPE = 2;
    static final int HARDWARE_LEN = 4;
    static final int PROTOCOL_LEN = 5;
    static final int OPERATION = 6;
    static final int FIXED_HEADER = 8;
    // Ethernet/IPv4 addresses
    static final int SENDER_MAC = 8;
    static final int SENDER_IP = 14;
    static final int TARGET_MAC = 18;
    static final int TARGET_IP = 24;
    static final int ETHERNET_IPV4 = 28;

    private Arp() {
    }

    static Layer decode(Packet p) {
        int off = p.off;
        p.r.setString(PROTOCOL, "ARP");
        if (!p.need("arp", FIXED_HEADER)) {
            return null;
        }
        p.r.setNumber(ARP_OP, p.u16(off + OPERATION));
        if (p.u16(off + HARDWARE_TYPE) != 1 || p.u16(off + PROTOCOL_TYPE) != EtherTypes.IPV4 || p.u8(off + HARDWARE_LEN) != 6
            || p.u8(off + PROTOCOL_LEN) != 4 || !p.need("arp", ETHERNET_IPV4)) {
            return null; // not Ethernet/IPv4: the operation only
        }
        AddressText.mac(p, ARP_HWSRC, off + SENDER_MAC);
        AddressText.ipv4(p, ARP_PSRC, off + SENDER_IP);
        AddressText.mac(p, ARP_HWDST, off + TARGET_MAC);
        AddressText.ipv4(p, ARP_PDST, off + TARGET_IP);
        return null;
    }
}
