package org.packetrelay.decode;

import static org.packetrelay.catalog.Field.CAPTURED_LENGTH;
import static org.packetrelay.catalog.Field.DECODE_ERROR;
import static org.packetrelay.catalog.Field.INTERFACE;
import static org.packetrelay.catalog.Field.LENGTH;
import static org.packetrelay.catalog.Field.PROTOCOL;

import org.packetrelay.catalog.PacketRecord;

/**
 * Decodes one captured packet into a {@link PacketRecord}, in the style of smoltcp's {@code wire} module and
 * gopacket's {@code DecodingLayerParser}: one class per layer ({@link Ethernet}, {@link Ipv4}, {@link Tcp}, {@link Dns},
 * ...) reads its header from the shared {@link Packet} with named offsets and one length check, fills its fields and
 * returns the next layer; {@link #decode} chains them in one loop. No exceptions on bad input, and no allocation per
 * packet (text goes into the record as bytes). One instance per thread (it holds scratch buffers and a SHA-1
 * digest), reused for every packet.
 *
 * <p><b>Layers.</b> Link types (pcap DLT): EN10MB (Ethernet II, 802.1Q/QinQ tags 0x8100/0x88A8/0x9100 where
 * {@code vlan_id} is the outermost id, 802.3 length frames as {@code LLC}, SNAP with OUI 0 continues with its
 * ether type), LINUX_SLL, LINUX_SLL2 ({@code src_mac} from the 6-byte link address), RAW (12, 101: IPv4/IPv6 by
 * version nibble), IPV4 (228), IPV6 (229), NULL (0) and LOOP (108) (address family read in either byte order;
 * 2 is IPv4, 10/24/28/30 IPv6). Then ARP (Ethernet/IPv4 only; other hardware types give {@code arp_op} only),
 * IPv4 (options skipped by IHL; only fragment offset 0 goes on to L4; the IP payload ends at min(total length,
 * captured), total length < IHL is an error, total length 0 means TSO/BIG TCP and the wire length counts, as in
 * tcpdump and Wireshark), IPv6 (hop-by-hop, routing, fragment (offset 0 only), destination options, mobility and AH
 * headers skipped, at most 16; AH is skipped after IPv4 too; payload length 0 is a jumbogram/BIG TCP: the wire
 * length counts), TCP, UDP (length 0 above 64 KiB: RFC 2675), SCTP (ports), ICMP and ICMPv6 (type, code; both
 * need their 8-byte header); on TCP/UDP ports 53, 5353, 5355 DNS (a UDP datagram with no payload is not DNS); on
 * any TCP port HTTP/1.x request/status lines and the TLS ClientHello's server name. Tunnels (GRE, IP in IP,
 * VXLAN...) are not entered: the row describes the outer packet.
 *
 * <p><b>protocol</b> is the name of the last layer understood: TCP, UDP, ICMP, ICMPv6, ARP, else the IANA
 * keyword of the IP protocol ({@code GRE}, {@code ESP}, unknown {@code IP_<n>}; a non-first fragment gives the
 * fragment's IP protocol without ports), {@code IPv6} while IPv6 extension headers are walked, else the ether
 * type's name ({@code LLDP}, {@code MPLS}, unknown {@code 0x88b5}), {@code LLC}, else the link type's libpcap
 * name ({@code IEEE802_11_RADIO}, unknown {@code DLT_<n>}). An unsupported link type, ether type or IP protocol
 * is not an error: {@code decode_error} stays null and the packet is simply not decoded further.
 *
 * <p><b>decode_error</b> is set where a header is cut short or malformed, {@code "<layer>: <why>"}, e.g.
 * {@code "tcp: header truncated (12 of 20 bytes)"}, {@code "ipv4: bad IHL 3"}, {@code "dns: label pointer loop"};
 * the fields decoded before that point stay. A header cut short by the capture (snaplen) says {@code header truncated};
 * one that was captured but lies beyond what an outer length field allows says which field, e.g.
 * {@code "tcp: header exceeds the ipv4 total length (8 of 20 bytes)"}. An application payload (DNS, HTTP, TLS) cut
 * short by the capture (snaplen) or by TCP segmentation is not an error: what is there is decoded and fields needing the missing
 * bytes stay null. A DNS message that is malformed within its own length (UDP length, or the TCP length prefix
 * when the whole message was captured) is an error ({@code "dns: message truncated (40 bytes)"}). TLS never sets
 * an error (no SNI if the ClientHello does not hold a complete server_name in this segment). The catch of
 * RuntimeException ({@code "internal: <class>"}) is a last resort that the tests show is never reached.
 *
 * <p><b>Fields.</b> {@code tcp_flags}: set flags in bit order {@code FIN,SYN,RST,PSH,ACK,URG,ECE,CWR}, null if
 * none; {@code tcp_window} the raw 16-bit field. {@code payload_length} (from the IP/UDP lengths, not the
 * captured bytes): TCP bytes after the TCP header; UDP: min(UDP length, IP payload) - 8; SCTP: bytes after the
 * 12-byte common header; ICMP/ICMPv6: bytes after the 8-byte header; any other IP protocol (and non-first
 * fragments): the IP payload after the IP header and walked extension headers; unset for non-IP packets.
 * IPv6 addresses are RFC 5952 text as {@code inet_ntop} and tshark print them (IPv4-mapped and -compatible
 * addresses with a dotted quad).
 *
 * <p>DNS, HTTP and TLS: see {@link Dns}, {@link Http} and {@link Tls}.
 *
 * <p><b>community_id</b>: Community ID v1, seed 0, base64, as Zeek, Suricata and Wireshark compute it (ICMP and
 * ICMPv6 types mapped to ports, one-way types not reordered; protocols other than TCP, UDP, SCTP, ICMP and
 * ICMPv6 without ports), always of the outermost IP header (Wireshark takes a tunnel's innermost). Not set for
 * non-first fragments (Zeek and Suricata reassemble; a packet alone has no ports) and when the L4 header is too
 * short for its ports.
 */
public final class PacketDecoder {
    private final Packet packet = new Packet();

    /** libpcap's name of a link type ({@code pcap_datalink_val_to_name}), {@code DLT_<n>} if it has none. */
    public static String linkTypeName(int dlt) {
        return LinkTypes.name(dlt);
    }

    public void decode(int dlt, byte[] data, int wireLength, long epochNanos, int timestampDigits, String iface, PacketRecord out) {
        decode(dlt, data, data.length, wireLength, epochNanos, timestampDigits, iface, out);
    }

    /**
     * The same for the first {@code capLength} bytes of {@code data} (a reused buffer may be longer: nothing at or
     * after {@code capLength} is read).
     */
    public void decode(int dlt, byte[] data, int capLength, int wireLength, long epochNanos, int timestampDigits, String iface,
                       PacketRecord out) {
        decode(dlt, data, 0, capLength, wireLength, epochNanos, timestampDigits, iface, out);
    }

    /**
     * The same for the {@code capLength} bytes from {@code offset} (packets back to back in one array: nothing before
     * {@code offset} or at or after {@code offset + capLength} is read).
     */
    public void decode(int dlt, byte[] data, int offset, int capLength, int wireLength, long epochNanos, int timestampDigits,
                       String iface, PacketRecord out) {
        out.clear();
        out.setTimestamp(epochNanos, timestampDigits);
        out.setString(INTERFACE, iface);
        out.setNumber(LENGTH, wireLength);
        out.setNumber(CAPTURED_LENGTH, capLength);
        out.setString(PROTOCOL, LinkTypes.name(dlt));
        Packet p = packet;
        p.start(data, offset, capLength, wireLength, out);
        try {
            // every layer either moves p.off forward or hands over to a layer further up the stack (IpExtension counts
            // its headers), so the loop ends
            for (Layer layer = LinkTypes.firstLayer(dlt); layer != null; ) {
                layer = layer.decode(p);
            }
        } catch (RuntimeException e) {
            out.setString(DECODE_ERROR, "internal: " + e.getClass().getSimpleName());
        } finally {
            p.finish();
        }
    }
}
