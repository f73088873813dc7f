package org.packetrelay.decode;

/** Raw IP (link types 12 and 101): IPv4 or IPv6 by the version nibble. */
final class RawIp {
    private RawIp() {
    }

    static Layer decode(Packet p) {
        if (!p.need("raw", 1)) {
            return null;
        }
        int version = p.u8(p.off) >> 4;
        return switch (version) {
            case 4 -> Layer.IPV4;
            case 6 -> Layer.IPV6;
            default -> {
                p.error("ip: bad version " + version);
                yield null;
            }
        };
    }
}
