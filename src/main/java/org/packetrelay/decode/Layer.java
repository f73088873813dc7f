package org.packetrelay.decode;

/**
 * The layers the decoder knows. Each one's {@code decode(Packet)} reads its header at {@code p.off}, fills its
 * fields, sets {@code p.off}/{@code p.end}/{@code p.length} to its payload and returns the layer that the payload
 * holds, or null where decoding ends. {@link PacketDecoder} chains them in one loop.
 */
enum Layer {
    ETHERNET, LINUX_SLL, LINUX_SLL2, RAW_IP, LOOPBACK,
    VLAN, LLC, ARP,
    IPV4, IPV6, IP_EXTENSION,
    TCP, UDP, SCTP, ICMP, OTHER_IP,
    DNS, HTTP, TLS
}
