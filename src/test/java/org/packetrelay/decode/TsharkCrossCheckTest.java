package org.packetrelay.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.packetrelay.decode.Packets.*;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.function.Predicate;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.packetrelay.catalog.Field;
import org.packetrelay.catalog.PacketRecord;
import org.pcap4j.core.BpfProgram;
import org.pcap4j.core.PcapDumper;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.PcapNetworkInterface;
import org.pcap4j.core.Pcaps;
import org.pcap4j.core.RawPacketListener;
import org.pcap4j.packet.namednumber.DataLinkType;

/**
 * The decoder's rows against tshark's dissection of the same packets, field by field: real traffic the test makes
 * on the loopback interface (HTTP/1.1 over IPv4 and IPv6, DNS over UDP and TCP, a TLS ClientHello with SNI, ICMP
 * and ICMPv6 echo) captured live with pcap4j, and packets built by hand for what loopback cannot show (IPv6
 * address forms, extension headers, QinQ, ARP, SCTP, GRE, other link types).
 */
class TsharkCrossCheckTest {
    static final String SNI = "sni.example.test";
    static final String QNAME = "www.example.test";

    @TempDir
    Path tmp;

    @Test
    void loopbackTrafficMatchesTshark() throws Exception {
        // make test installs tshark and ping and runs as root: a missing piece fails the test, it is never skipped
        assertTshark();
        PcapNetworkInterface lo = Pcaps.getDevByName("lo");
        assertTrue(lo != null, "no loopback interface");
        PcapHandle handle;
        try {
            handle = lo.openLive(65535, PcapNetworkInterface.PromiscuousMode.NONPROMISCUOUS, 10);
        } catch (PcapNativeException e) {
            throw new AssertionError("cannot capture on lo (the tests run as root, or with cap_net_raw): " + e.getMessage(), e);
        }
        int dnsPort = bindableDnsPort();
        HttpServer http4 = httpServer("127.0.0.1");
        HttpServer http6 = httpServer("::1");
        ServerSocket tls = new ServerSocket(0, 5, InetAddress.getByName("127.0.0.1"));
        int p4 = http4.getAddress().getPort();
        int p6 = http6.getAddress().getPort();
        int pTls = tls.getLocalPort();
        Path pcap = tmp.resolve("loopback.pcap");
        List<Captured> captured = new ArrayList<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        boolean pinged4;
        boolean pinged6;
        try {
            handle.setFilter("tcp port " + p4 + " or tcp port " + p6 + " or tcp port " + pTls + " or port " + dnsPort
                    // echo requests and replies only: other tests' ICMP errors on lo quote their own UDP headers
                    + " or icmp[icmptype] == icmp-echo or icmp[icmptype] == icmp-echoreply"
                    + " or (icmp6 and (ip6[40] == 128 or ip6[40] == 129))", BpfProgram.BpfCompileMode.OPTIMIZE);
            PcapDumper dumper = handle.dumpOpen(pcap.toString());
            int dlt = handle.getDlt().value();
            Thread capture = new Thread(() -> {
                try {
                    handle.loop(-1, (RawPacketListener) bytes -> {
                        Timestamp ts = handle.getTimestamp();
                        Integer orig = handle.getOriginalLength();
                        captured.add(new Captured(dlt, bytes, orig == null ? bytes.length : orig, nanos(ts)));
                        try {
                            dumper.dumpRaw(bytes, ts);
                        } catch (Exception e) {
                            failure.compareAndSet(null, e);
                        }
                    });
                } catch (InterruptedException e) {
                    // breakLoop()
                } catch (Exception e) {
                    failure.compareAndSet(null, e);
                }
            }, "capture-lo");
            capture.start();
            Thread.sleep(200);

            httpGet("http://127.0.0.1:" + p4 + "/hello/a,b?x=1&y=%22q%22");
            httpGet("http://[::1]:" + p6 + "/v6/index.html");
            rawHttp("127.0.0.1", p4, "GET /raw,\"quoted\"/path?a=1 HTTP/1.1\r\nUser-Agent: t\r\nhOsT:   Example.TEST:8080\r\n"
                    + "Connection: close\r\n\r\n");
            dnsUdp("127.0.0.1", dnsPort, 0x1234);
            dnsUdp("::1", dnsPort, 0x2345);
            dnsTcp("127.0.0.1", dnsPort, 0x3456);
            tlsClientHello(tls, pTls);
            pinged4 = ping("127.0.0.1");
            pinged6 = ping("::1");
            Thread.sleep(300);
            handle.breakLoop();
            capture.join(10_000);
            assertTrue(!capture.isAlive(), "capture loop ended");
            dumper.close();
        } finally {
            handle.close();
            http4.stop(0);
            http6.stop(0);
            tls.close();
        }
        if (failure.get() != null) {
            throw new AssertionError("capture failed", failure.get());
        }

        List<PacketRecord> rows = decodeAll(captured);
        String[] decodeAs = {"tcp.port==" + p4 + ",http", "tcp.port==" + p6 + ",http", "tcp.port==" + pTls + ",tls",
                "udp.port==" + dnsPort + ",dns", "tcp.port==" + dnsPort + ",dns"};
        int compared = assertMatchesTshark(pcap, true, rows, decodeAs);

        // the traffic really was there (the comparison alone would pass on an empty capture)
        assertSeen(rows, r -> "GET".equals(r.getString(Field.HTTP_METHOD)) && r.getNumber(Field.IP_VERSION) == 4, "HTTP GET over IPv4");
        assertSeen(rows, r -> "GET".equals(r.getString(Field.HTTP_METHOD)) && r.getNumber(Field.IP_VERSION) == 6, "HTTP GET over IPv6");
        assertSeen(rows, r -> "/hello/a,b?x=1&y=%22q%22".equals(r.getString(Field.HTTP_PATH)), "the path with a comma");
        assertSeen(rows, r -> "/raw,\"quoted\"/path?a=1".equals(r.getString(Field.HTTP_PATH))
                && "Example.TEST:8080".equals(r.getString(Field.HTTP_HOST)), "the raw request's path and Host");
        assertSeen(rows, r -> r.has(Field.HTTP_STATUS_CODE) && r.getNumber(Field.HTTP_STATUS_CODE) == 200, "HTTP 200");
        for (String proto : List.of("UDP", "TCP")) {
            assertSeen(rows, r -> proto.equals(r.getString(Field.PROTOCOL)) && QNAME.equals(r.getString(Field.DNS_QNAME))
                    && r.getBool(Field.DNS_QUERY), "DNS query over " + proto);
            assertSeen(rows, r -> proto.equals(r.getString(Field.PROTOCOL)) && r.has(Field.DNS_RESPONSE) && r.getBool(Field.DNS_RESPONSE)
                    && r.getNumber(Field.DNS_ANSWER_COUNT) == 2 && r.getNumber(Field.DNS_ANSWER_SIZE) == 32, "DNS response over " + proto);
        }
        assertSeen(rows, r -> r.has(Field.DNS_QNAME) && r.getNumber(Field.IP_VERSION) == 6, "DNS over IPv6");
        assertSeen(rows, r -> SNI.equals(r.getString(Field.TLS_SNI)), "TLS SNI");
        assertTrue(pinged4 && pinged6, "ping 127.0.0.1 and ::1 (iputils-ping, installed by make test-deps): " + pinged4 + ", " + pinged6);
        assertSeen(rows, r -> "ICMP".equals(r.getString(Field.PROTOCOL)) && r.getNumber(Field.ICMP_TYPE) == 0, "ICMP echo reply");
        assertSeen(rows, r -> "ICMPv6".equals(r.getString(Field.PROTOCOL)) && r.getNumber(Field.ICMP_TYPE) == 129, "ICMPv6 echo reply");
        System.out.printf("tshark cross-check (loopback): %d packets, %d field values compared (DNS on port %d)%n", rows.size(),
                compared, dnsPort);
    }

    @Test
    void craftedPacketsMatchTshark() throws Exception {
        assertTshark();
        Map<Integer, List<byte[]>> byLinkType = new LinkedHashMap<>();
        List<byte[]> eth = new ArrayList<>();
        // IPv6 text forms (RFC 5952 / inet_ntop), as src and dst of a No Next Header packet
        String[] v6 = {"::c000:201", "::ffff:c000:201", "::1", "::", "1::", "2001:db8::1:0:0:1", "1:0:0:2:0:0:0:3",
                "0:2:3:4:5:6:7:8", "1:0:2:3:4:5:6:7", "fe80::1", "::1:2:3:4:5:6", "::ffff:0:1", "0:0:0:0:0:1:0:0",
                "0:0:0:0:0:0:1:1", "::ffff", "2001:DB8:0:0:0:0:0:ABCD"};
        for (int i = 0; i < v6.length; i++) {
            eth.add(ethernet(0x86DD, ipv6(59, v6[i], v6[(i + 1) % v6.length], new byte[0])));
        }
        byte[] query = dnsQuery(7, QNAME, 28);
        byte[] response = dnsResponse(7, QNAME, "192.0.2.1", "192.0.2.2");
        // IPv6 hop-by-hop, destination options and a first fragment before UDP/DNS; then a later fragment
        byte[] udpQuery = udp(40000, 53, query);
        byte[] ext = concat(bytes(60, 0, 1, 4, 0, 0, 0, 0), bytes(44, 0, 1, 4, 0, 0, 0, 0), bytes(17, 0, 0, 1, 0, 0, 0, 42));
        eth.add(ethernet(0x86DD, ipv6(0, "2001:db8::10", "2001:db8::53", concat(ext, udpQuery))));
        eth.add(ethernet(0x86DD, ipv6(44, "2001:db8::10", "2001:db8::53", concat(bytes(17, 0, 0, 0x21, 0, 0, 0, 43), new byte[24]))));
        // DNS response over IPv4/UDP with compression pointers, and over TCP with its length prefix
        eth.add(ethernet(0x0800, ipv4(17, "192.0.2.53", "192.0.2.10", udp(53, 40000, response))));
        eth.add(ethernet(0x0800, ipv4(6, "192.0.2.10", "192.0.2.53",
                tcp(40001, 53, 1000, 2000, 0x18, 512, concat(be16(query.length), query)))));
        // QinQ (outer 100, inner 200) around IPv4/UDP
        eth.add(ethernet(0x88A8, concat(be16(100), be16(0x8100), be16(200), be16(0x0800),
                ipv4(17, "198.51.100.1", "198.51.100.2", udp(5000, 6000, bytes(1, 2, 3))))));
        // IPv4 with options (IHL 6), TCP SYN with options
        byte[] syn = concat(be16(33000), be16(80), be32(0xFFFFFFF0L), be32(0), bytes(0x70, 0x02), be16(64240), be16(0), be16(0),
                bytes(2, 4, 5, 0xB4, 1, 1, 4, 2));
        eth.add(ethernet(0x0800, concat(bytes(0x46, 0), be16(24 + syn.length), bytes(0, 1, 0x40, 0, 128, 6, 0, 0),
                addr("10.1.1.1"), addr("10.1.1.2"), bytes(1, 1, 1, 0), syn)));
        // HTTP request (odd path, Host name case) and response on port 80, a TLS ClientHello on 443
        eth.add(ethernet(0x0800, ipv4(6, "10.1.1.1", "10.1.1.2", tcp(33000, 80, 1, 1, 0x18, 500,
                "POST /a,b/\"c\"?d=%20 HTTP/1.1\r\nhost: www.Example.com\r\nContent-Length: 0\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)))));
        eth.add(ethernet(0x0800, ipv4(6, "10.1.1.2", "10.1.1.1", tcp(80, 33000, 1, 1, 0x19, 500,
                "HTTP/1.0 404 Not Found\r\nServer: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1)))));
        eth.add(ethernet(0x0800, ipv4(6, "10.1.1.1", "10.1.1.3", tcp(33001, 443, 7, 9, 0x18, 500, clientHello(SNI)))));
        // ARP request and reply
        eth.add(ethernet(0x0806, concat(bytes(0, 1, 8, 0, 6, 4, 0, 1), bytes(2, 0, 0, 0, 0, 1), addr("192.0.2.1"),
                new byte[6], addr("192.0.2.2"))));
        eth.add(ethernet(0x0806, concat(bytes(0, 1, 8, 0, 6, 4, 0, 2), bytes(2, 0, 0, 0, 0, 2), addr("192.0.2.2"),
                bytes(2, 0, 0, 0, 0, 1), addr("192.0.2.1"))));
        // ICMP echo both ways, ICMPv6 echo, neighbor solicitation and advertisement, router advertisement
        eth.add(ethernet(0x0800, ipv4(1, "192.168.0.89", "192.168.0.1", concat(bytes(8, 0, 0, 0, 0, 1, 0, 1), new byte[8]))));
        eth.add(ethernet(0x0800, ipv4(1, "192.168.0.1", "192.168.0.89", concat(bytes(0, 0, 0, 0, 0, 1, 0, 1), new byte[8]))));
        eth.add(ethernet(0x86DD, ipv6(58, "2001:db8::1", "2001:db8::2", concat(bytes(128, 0, 0, 0, 0, 1, 0, 1), new byte[4]))));
        eth.add(ethernet(0x86DD, ipv6(58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea",
                concat(bytes(135, 0, 0, 0, 0, 0, 0, 0), addr("fe80::260:97ff:fe07:69ea")))));
        eth.add(ethernet(0x86DD, ipv6(58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da",
                concat(bytes(136, 0, 0, 0, 0x60, 0, 0, 0), addr("fe80::260:97ff:fe07:69ea")))));
        eth.add(ethernet(0x86DD, ipv6(58, "fe80::260:97ff:fe07:69ea", "ff02::1", concat(bytes(134, 0, 0, 0, 64, 0, 7, 8), new byte[8]))));
        // SCTP (ports), GRE with an unknown payload type and RSVP (no ports)
        eth.add(ethernet(0x0800, ipv4(132, "192.168.170.8", "192.168.170.56", concat(be16(7), be16(7), new byte[8],
                bytes(1, 0, 0, 20), new byte[16]))));
        eth.add(ethernet(0x0800, ipv4(47, "10.9.9.1", "10.9.9.2", concat(bytes(0, 0, 0x12, 0x34), new byte[8]))));
        eth.add(ethernet(0x0800, ipv4(46, "10.1.12.1", "10.1.12.2", concat(bytes(0x10, 1, 0, 0, 64, 0, 0, 8)))));
        byLinkType.put(1, eth);
        // the same IPv4/UDP/DNS packet behind other link layers
        byte[] ip = ipv4(17, "192.0.2.10", "192.0.2.53", udp(40002, 53, query));
        byLinkType.put(113, List.of(concat(bytes(0, 4, 0, 1, 0, 6, 2, 0, 0, 0, 0, 7, 0, 0), be16(0x0800), ip)));
        byLinkType.put(276, List.of(concat(be16(0x0800), bytes(0, 0, 0, 0, 0, 2, 0, 1, 0, 6), bytes(2, 0, 0, 0, 0, 7, 0, 0), ip)));
        byLinkType.put(12, List.of(ip, ipv6(17, "2001:db8::1", "2001:db8::2", udp(40003, 5353, query))));
        byLinkType.put(0, List.of(concat(bytes(2, 0, 0, 0), ip), concat(bytes(0, 0, 0, 30),
                ipv6(17, "2001:db8::1", "2001:db8::2", udp(40003, 5355, query)))));

        int packets = 0;
        int compared = 0;
        for (Map.Entry<Integer, List<byte[]>> e : byLinkType.entrySet()) {
            Path pcap = tmp.resolve("crafted-" + e.getKey() + ".pcap");
            PcapHandle dead = Pcaps.openDead(DataLinkType.getInstance(e.getKey()), 65535);
            try (dead) {
                PcapDumper dumper = dead.dumpOpen(pcap.toString());
                long t = 1_700_000_000_000L;
                for (byte[] p : e.getValue()) {
                    dumper.dumpRaw(p, new Timestamp(t += 1000));
                }
                dumper.close();
            }
            List<Captured> read = Packets.read(pcap).packets();
            assertEquals(e.getValue().size(), read.size());
            List<PacketRecord> rows = decodeAll(read);
            for (PacketRecord r : rows) {
                assertEquals(null, r.getString(Field.DECODE_ERROR), r::toString);
            }
            compared += assertMatchesTshark(pcap, e.getKey() == 1, rows);
            packets += rows.size();
        }
        System.out.printf("tshark cross-check (crafted): %d packets of %d link types, %d field values compared%n", packets,
                byLinkType.size(), compared);
    }

    /** A TLS 1.2 record holding a ClientHello with an ec_point_formats extension, then server_name. */
    static byte[] clientHello(String host) {
        byte[] name = host.getBytes(StandardCharsets.US_ASCII);
        byte[] sni = concat(be16(0), be16(name.length + 5), be16(name.length + 3), bytes(0), be16(name.length), name);
        byte[] exts = concat(be16(11), be16(2), bytes(1, 0), sni);
        byte[] body = concat(bytes(3, 3), new byte[32], bytes(0), be16(2), bytes(0x13, 0x01), bytes(1, 0), be16(exts.length), exts);
        byte[] hs = concat(bytes(1, 0), be16(body.length), body);
        return concat(bytes(22, 3, 1), be16(hs.length), hs);
    }

    // ---- the comparison

    /**
     * tshark fields (the first that has a value counts; "a|b"), and what the decoder's row must say ("" for nothing).
     */
    record Check(String field, Function<PacketRecord, String> expected) {
        List<String> fields() {
            return List.of(field.split("\\|"));
        }
    }

    static final String[] FLAG_NAMES = {"FIN", "SYN", "RST", "PSH", "ACK", "URG", "ECE", "CWR"};

    static List<Check> checks(boolean ethernet) {
        List<Check> c = new ArrayList<>();
        c.add(new Check("frame.len", r -> text(r, Field.LENGTH)));
        c.add(new Check("ip.src", r -> ipv(r, 4, Field.SRC_IP)));
        c.add(new Check("ip.dst", r -> ipv(r, 4, Field.DST_IP)));
        c.add(new Check("ip.ttl", r -> ipv(r, 4, Field.TTL)));
        c.add(new Check("ipv6.src", r -> ipv(r, 6, Field.SRC_IP)));
        c.add(new Check("ipv6.dst", r -> ipv(r, 6, Field.DST_IP)));
        c.add(new Check("ipv6.hlim", r -> ipv(r, 6, Field.TTL)));
        if (ethernet) {
            c.add(new Check("eth.src", r -> text(r, Field.SRC_MAC)));
            c.add(new Check("eth.dst", r -> text(r, Field.DST_MAC)));
        }
        // the outermost tag: an 802.1ad S-tag is ieee8021ad.id to tshark, an 802.1Q tag vlan.id
        c.add(new Check("ieee8021ad.id|vlan.id", r -> text(r, Field.VLAN_ID)));
        for (String l4 : List.of("tcp", "udp", "sctp")) {
            c.add(new Check(l4 + ".srcport", r -> proto(r, l4, Field.SRC_PORT)));
            c.add(new Check(l4 + ".dstport", r -> proto(r, l4, Field.DST_PORT)));
        }
        c.add(new Check("tcp.seq_raw", r -> proto(r, "tcp", Field.SEQ)));
        c.add(new Check("tcp.ack_raw", r -> proto(r, "tcp", Field.ACK)));
        c.add(new Check("tcp.window_size_value", r -> proto(r, "tcp", Field.TCP_WINDOW)));
        c.add(new Check("tcp.len", r -> proto(r, "tcp", Field.PAYLOAD_LENGTH)));
        c.add(new Check("tcp.flags", r -> proto(r, "tcp", Field.TCP_FLAGS)));
        c.add(new Check("udp.length", r -> proto(r, "udp", Field.SRC_PORT).isEmpty() ? ""
                : String.valueOf(r.getNumber(Field.PAYLOAD_LENGTH) + 8)));
        c.add(new Check("icmp.type", r -> proto(r, "icmp", Field.ICMP_TYPE)));
        c.add(new Check("icmp.code", r -> proto(r, "icmp", Field.ICMP_CODE)));
        c.add(new Check("icmpv6.type", r -> proto(r, "icmpv6", Field.ICMP_TYPE)));
        c.add(new Check("icmpv6.code", r -> proto(r, "icmpv6", Field.ICMP_CODE)));
        c.add(new Check("arp.opcode", r -> text(r, Field.ARP_OP)));
        c.add(new Check("arp.src.proto_ipv4", r -> text(r, Field.ARP_PSRC)));
        c.add(new Check("arp.dst.proto_ipv4", r -> text(r, Field.ARP_PDST)));
        c.add(new Check("arp.src.hw_mac", r -> text(r, Field.ARP_HWSRC)));
        c.add(new Check("arp.dst.hw_mac", r -> text(r, Field.ARP_HWDST)));
        c.add(new Check("dns.qry.name", r -> text(r, Field.DNS_QNAME)));
        c.add(new Check("dns.qry.type", r -> text(r, Field.DNS_QTYPE)));
        c.add(new Check("dns.count.answers", r -> text(r, Field.DNS_ANSWER_COUNT)));
        c.add(new Check("dns.flags.response", r -> text(r, Field.DNS_RESPONSE)));
        c.add(new Check("http.request.method", r -> text(r, Field.HTTP_METHOD)));
        c.add(new Check("http.request.uri", r -> text(r, Field.HTTP_PATH)));
        c.add(new Check("http.response.code", r -> text(r, Field.HTTP_STATUS_CODE)));
        c.add(new Check("http.host", r -> text(r, Field.HTTP_HOST)));
        c.add(new Check("tls.handshake.extensions_server_name", r -> text(r, Field.TLS_SNI)));
        // Wireshark 4.0 has no IP-only Community ID for IPv6 (its IPv6 dissector does not record the protocol)
        c.add(new Check("communityid", r -> ipv(r, 6, Field.SRC_IP).isEmpty() || r.has(Field.SRC_PORT) || r.has(Field.ICMP_TYPE)
                ? text(r, Field.COMMUNITY_ID) : ""));
        return c;
    }

    static String text(PacketRecord r, Field f) {
        Object v = r.get(f);
        return v == null ? "" : v.toString();
    }

    static String ipv(PacketRecord r, int version, Field f) {
        return r.has(Field.IP_VERSION) && r.getNumber(Field.IP_VERSION) == version ? text(r, f) : "";
    }

    static String proto(PacketRecord r, String l4, Field f) {
        return l4.equalsIgnoreCase(r.getString(Field.PROTOCOL)) ? text(r, f) : "";
    }

    /** tshark's value in the decoder's notation: booleans true/false, TCP flags as names, the root name as "". */
    static String normalize(String field, String v) {
        return switch (field) {
            case "dns.flags.response" -> v.isEmpty() ? "" : String.valueOf(v.equals("1") || v.equalsIgnoreCase("true"));
            case "dns.qry.name" -> v.equals("<Root>") ? "" : v;
            case "tcp.flags" -> {
                if (v.isEmpty()) {
                    yield "";
                }
                int bits = Integer.decode(v) & 0xFF;
                List<String> names = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    if ((bits & 1 << i) != 0) {
                        names.add(FLAG_NAMES[i]);
                    }
                }
                yield String.join(",", names);
            }
            default -> v;
        };
    }

    /** Runs tshark on the file and compares every check for every packet; returns the number of values compared. */
    static int assertMatchesTshark(Path pcap, boolean ethernet, List<PacketRecord> rows, String... decodeAs) throws Exception {
        List<Check> checks = checks(ethernet);
        List<String> cmd = new ArrayList<>(List.of(tshark(), "-r", pcap.toString(), "-n", "--enable-protocol", "communityid",
                "-o", "tcp.desegment_tcp_streams:FALSE", "-o", "ip.defragment:FALSE", "-o", "ipv6.defragment:FALSE",
                "-T", "fields", "-E", "separator=/t", "-E", "occurrence=f"));
        for (String d : decodeAs) {
            cmd.add("-d");
            cmd.add(d);
        }
        List<String> fields = new ArrayList<>();
        for (Check c : checks) {
            for (String f : c.fields()) {
                cmd.add("-e");
                cmd.add(f);
                fields.add(f);
            }
        }
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "tshark finished");
        assertEquals(0, p.exitValue(), "tshark exit status");
        List<String> lines = out.lines().toList();
        assertEquals(rows.size(), lines.size(), "tshark packets in " + pcap.getFileName());
        List<String> mismatches = new ArrayList<>();
        int compared = 0;
        for (int i = 0; i < rows.size(); i++) {
            String[] cells = lines.get(i).split("\t", -1);
            for (Check c : checks) {
                String theirs = "";
                for (String f : c.fields()) {
                    int k = fields.indexOf(f);
                    if (theirs.isEmpty()) {
                        theirs = normalize(f, k < cells.length ? cells[k] : "");
                    }
                }
                String ours = c.expected().apply(rows.get(i));
                if (!theirs.isEmpty() || !ours.isEmpty()) {
                    compared++;
                }
                if (!theirs.equals(ours)) {
                    mismatches.add("packet " + (i + 1) + " " + c.field() + ": tshark '" + theirs + "', decoder '" + ours + "'");
                }
            }
        }
        assertTrue(mismatches.isEmpty(), () -> pcap.getFileName() + ": " + String.join("\n", mismatches));
        return compared;
    }

    static String tshark() {
        return "/usr/bin/tshark";
    }

    static void assertTshark() {
        assertTrue(Files.isExecutable(Path.of(tshark())), tshark() + " is not installed (make test-deps installs it)");
    }

    static List<PacketRecord> decodeAll(List<Captured> packets) throws IOException {
        PacketDecoder decoder = new PacketDecoder();
        List<PacketRecord> rows = new ArrayList<>();
        for (Captured c : packets) {
            PacketRecord r = new PacketRecord();
            c.decode(decoder, "lo", r);
            assertCsvRoundTrip(r);
            rows.add(r);
        }
        return rows;
    }

    static void assertSeen(List<PacketRecord> rows, Predicate<PacketRecord> p, String what) {
        assertTrue(rows.stream().anyMatch(p), what + " among " + rows.size() + " rows");
    }

    // ---- traffic

    static HttpServer httpServer(String host) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getByName(host), 0), 10);
        s.createContext("/", ex -> {
            byte[] body = ("you asked for " + ex.getRequestURI()).getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Content-Type", "text/plain");
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream o = ex.getResponseBody()) {
                o.write(body);
            }
        });
        s.start();
        return s;
    }

    static void httpGet(String url) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL(url).openConnection();
        c.setRequestProperty("Connection", "close");
        assertEquals(200, c.getResponseCode());
        try (InputStream in = c.getInputStream()) {
            in.readAllBytes();
        }
        c.disconnect();
    }

    /** A request written in one piece, as given (the JDK client would not send this path or Host). */
    static void rawHttp(String host, int port, String request) throws IOException {
        try (Socket s = new Socket(host, port)) {
            s.setSoTimeout(5000);
            s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
            s.getInputStream().readAllBytes();
        }
    }

    /**
     * The first of 53, 5353, 5355 (the DNS ports the decoder knows) free for UDP and TCP on 127.0.0.1 and ::1. Another
     * run of this test may hold them for a moment: tries for up to 60 s, then fails.
     */
    static int bindableDnsPort() throws InterruptedException {
        long deadline = System.nanoTime() + 60_000_000_000L;
        List<String> why = new ArrayList<>();
        do {
            why.clear();
            for (int port : new int[] {53, 5353, 5355}) {
                try (DatagramSocket a = new DatagramSocket(new InetSocketAddress("127.0.0.1", port));
                     DatagramSocket b = new DatagramSocket(new InetSocketAddress("::1", port));
                     ServerSocket c = new ServerSocket(port, 1, InetAddress.getByName("127.0.0.1"))) {
                    return port;
                } catch (IOException e) {
                    why.add(port + ": " + e.getMessage());
                }
            }
            Thread.sleep(500);
        } while (System.nanoTime() - deadline < 0);
        throw new AssertionError("none of the DNS ports 53, 5353, 5355 could be bound on 127.0.0.1 and ::1 within 60 s " + why);
    }

    static void dnsUdp(String host, int port, int id) throws Exception {
        try (DatagramSocket server = new DatagramSocket(new InetSocketAddress(host, port)); DatagramSocket client = new DatagramSocket()) {
            server.setSoTimeout(5000);
            client.setSoTimeout(5000);
            byte[] q = dnsQuery(id, QNAME, 1);
            client.send(new DatagramPacket(q, q.length, server.getLocalSocketAddress()));
            DatagramPacket got = new DatagramPacket(new byte[512], 512);
            server.receive(got);
            byte[] a = dnsResponse(id, QNAME, "192.0.2.1", "192.0.2.2");
            server.send(new DatagramPacket(a, a.length, got.getSocketAddress()));
            client.receive(new DatagramPacket(new byte[512], 512));
        }
    }

    static void dnsTcp(String host, int port, int id) throws Exception {
        try (ServerSocket server = new ServerSocket(port, 1, InetAddress.getByName(host));
             Socket client = new Socket(host, port);
             Socket accepted = server.accept()) {
            client.setSoTimeout(5000);
            accepted.setSoTimeout(5000);
            byte[] q = dnsQuery(id, QNAME, 1);
            client.getOutputStream().write(concat(be16(q.length), q));
            accepted.getInputStream().readNBytes(2 + q.length);
            byte[] a = dnsResponse(id, QNAME, "192.0.2.1", "192.0.2.2");
            accepted.getOutputStream().write(concat(be16(a.length), a));
            client.getInputStream().readNBytes(2 + a.length);
        }
    }

    /** A JDK TLS client sends its ClientHello with SNI to a server that reads it and hangs up. */
    static void tlsClientHello(ServerSocket server, int port) throws Exception {
        Thread t = new Thread(() -> {
            try (Socket s = server.accept()) {
                s.setSoTimeout(5000);
                s.getInputStream().read(new byte[16384]);
            } catch (IOException e) {
                // the client's handshake fails either way
            }
        });
        t.start();
        try (SSLSocket s = (SSLSocket) SSLSocketFactory.getDefault().createSocket("127.0.0.1", port)) {
            s.setSoTimeout(5000);
            SSLParameters params = s.getSSLParameters();
            params.setServerNames(List.of(new SNIHostName(SNI)));
            s.setSSLParameters(params);
            s.startHandshake();
        } catch (IOException | SecurityException expected) {
            // no server hello: only the ClientHello matters
        }
        t.join(5000);
    }

    /** ping (iputils) if it is installed; false if not or if it fails. */
    static boolean ping(String host) {
        try {
            Process p = new ProcessBuilder("ping", "-n", "-c", "2", "-i", "0.2", "-W", "2", host)
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException | InterruptedException e) {
            return false;
        }
    }
}
