package org.packetrelay.decode;

/**
 * BSD loopback (link types NULL and LOOP): a 4-byte address family, read in either byte order (NULL is in the
 * capturing host's order, LOOP in network order). 2 is IPv4; 10, 24, 28 and 30 are IPv6 on the BSDs and Linux.
 */
final class Loopback {
    static final int HEADER = 4;

    private Loopback() {
    }

    static Layer decode(Packet p) {
        if (!p.need("null", HEADER)) {
            return null;
        }
        int family = (int) p.u32(p.off);
        if ((family & 0xFFFF0000) != 0) {
            family = Integer.reverseBytes(family);
        }
        p.off += HEADER;
        return switch (family) {
            case 2 -> Layer.IPV4;
            case 10, 24, 28, 30 -> Layer.IPV6;
            default -> null;
        };
    }
}
