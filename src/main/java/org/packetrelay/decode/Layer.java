package org.packetrelay.decode;

/**
 * The layers the decoder knows. Each one's {@code decode(Packet)} reads its header at {@code p.off}, fills its
 * fields, sets {@code p.off}/{@code p.end}/{@code p.length} to its payload and returns the layer that the payload
 * holds, or null where decoding ends. {@link PacketDecoder} chains them in one loop.
 *
 * <p>Each layer is called through its own {@link Decoder}, not through a switch: the loop's call site then sees many
 * classes, so C2 compiles each layer on its own instead of inlining all of them into one unit. That unit took it 0.2 to
 * 0.45 s in a replay's first second, while the decoder ran in slower code; the layers alone take a few hundredths
 * each. Measured: 1.04x the packets/s of the switch over a 2.4M-packet replay, so the call per layer costs less than
 * it saves.
 */
enum Layer {
    ETHERNET(Ethernet::decode), LINUX_SLL(LinuxSll::decodeSll), LINUX_SLL2(LinuxSll::decodeSll2), RAW_IP(RawIp::decode),
    LOOPBACK(Loopback::decode),
    VLAN(Vlan::decode), LLC(Llc::decode), ARP(Arp::decode),
    IPV4(Ipv4::decode), IPV6(Ipv6::decode), IP_EXTENSION(IpExtension::decode),
    TCP(Tcp::decode), UDP(Udp::decode), SCTP(Sctp::decode), ICMP(Icmp::decode), OTHER_IP(OtherIp::decode),
    DNS(Dns::decode), HTTP(Http::decode), TLS(Tls::decode);

    /** One layer's decoding. */
    @FunctionalInterface
    interface Decoder {
        Layer decode(Packet p);
    }

    private final Decoder decoder;

    Layer(Decoder decoder) {
        this.decoder = decoder;
    }

    Layer decode(Packet p) {
        return decoder.decode(p);
    }
}
