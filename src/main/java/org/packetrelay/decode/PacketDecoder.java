package org.packetrelay.decode;

import static org.packetrelay.catalog.Field.*;

import java.nio.charset.StandardCharsets;
import java.security.DigestException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import org.packetrelay.catalog.PacketRecord;

/**
 * Decodes one captured packet into a {@link PacketRecord}, in the style of smoltcp's {@code wire} module:
 * flyweight big-endian reads over the captured bytes, one length check per layer, no exceptions on bad input
 * and no allocation beyond the strings it sets. One instance per capture thread (it holds scratch buffers and a
 * SHA-1 digest), reused for every packet.
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
 * the fields decoded before that point stay. An application payload (DNS, HTTP, TLS) cut short by the capture
 * (snaplen) or by TCP segmentation is not an error: what is there is decoded and fields needing the missing
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
 * <p><b>DNS</b>: {@code dns_query}/{@code dns_response} from QR, {@code dns_qname} the first question's labels
 * joined by {@code .} without the trailing dot (label bytes escaped by {@link org.packetrelay.catalog.WireText};
 * a {@code .} inside a label is kept as is; the root name gives null), {@code dns_qtype} its type,
 * {@code dns_answer_count} ANCOUNT, {@code dns_answer_size} the encoded size in bytes of the whole answer
 * section (every answer RR's owner name as it appears on the wire, 10 fixed bytes and RDATA), set only when the
 * whole section was captured. Names follow at most 128 compression pointers and may be at most 255 bytes.
 * Over TCP the segment must start with a 2-byte length prefix whose message header is plausible (counts that
 * fit the length); a continuation segment gives no DNS fields and no error.
 *
 * <p><b>HTTP</b>: a TCP payload starting with {@code <METHOD> } (GET POST PUT DELETE HEAD OPTIONS PATCH CONNECT
 * TRACE): {@code http_path} is every byte between the method's space and the first {@code " HTTP/1."} (or the
 * end of the line/capture if there is none), {@code http_host} the first Host header's value (name matched case
 * insensitively, value trimmed of spaces and tabs) within the captured bytes. A payload starting with
 * {@code HTTP/1.x NNN} gives {@code http_status_code}.
 *
 * <p><b>community_id</b>: Community ID v1, seed 0, base64, as Zeek, Suricata and Wireshark compute it (ICMP and
 * ICMPv6 types mapped to ports, one-way types not reordered; protocols other than TCP, UDP, SCTP, ICMP and
 * ICMPv6 without ports), always of the outermost IP header (Wireshark takes a tunnel's innermost). Not set for
 * non-first fragments (Zeek and Suricata reassemble; a packet alone has no ports) and when the L4 header is too
 * short for its ports.
 */
public final class PacketDecoder {
    private static final int MAX_POINTER_JUMPS = 128;
    private static final int MAX_EXTENSION_HEADERS = 16;

    private static final String[] IP_PROTO = new String[256];
    private static final String[] DLT_NAME = new String[300];
    private static final String[] TCP_FLAGS_TEXT = new String[256];
    private static final int[] ICMP4_PEER = new int[256];
    private static final int[] ICMP6_PEER = new int[256];
    private static final byte[][] METHODS;
    private static final String[] METHOD_NAMES = {"GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE"};
    private static final byte[] HTTP_VERSION = " HTTP/1.".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] HOST = "host:".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] HEX = "0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final Base64.Encoder BASE64 = Base64.getEncoder();

    static {
        String protos = "0=HOPOPT 1=ICMP 2=IGMP 3=GGP 4=IPv4 5=ST 6=TCP 8=EGP 9=IGP 17=UDP 27=RDP 29=ISO-TP4 33=DCCP "
                + "41=IPv6 43=IPv6-Route 44=IPv6-Frag 46=RSVP 47=GRE 50=ESP 51=AH 55=MOBILE 58=ICMPv6 59=IPv6-NoNxt "
                + "60=IPv6-Opts 88=EIGRP 89=OSPF 94=IPIP 97=ETHERIP 98=ENCAP 103=PIM 108=IPComp 112=VRRP 113=PGM "
                + "115=L2TP 124=ISIS 132=SCTP 135=Mobility 136=UDPLite 137=MPLS-in-IP 139=HIP 143=Ethernet";
        // libpcap's pcap_datalink_val_to_name() for 0..299 (the corpus test compares this table with libpcap)
        String dlts = "0=NULL 1=EN10MB 6=IEEE802 7=ARCNET 8=SLIP 9=PPP 10=FDDI 11=ATM_RFC1483 12=RAW 15=SLIP_BSDOS "
                + "16=PPP_BSDOS 19=ATM_CLIP 50=PPP_SERIAL 51=PPP_ETHER 99=SYMANTEC_FIREWALL 104=C_HDLC 105=IEEE802_11 "
                + "107=FRELAY 108=LOOP 109=ENC 113=LINUX_SLL 114=LTALK 117=PFLOG 119=PRISM_HEADER 122=IP_OVER_FC "
                + "123=SUNATM 127=IEEE802_11_RADIO 129=ARCNET_LINUX 130=JUNIPER_MLPPP 131=JUNIPER_MLFR 132=JUNIPER_ES "
                + "133=JUNIPER_GGSN 134=JUNIPER_MFR 135=JUNIPER_ATM2 136=JUNIPER_SERVICES 137=JUNIPER_ATM1 "
                + "138=APPLE_IP_OVER_IEEE1394 139=MTP2_WITH_PHDR 140=MTP2 141=MTP3 142=SCCP 143=DOCSIS 144=LINUX_IRDA "
                + "163=IEEE802_11_RADIO_AVS 164=JUNIPER_MONITOR 165=BACNET_MS_TP 166=PPP_PPPD 167=JUNIPER_PPPOE "
                + "168=JUNIPER_PPPOE_ATM 169=GPRS_LLC 170=GPF_T 171=GPF_F 174=JUNIPER_PIC_PEER 175=ERF_ETH 176=ERF_POS "
                + "177=LINUX_LAPD 178=JUNIPER_ETHER 179=JUNIPER_PPP 180=JUNIPER_FRELAY 181=JUNIPER_CHDLC 182=MFR "
                + "183=JUNIPER_VP 184=A429 185=A653_ICM 186=USB_FREEBSD 187=BLUETOOTH_HCI_H4 188=IEEE802_16_MAC_CPS "
                + "189=USB_LINUX 190=CAN20B 191=IEEE802_15_4_LINUX 192=PPI 193=IEEE802_16_MAC_CPS_RADIO 194=JUNIPER_ISM "
                + "195=IEEE802_15_4 196=SITA 197=ERF 198=RAIF1 199=IPMB_KONTRON 200=JUNIPER_ST "
                + "201=BLUETOOTH_HCI_H4_WITH_PHDR 202=AX25_KISS 209=IPMB_LINUX 215=IEEE802_15_4_NONASK_PHY "
                + "216=LINUX_EVDEV 219=MPLS 220=USB_LINUX_MMAPPED 221=DECT 222=AOS 223=WIHART 224=FC_2 "
                + "225=FC_2_WITH_FRAME_DELIMS 226=IPNET 227=CAN_SOCKETCAN 228=IPV4 229=IPV6 230=IEEE802_15_4_NOFCS "
                + "231=DBUS 232=JUNIPER_VS 233=JUNIPER_SRX_E2E 234=JUNIPER_FIBRECHANNEL 235=DVB_CI 236=MUX27010 "
                + "237=STANAG_5066_D_PDU 238=JUNIPER_ATM_CEMIC 239=NFLOG 240=NETANALYZER 241=NETANALYZER_TRANSPARENT "
                + "242=IPOIB 243=MPEG_2_TS 244=NG40 245=NFC_LLCP 246=PFSYNC 247=INFINIBAND 248=SCTP 249=USBPCAP "
                + "250=RTAC_SERIAL 251=BLUETOOTH_LE_LL 253=NETLINK 254=BLUETOOTH_LINUX_MONITOR 255=BLUETOOTH_BREDR_BB "
                + "256=BLUETOOTH_LE_LL_WITH_PHDR 257=PROFIBUS_DL 258=PKTAP 259=EPON 260=IPMI_HPM_2 261=ZWAVE_R1_R2 "
                + "262=ZWAVE_R3 263=WATTSTOPPER_DLM 264=ISO_14443 265=RDS 266=USB_DARWIN 267=OPENFLOW 268=SDLC "
                + "269=TI_LLN_SNIFFER 271=VSOCK 272=NORDIC_BLE 273=DOCSIS31_XRA31 274=ETHERNET_MPACKET "
                + "275=DISPLAYPORT_AUX 276=LINUX_SLL2 278=OPENVIZSLA 279=EBHSCR 280=VPP_DISPATCH 281=DSA_TAG_BRCM "
                + "282=DSA_TAG_BRCM_PREPEND 283=IEEE802_15_4_TAP 284=DSA_TAG_DSA 285=DSA_TAG_EDSA 286=ELEE "
                + "287=Z_WAVE_SERIAL 288=USB_2_0 289=ATSC_ALP";
        fill(IP_PROTO, protos, "IP_");
        fill(DLT_NAME, dlts, "DLT_");
        String[] flagNames = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};
        for (int f = 0; f < 256; f++) {
            StringBuilder sb = new StringBuilder();
            for (int bit = 0; bit < 8; bit++) {
                if ((f & 1 << bit) != 0) {
                    sb.append(sb.length() > 0 ? "," : "").append(flagNames[bit]);
                }
            }
            TCP_FLAGS_TEXT[f] = sb.toString();
        }
        // Community ID: ICMP request/reply pairs (Zeek's mapping); other types are one-way
        Arrays.fill(ICMP4_PEER, -1);
        Arrays.fill(ICMP6_PEER, -1);
        pairs(ICMP4_PEER, 8, 0, 13, 14, 15, 16, 10, 9, 17, 18);
        pairs(ICMP6_PEER, 128, 129, 130, 131, 133, 134, 135, 136, 139, 140, 144, 145);
        METHODS = new byte[METHOD_NAMES.length][];
        for (int i = 0; i < METHODS.length; i++) {
            METHODS[i] = (METHOD_NAMES[i] + " ").getBytes(StandardCharsets.US_ASCII);
        }
    }

    private static void fill(String[] table, String spec, String unknownPrefix) {
        for (String kv : spec.split(" ")) {
            int eq = kv.indexOf('=');
            table[Integer.parseInt(kv.substring(0, eq))] = kv.substring(eq + 1);
        }
        for (int i = 0; i < table.length; i++) {
            if (table[i] == null) {
                table[i] = unknownPrefix + i;
            }
        }
    }

    private static void pairs(int[] table, int... p) {
        for (int i = 0; i < p.length; i += 2) {
            table[p[i]] = p[i + 1];
            table[p[i + 1]] = p[i];
        }
    }

    /** libpcap's name of a link type ({@code pcap_datalink_val_to_name}), {@code DLT_<n>} if it has none. */
    public static String linkTypeName(int dlt) {
        return dlt >= 0 && dlt < DLT_NAME.length ? DLT_NAME[dlt] : "DLT_" + dlt;
    }

    private final MessageDigest sha1;
    private final byte[] flowTuple = new byte[40];
    private final byte[] digest = new byte[20];
    private final byte[] digestBase64 = new byte[28];
    private final byte[] communityId = new byte[30];
    private final byte[] text = new byte[48];
    private final byte[] name = new byte[256];

    // the packet being decoded
    private byte[] d;
    private PacketRecord r;
    /** Offset of the IP source address; the destination follows it. */
    private int ipSrc;
    private int ipAddrLen;
    /** The packet's length on the wire (at least the captured length). */
    private int wireLen;

    public PacketDecoder() {
        try {
            sha1 = MessageDigest.getInstance("SHA-1");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("the JDK has no SHA-1", e);
        }
        communityId[0] = '1';
        communityId[1] = ':';
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
        out.clear();
        out.setTimestamp(epochNanos, timestampDigits);
        out.setString(INTERFACE, iface);
        out.setNumber(LENGTH, wireLength);
        out.setNumber(CAPTURED_LENGTH, capLength);
        out.setString(PROTOCOL, linkTypeName(dlt));
        d = data;
        r = out;
        wireLen = Math.max(wireLength, capLength);
        try {
            link(dlt, capLength);
        } catch (RuntimeException e) {
            out.setString(DECODE_ERROR, "internal: " + e.getClass().getSimpleName());
        } finally {
            d = null;
            r = null;
        }
    }

    // ---- link layer

    private void link(int dlt, int end) {
        switch (dlt) {
            case 1 -> {
                if (need("ethernet", 0, 14, end)) {
                    r.setString(DST_MAC, mac(0));
                    r.setString(SRC_MAC, mac(6));
                    ether(u16(12), 14, end);
                }
            }
            case 113 -> {
                if (need("sll", 0, 16, end)) {
                    sll(u16(14), 16, u16(4), 6, end);
                }
            }
            case 276 -> {
                if (need("sll2", 0, 20, end)) {
                    sll(u16(0), 20, u8(11), 12, end);
                }
            }
            case 12, 101 -> {
                if (need("raw", 0, 1, end)) {
                    ip(u8(0) >> 4, 0, end);
                }
            }
            case 228 -> ipv4(0, end);
            case 229 -> ipv6(0, end);
            case 0, 108 -> {
                if (need("null", 0, 4, end)) {
                    int af = (int) u32(0);
                    if ((af & 0xFFFF0000) != 0) {
                        af = Integer.reverseBytes(af);
                    }
                    switch (af) {
                        case 2 -> ipv4(4, end);
                        case 10, 24, 28, 30 -> ipv6(4, end);
                        default -> { }
                    }
                }
            }
            default -> { }
        }
    }

    private void sll(int type, int off, int addrLen, int addrOff, int end) {
        if (addrLen == 6) {
            r.setString(SRC_MAC, mac(addrOff));
        }
        if (type >= 0x0600 || type == 4) { // ETH_P_802_2: an LLC header follows
            ether(type, off, end);
        }
    }

    /** The ether type {@code type} whose payload starts at {@code off}. */
    private void ether(int type, int off, int end) {
        while (isVlan(type)) {
            r.setString(PROTOCOL, "VLAN");
            if (!need("vlan", off, 4, end)) {
                return;
            }
            if (!r.has(VLAN_ID)) {
                r.setNumber(VLAN_ID, u16(off) & 0xFFF);
            }
            type = u16(off + 2);
            off += 4;
        }
        switch (type) {
            case 0x0800 -> ipv4(off, end);
            case 0x86DD -> ipv6(off, end);
            case 0x0806 -> arp(off, end);
            default -> {
                if (type >= 0x0600) {
                    r.setString(PROTOCOL, etherTypeName(type));
                    return;
                }
                // 802.3 length field (or Linux ETH_P_802_2): LLC, maybe SNAP with an ether type (RFC 1042); not a
                // VLAN tag, whose inner LLC could nest again
                r.setString(PROTOCOL, "LLC");
                if (end - off >= 8 && u16(off) == 0xAAAA && u8(off + 2) == 3 && u16(off + 3) == 0 && u8(off + 5) == 0
                        && u16(off + 6) >= 0x0600 && !isVlan(u16(off + 6))) {
                    ether(u16(off + 6), off + 8, end);
                }
            }
        }
    }

    private static boolean isVlan(int type) {
        return type == 0x8100 || type == 0x88A8 || type == 0x9100;
    }

    private String etherTypeName(int type) {
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
            default -> {
                text[0] = '0';
                text[1] = 'x';
                for (int i = 0; i < 4; i++) {
                    text[2 + i] = HEX[type >> (12 - 4 * i) & 0xF];
                }
                yield ascii(6);
            }
        };
    }

    private void arp(int off, int end) {
        r.setString(PROTOCOL, "ARP");
        if (!need("arp", off, 8, end)) {
            return;
        }
        r.setNumber(ARP_OP, u16(off + 6));
        if (u16(off) != 1 || u16(off + 2) != 0x0800 || u8(off + 4) != 6 || u8(off + 5) != 4 || !need("arp", off, 28, end)) {
            return; // not Ethernet/IPv4: the operation only
        }
        r.setString(ARP_HWSRC, mac(off + 8));
        r.setString(ARP_PSRC, ipv4Text(off + 14));
        r.setString(ARP_HWDST, mac(off + 18));
        r.setString(ARP_PDST, ipv4Text(off + 24));
    }

    // ---- IP

    private void ip(int version, int off, int end) {
        switch (version) {
            case 4 -> ipv4(off, end);
            case 6 -> ipv6(off, end);
            default -> error("ip: bad version " + version);
        }
    }

    private void ipv4(int off, int end) {
        if (!need("ipv4", off, 20, end)) {
            return;
        }
        int version = u8(off) >> 4;
        if (version != 4) {
            error("ipv4: bad version " + version);
            return;
        }
        int proto = u8(off + 9);
        r.setNumber(IP_VERSION, 4);
        r.setNumber(TTL, u8(off + 8));
        r.setString(SRC_IP, ipv4Text(off + 12));
        r.setString(DST_IP, ipv4Text(off + 16));
        r.setString(PROTOCOL, IP_PROTO[proto]);
        int ihl = u8(off) & 0xF;
        int headerLen = ihl * 4;
        int totalLen = u16(off + 2);
        if (totalLen == 0) {
            totalLen = wireLen - off; // TSO / BIG TCP: the length is the packet's, as tcpdump and Wireshark take it
        }
        if (ihl < 5) {
            error("ipv4: bad IHL " + ihl);
        } else if (totalLen < headerLen) {
            error("ipv4: bad total length " + totalLen + " (header " + headerLen + " bytes)");
        } else if (need("ipv4", off, headerLen, end)) {
            ipSrc = off + 12;
            ipAddrLen = 4;
            end = Math.min(end, off + totalLen);
            if ((u16(off + 6) & 0x1FFF) != 0) {
                r.setNumber(PAYLOAD_LENGTH, totalLen - headerLen); // a non-first fragment: no L4 header here
            } else {
                transport(proto, off + headerLen, end, totalLen - headerLen, false);
            }
        }
    }

    private void ipv6(int off, int end) {
        if (!need("ipv6", off, 40, end)) {
            return;
        }
        int version = u8(off) >> 4;
        if (version != 6) {
            error("ipv6: bad version " + version);
            return;
        }
        r.setNumber(IP_VERSION, 6);
        r.setNumber(TTL, u8(off + 7));
        r.setString(SRC_IP, ipv6Text(off + 8));
        r.setString(DST_IP, ipv6Text(off + 24));
        r.setString(PROTOCOL, "IPv6");
        ipSrc = off + 8;
        ipAddrLen = 16;
        int payloadLen = u16(off + 4);
        int next = u8(off + 6);
        if (payloadLen == 0 && next != 59) {
            payloadLen = wireLen - off - 40; // a jumbogram or BIG TCP: the length is the packet's, as tcpdump takes it
        }
        transport(next, off + 40, Math.min(end, off + 40 + payloadLen), payloadLen, true);
    }

    /**
     * The IP payload of protocol {@code proto} at {@code off}: {@code len} bytes as the IP header announces,
     * captured up to {@code end} (never beyond {@code off + len}).
     */
    private void transport(int proto, int off, int end, int len, boolean v6) {
        for (int headers = 0; proto == 51 || v6 && (proto == 0 || proto == 43 || proto == 44 || proto == 60 || proto == 135); headers++) {
            String layer = proto == 51 ? "ah" : "ipv6";
            if (headers == MAX_EXTENSION_HEADERS) {
                error(layer + ": more than " + MAX_EXTENSION_HEADERS + " extension headers");
                return;
            }
            if (!need(layer, off, proto == 44 ? 8 : 2, end)) {
                return;
            }
            int next = u8(off);
            int headerLen = proto == 51 ? (u8(off + 1) + 2) * 4 : proto == 44 ? 8 : (u8(off + 1) + 1) * 8;
            if (!need(layer, off, headerLen, end)) {
                return;
            }
            if (proto == 44 && (u16(off + 2) & 0xFFF8) != 0) { // a non-first fragment
                r.setString(PROTOCOL, IP_PROTO[next]);
                r.setNumber(PAYLOAD_LENGTH, len - headerLen);
                return;
            }
            proto = next;
            off += headerLen;
            len -= headerLen;
        }
        r.setString(PROTOCOL, IP_PROTO[proto]);
        switch (proto) {
            case 6 -> tcp(off, end, len);
            case 17 -> udp(off, end, len);
            case 132 -> {
                if (need("sctp", off, 12, end)) {
                    ports(132, off);
                    r.setNumber(PAYLOAD_LENGTH, len - 12);
                }
            }
            case 1, 58 -> {
                if (need(proto == 1 ? "icmp" : "icmpv6", off, 8, end)) {
                    int type = u8(off);
                    int code = u8(off + 1);
                    r.setNumber(ICMP_TYPE, type);
                    r.setNumber(ICMP_CODE, code);
                    r.setNumber(PAYLOAD_LENGTH, len - 8);
                    int peer = (proto == 1 ? ICMP4_PEER : ICMP6_PEER)[type];
                    flow(proto, type, peer < 0 ? code : peer, true, peer < 0);
                }
            }
            default -> {
                r.setNumber(PAYLOAD_LENGTH, len);
                flow(proto, 0, 0, false, false);
            }
        }
    }

    /** Sets the ports of TCP, UDP or SCTP at {@code off} and the community ID. */
    private void ports(int proto, int off) {
        r.setNumber(SRC_PORT, u16(off));
        r.setNumber(DST_PORT, u16(off + 2));
        flow(proto, u16(off), u16(off + 2), true, false);
    }

    private void tcp(int off, int end, int len) {
        if (!need("tcp", off, 20, end)) {
            return;
        }
        ports(6, off);
        int flags = u8(off + 13);
        r.setNumber(SEQ, u32(off + 4));
        r.setNumber(ACK, u32(off + 8));
        r.setString(TCP_FLAGS, TCP_FLAGS_TEXT[flags]);
        r.setBool(TCP_FIN, (flags & 1) != 0);
        r.setBool(TCP_SYN, (flags & 2) != 0);
        r.setBool(TCP_RST, (flags & 4) != 0);
        r.setBool(TCP_PSH, (flags & 8) != 0);
        r.setBool(TCP_ACK, (flags & 16) != 0);
        r.setNumber(TCP_WINDOW, u16(off + 14));
        int dataOffset = u8(off + 12) >> 4;
        int headerLen = dataOffset * 4;
        if (dataOffset < 5) {
            error("tcp: bad data offset " + dataOffset);
            return;
        }
        if (!need("tcp", off, headerLen, end)) {
            return;
        }
        r.setNumber(PAYLOAD_LENGTH, len - headerLen);
        int p = off + headerLen;
        if (p >= end) {
            return;
        }
        if (dnsPort(u16(off)) || dnsPort(u16(off + 2))) {
            // a segment starting a message: a length prefix and header counts that fit it; else a continuation
            int msgLen = end - p >= 14 ? u16(p) : 0;
            if (msgLen >= 12 && u16(p + 6) * 5L + (u16(p + 8) + u16(p + 10) + (long) u16(p + 12)) * 11 <= msgLen - 12) {
                dns(p + 2, Math.min(end, p + 2 + msgLen), p + 2 + msgLen);
            }
        } else if (!http(p, end)) {
            tls(p, end);
        }
    }

    private void udp(int off, int end, int len) {
        if (!need("udp", off, 8, end)) {
            return;
        }
        ports(17, off);
        int udpLen = u16(off + 4);
        if (udpLen == 0 && len > 0xFFFF) {
            udpLen = len; // RFC 2675 (and BIG TCP tunnels): the length is the IP payload's
        }
        if (udpLen < 8) {
            error("udp: bad length " + udpLen);
            return;
        }
        int payloadLen = Math.min(udpLen, len) - 8;
        r.setNumber(PAYLOAD_LENGTH, payloadLen);
        if (payloadLen > 0 && (dnsPort(u16(off)) || dnsPort(u16(off + 2)))) {
            int msgEnd = off + 8 + payloadLen;
            dns(off + 8, Math.min(end, msgEnd), msgEnd);
        }
    }

    private static boolean dnsPort(int port) {
        return port == 53 || port == 5353 || port == 5355;
    }

    // ---- community ID

    /** Community ID v1 of the current IP header's addresses with {@code proto} and, if {@code hasPorts}, ports. */
    private void flow(int proto, int srcPort, int dstPort, boolean hasPorts, boolean oneWay) {
        int a = ipSrc;
        int b = ipSrc + ipAddrLen;
        int cmp = Arrays.compareUnsigned(d, a, b, d, b, b + ipAddrLen);
        if (!oneWay && (cmp > 0 || cmp == 0 && srcPort > dstPort)) {
            a = b;
            b = ipSrc;
            int t = srcPort;
            srcPort = dstPort;
            dstPort = t;
        }
        byte[] t = flowTuple;
        t[0] = 0; // seed 0, 2 bytes
        t[1] = 0;
        System.arraycopy(d, a, t, 2, ipAddrLen);
        System.arraycopy(d, b, t, 2 + ipAddrLen, ipAddrLen);
        int n = 2 + 2 * ipAddrLen;
        t[n++] = (byte) proto;
        t[n++] = 0;
        if (hasPorts) {
            t[n++] = (byte) (srcPort >> 8);
            t[n++] = (byte) srcPort;
            t[n++] = (byte) (dstPort >> 8);
            t[n++] = (byte) dstPort;
        }
        sha1.update(t, 0, n);
        try {
            sha1.digest(digest, 0, digest.length);
        } catch (DigestException e) {
            throw new IllegalStateException(e);
        }
        BASE64.encode(digest, digestBase64);
        System.arraycopy(digestBase64, 0, communityId, 2, digestBase64.length);
        r.setString(COMMUNITY_ID, new String(communityId, 0, communityId.length, StandardCharsets.ISO_8859_1));
    }

    // ---- DNS

    /**
     * A DNS message at {@code off}; {@code end} is the end of the captured bytes, {@code msgEnd} where the message
     * ends by the UDP length or the TCP length prefix.
     */
    private void dns(int off, int end, int msgEnd) {
        if (end - off < 12) {
            dnsShort(off, end, msgEnd, "header truncated (" + (end - off) + " of 12 bytes)");
            return;
        }
        int flags = u16(off + 2);
        int questions = u16(off + 4);
        int answers = u16(off + 6);
        r.setBool(DNS_QUERY, (flags & 0x8000) == 0);
        r.setBool(DNS_RESPONSE, (flags & 0x8000) != 0);
        r.setNumber(DNS_ANSWER_COUNT, answers);
        int p = off + 12;
        for (int i = 0; i < questions; i++) {
            p = name(off, p, end, i == 0);
            if (p == -2) {
                return;
            }
            if (p < 0 || p + 4 > end) {
                dnsShort(off, end, msgEnd, "message truncated (" + (end - off) + " bytes)");
                return;
            }
            if (i == 0) {
                r.setNumber(DNS_QTYPE, u16(p));
            }
            p += 4;
        }
        int answersStart = p;
        for (int i = 0; i < answers; i++) {
            p = name(off, p, end, false);
            if (p == -2) {
                return;
            }
            if (p < 0 || p + 10 > end || (p += 10 + u16(p + 8)) > end) {
                dnsShort(off, end, msgEnd, "message truncated (" + (end - off) + " bytes)");
                return;
            }
        }
        r.setNumber(DNS_ANSWER_SIZE, p - answersStart);
    }

    /** A DNS read past {@code end}: an error only when the whole message was captured. */
    private void dnsShort(int off, int end, int msgEnd, String why) {
        if (end >= msgEnd) {
            error("dns: " + why);
        }
    }

    /**
     * Walks the name at {@code p} of the message at {@code msg}; stores it as dns_qname if {@code store}.
     * Returns the offset after the name, -1 if it runs past {@code end}, -2 if malformed (error set).
     */
    private int name(int msg, int p, int end, boolean store) {
        int after = -1;
        int jumps = 0;
        int wireLen = 1;
        int n = 0;
        while (true) {
            if (p >= end) {
                return -1;
            }
            int len = u8(p);
            if (len == 0) {
                break;
            }
            if ((len & 0xC0) == 0xC0) {
                if (p + 1 >= end) {
                    return -1;
                }
                if (++jumps > MAX_POINTER_JUMPS) {
                    error("dns: label pointer loop");
                    return -2;
                }
                if (after < 0) {
                    after = p + 2;
                }
                p = msg + ((len & 0x3F) << 8 | u8(p + 1));
                continue;
            }
            if ((len & 0xC0) != 0) {
                error("dns: bad label type 0x" + Integer.toHexString(len & 0xC0));
                return -2;
            }
            wireLen += len + 1;
            if (wireLen > 255) {
                error("dns: name longer than 255 bytes");
                return -2;
            }
            if (p + 1 + len > end) {
                return -1;
            }
            if (store) {
                if (n > 0) {
                    name[n++] = '.';
                }
                System.arraycopy(d, p + 1, name, n, len);
                n += len;
            }
            p += 1 + len;
        }
        if (store) {
            r.setWireText(DNS_QNAME, name, 0, n);
        }
        return after >= 0 ? after : p + 1;
    }

    // ---- HTTP and TLS

    /** An HTTP/1.x request or status line at {@code off}; false if the payload starts with neither. */
    private boolean http(int off, int end) {
        for (int m = 0; m < METHODS.length; m++) {
            if (startsWith(off, end, METHODS[m])) {
                r.setString(HTTP_METHOD, METHOD_NAMES[m]);
                int path = off + METHODS[m].length;
                int version = indexOf(path, end, HTTP_VERSION);
                r.setWireText(HTTP_PATH, d, path, (version >= 0 ? version : lineEnd(path, end)) - path);
                if (version >= 0) {
                    host(nextLine(version, end), end);
                }
                return true;
            }
        }
        if (end - off >= 12 && startsWith(off, end, HTTP_VERSION, 1) && d[off + 8] == ' ' && digit(off + 9) && digit(off + 10)
                && digit(off + 11)) {
            r.setNumber(HTTP_STATUS_CODE, (d[off + 9] - '0') * 100 + (d[off + 10] - '0') * 10 + d[off + 11] - '0');
            return true;
        }
        return false;
    }

    /** The Host header among the header lines from {@code p}. */
    private void host(int p, int end) {
        while (p < end) {
            int e = lineEnd(p, end);
            if (e == p) {
                return; // the empty line ending the headers
            }
            if (e - p >= HOST.length && startsWithIgnoreCase(p, HOST)) {
                int a = p + HOST.length;
                while (a < e && (d[a] == ' ' || d[a] == '\t')) {
                    a++;
                }
                while (e > a && (d[e - 1] == ' ' || d[e - 1] == '\t')) {
                    e--;
                }
                r.setWireText(HTTP_HOST, d, a, e - a);
                return;
            }
            p = nextLine(p, end);
        }
    }

    /** The server_name of a TLS ClientHello at {@code off}, if this segment holds it. */
    private void tls(int off, int end) {
        if (end - off < 9 || d[off] != 22 || d[off + 1] != 3 || d[off + 5] != 1) {
            return;
        }
        int limit = Math.min(end, Math.min(off + 5 + u16(off + 3), off + 9 + (u8(off + 6) << 16 | u16(off + 7))));
        int p = off + 9 + 2 + 32; // client version, random
        if (p >= limit) {
            return;
        }
        p += 1 + u8(p); // session id
        if (p + 2 > limit) {
            return;
        }
        p += 2 + u16(p); // cipher suites
        if (p >= limit) {
            return;
        }
        p += 1 + u8(p); // compression methods
        if (p + 2 > limit) {
            return;
        }
        limit = Math.min(limit, p + 2 + u16(p));
        p += 2;
        while (p + 4 <= limit) {
            int type = u16(p);
            int extEnd = Math.min(limit, p + 4 + u16(p + 2));
            p += 4;
            if (type == 0) { // server_name: list length, then (type, length, name)...
                if (p + 2 > extEnd) {
                    return;
                }
                extEnd = Math.min(extEnd, p + 2 + u16(p));
                for (p += 2; p + 3 <= extEnd; p += 3 + u16(p + 1)) {
                    if (d[p] == 0 && p + 3 + u16(p + 1) <= extEnd) {
                        r.setWireText(TLS_SNI, d, p + 3, u16(p + 1));
                        return;
                    }
                }
                return;
            }
            p = extEnd;
        }
    }

    // ---- reading helpers

    private int u8(int i) {
        return d[i] & 0xFF;
    }

    private int u16(int i) {
        return (d[i] & 0xFF) << 8 | d[i + 1] & 0xFF;
    }

    private long u32(int i) {
        return (long) u16(i) << 16 | u16(i + 2);
    }

    private boolean digit(int i) {
        return d[i] >= '0' && d[i] <= '9';
    }

    /** True if {@code n} bytes from {@code off} were captured; else sets a truncation error. */
    private boolean need(String layer, int off, int n, int end) {
        if (end - off >= n) {
            return true;
        }
        error(layer + ": header truncated (" + Math.max(0, end - off) + " of " + n + " bytes)");
        return false;
    }

    private void error(String why) {
        r.setString(DECODE_ERROR, why);
    }

    private boolean startsWith(int off, int end, byte[] s) {
        return startsWith(off, end, s, 0);
    }

    /** Whether the bytes at {@code off} are {@code s} from index {@code from}. */
    private boolean startsWith(int off, int end, byte[] s, int from) {
        int n = s.length - from;
        return end - off >= n && Arrays.equals(d, off, off + n, s, from, s.length);
    }

    private boolean startsWithIgnoreCase(int off, byte[] lower) {
        for (int i = 0; i < lower.length; i++) {
            int c = d[off + i];
            if ((c >= 'A' && c <= 'Z' ? c + 32 : c) != lower[i]) {
                return false;
            }
        }
        return true;
    }

    private int indexOf(int from, int end, byte[] s) {
        for (int i = from, last = end - s.length; i <= last; i++) {
            if (d[i] == s[0] && Arrays.equals(d, i, i + s.length, s, 0, s.length)) {
                return i;
            }
        }
        return -1;
    }

    /** The end of the line at {@code p} without its CR LF or LF (at most {@code end}). */
    private int lineEnd(int p, int end) {
        while (p < end && d[p] != '\n' && d[p] != '\r') {
            p++;
        }
        return p;
    }

    /** The start of the line after the one holding {@code p}. */
    private int nextLine(int p, int end) {
        while (p < end && d[p] != '\n') {
            p++;
        }
        return p + 1;
    }

    // ---- text

    private String mac(int off) {
        int n = 0;
        for (int i = 0; i < 6; i++) {
            if (i > 0) {
                text[n++] = ':';
            }
            text[n++] = HEX[u8(off + i) >> 4];
            text[n++] = HEX[u8(off + i) & 0xF];
        }
        return ascii(n);
    }

    private String ascii(int n) {
        return new String(text, 0, n, StandardCharsets.ISO_8859_1);
    }

    private String ipv4Text(int off) {
        return ascii(dottedQuad(off, 0));
    }

    /** Writes the dotted quad of 4 bytes at {@code off} into {@code text} from {@code n}; returns the new length. */
    private int dottedQuad(int off, int n) {
        for (int i = 0; i < 4; i++) {
            if (i > 0) {
                text[n++] = '.';
            }
            int v = u8(off + i);
            if (v >= 100) {
                text[n++] = (byte) ('0' + v / 100);
            }
            if (v >= 10) {
                text[n++] = (byte) ('0' + v / 10 % 10);
            }
            text[n++] = (byte) ('0' + v % 10);
        }
        return n;
    }

    /** RFC 5952 text, as inet_ntop writes it: the longest (first if tied) run of 2+ zero groups is "::". */
    private String ipv6Text(int off) {
        int best = -1;
        int bestLen = 0;
        for (int i = 0, run = 0; i < 8; i++) {
            run = u16(off + 2 * i) == 0 ? run + 1 : 0;
            if (run > bestLen) {
                bestLen = run;
                best = i - run + 1;
            }
        }
        if (bestLen < 2) {
            best = -1;
            bestLen = 0;
        }
        int n = 0;
        for (int i = 0; i < 8; i++) {
            if (i == best) {
                text[n++] = ':';
                text[n++] = ':';
                i += bestLen - 1;
                continue;
            }
            if (i > 0 && i != best + bestLen) {
                text[n++] = ':';
            }
            if (i == 6 && best == 0 && (bestLen == 6 || bestLen == 5 && u16(off + 10) == 0xFFFF)) {
                n = dottedQuad(off + 12, n); // IPv4-compatible ::a.b.c.d or IPv4-mapped ::ffff:a.b.c.d
                break;
            }
            int g = u16(off + 2 * i);
            for (int shift = 12; shift >= 0; shift -= 4) {
                if (g >> shift != 0 || shift == 0) {
                    text[n++] = HEX[g >> shift & 0xF];
                }
            }
        }
        return ascii(n);
    }
}
