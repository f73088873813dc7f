package org.packetrelay.decode;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.packetrelay.catalog.Field.PROTOCOL;

/** Ether types: names of those the decoder does not read, and which layer reads the others. */
final class EtherTypes {
    static final int IPV4 = 0x0800;
    static final int ARP = 0x0806;
    static final int IPV6 = 0x86DD;
    static final int VLAN = 0x8100;
    static final int QINQ = 0x88A8;
    static final int QINQ_OLD = 0x9100;
    /** Below this the field is an 802.3 length and an LLC header follows. */
    static final int MIN_TYPE = 0x0600;

    private static final byte[] HEX = "0123456789abcdef".getBytes(US_ASCII);

    private EtherTypes() {
    }

    static boolean isVlan(int type) {
        return type == VLAN || type == QINQ || type == QINQ_OLD;
    }

    /** The layer for ether type (or 802.3 length) {@code type} whose payload starts at {@code p.off}. */
    static Layer next(Packet p, int type) {
        if (isVlan(type)) {
            return Layer.VLAN;
        }
        switch (type) {
            case IPV4:
                return Layer.IPV4;
            case IPV6:
                return Layer.IPV6;
            case ARP:
                return Layer.ARP;
            default:
                if (type < MIN_TYPE) {
                    return Layer.LLC;
                }
                setName(p, type);
                return null;
        }
    }

    /** {@code protocol} = the type's name ({@code LLDP}), or its number ({@code 0x88b5}). */
    private static void setName(Packet p, int type) {
        String name = name(type);
        if (name != null) {
            p.r.setString(PROTOCOL, name);
            return;
        }
        byte[] t = p.scratch;
        t[0] = '0';
        t[1] = 'x';
        for (int i = 0; i < 4; i++) {
            t[2 + i] = HEX[type >> (12 - 4 * i) & 0xF];
        }
        p.r.setAscii(PROTOCOL, t, 0, 6);
    }

    static String name(int type) {
        return switch (type) {
            case 0x8035 -> "RARP";
            case 0x809B -> "AppleTalk";
            case 0x80F3 -> "AARP";
            case 0x8137, 0x8138 -> "IPX";
            case 0x6003 -> "DECnet";
            case 0x6004 -> "LAT";
            case 0x8808 -> "PAUSE";
            case 0x8809 -> "LACP";
            case 0x8847, 0x8848 -> "MPLS";
            case 0x8863, 0x8864 -> "PPPoE";
            case 0x886D -> "Intel-ANS";
            case 0x888E -> "EAPOL";
            case 0x8892 -> "PROFINET";
            case 0x889A -> "HyperSCSI";
            case 0x88A2 -> "AoE";
            case 0x88A4 -> "EtherCAT";
            case 0x88B8 -> "GOOSE";
            case 0x88BA -> "SV";
            case 0x88CC -> "LLDP";
            case 0x88E3 -> "MRP";
            case 0x88E5 -> "MACsec";
            case 0x88E7 -> "PBB";
            case 0x88F7 -> "PTP";
            case 0x8902 -> "CFM";
            case 0x8906 -> "FCoE";
            case 0x8914 -> "FIP";
            case 0x893A -> "IEEE1905";
            case 0x9000 -> "LOOP";
            case 0x22F0 -> "AVTP";
            case 0x6558 -> "TEB";
            default -> null;
        };
    }
}
