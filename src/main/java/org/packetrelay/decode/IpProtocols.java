package org.packetrelay.decode;

import static org.packetrelay.catalog.Field.PROTOCOL;

/** IP protocol numbers: the IANA keywords, and which layer decodes the payload of each. */
final class IpProtocols {
    static final String[] NAME = NameTable.of(256, "IP_",
            "0=HOPOPT 1=ICMP 2=IGMP 3=GGP 4=IPv4 5=ST 6=TCP 8=EGP 9=IGP 17=UDP 27=RDP 29=ISO-TP4 33=DCCP "
            + "41=IPv6 43=IPv6-Route 44=IPv6-Frag 46=RSVP 47=GRE 50=ESP 51=AH 55=MOBILE 58=ICMPv6 59=IPv6-NoNxt "
            + "60=IPv6-Opts 88=EIGRP 89=OSPF 94=IPIP 97=ETHERIP 98=ENCAP 103=PIM 108=IPComp 112=VRRP 113=PGM "
            + "115=L2TP 124=ISIS 132=SCTP 135=Mobility 136=UDPLite 137=MPLS-in-IP 139=HIP 143=Ethernet");

    static final int HOP_BY_HOP = 0;
    static final int ICMP = 1;
    static final int TCP = 6;
    static final int UDP = 17;
    static final int ROUTING = 43;
    static final int FRAGMENT = 44;
    static final int AH = 51;
    static final int ICMPV6 = 58;
    static final int NO_NEXT_HEADER = 59;
    static final int DESTINATION_OPTIONS = 60;
    static final int MOBILITY = 135;
    static final int SCTP = 132;

    private IpProtocols() {
    }

    /** Whether protocol {@code proto} is a header the decoder steps over (AH; IPv6 extension headers after IPv6). */
    static boolean isExtension(int proto, boolean v6) {
        return proto == AH || v6 && (proto == HOP_BY_HOP || proto == ROUTING || proto == FRAGMENT
                                     || proto == DESTINATION_OPTIONS || proto == MOBILITY);
    }

    /**
     * The layer for IP payload of protocol {@code proto} at {@code p.off}; sets {@code protocol} to its name unless
     * it is an extension header (then the name is set once the walk reaches the last header).
     */
    static Layer next(Packet p, int proto) {
        p.proto = proto;
        if (isExtension(proto, p.v6)) {
            return Layer.IP_EXTENSION;
        }
        p.r.setString(PROTOCOL, NAME[proto]);
        return switch (proto) {
            case TCP -> Layer.TCP;
            case UDP -> Layer.UDP;
            case SCTP -> Layer.SCTP;
            case ICMP, ICMPV6 -> Layer.ICMP;
            default -> Layer.OTHER_IP;
        };
    }
}
