package org.packetrelay.decode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.packetrelay.decode.Packets.*;

import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;
import org.packetrelay.catalog.Field;
import org.packetrelay.catalog.PacketRecord;
import org.packetrelay.catalog.WireText;

/** Hand-built and cut-short packets: layer by layer, malformed input, hostile strings and Community ID vectors. */
class PacketDecoderTest {
    final PacketDecoder decoder = new PacketDecoder();
    final PacketRecord rec = new PacketRecord();

    PacketRecord decode(int dlt, byte[] p) {
        return decode(dlt, p, p.length);
    }

    PacketRecord decode(int dlt, byte[] p, int wireLength) {
        decoder.decode(dlt, p, wireLength, 1_700_000_000_123_456_789L, 6, "eth0", rec);
        return rec;
    }

    static final byte[] HTTP_GET = ethernet(0x0800, ipv4(6, "10.0.0.1", "10.0.0.2", tcp(40000, 8080, 100, 200, 0x18, 1000,
            "GET /index.html?q=1 HTTP/1.1\r\nUser-Agent: x\r\nHOST:  example.com \r\n\r\n".getBytes(StandardCharsets.US_ASCII))));
    /** IPv6, hop-by-hop options, a first fragment, UDP, a DNS response with two answers. */
    static final byte[] IPV6_DNS = ethernet(0x86DD, ipv6(0, "2001:db8::1", "2001:db8::2", concat(bytes(44, 0, 1, 4, 0, 0, 0, 0),
            bytes(17, 0, 0, 1, 0, 0, 0, 9), udp(53, 40000, dnsResponse(9, "a.example", "192.0.2.1", "192.0.2.2")))));
    static final byte[] TLS_HELLO = ethernet(0x0800, ipv4(6, "10.0.0.1", "10.0.0.3", tcp(40001, 443, 1, 1, 0x18, 1000,
            TsharkCrossCheckTest.clientHello("www.example.org"))));
    static final byte[] ARP = ethernet(0x0806, concat(bytes(0, 1, 8, 0, 6, 4, 0, 1), bytes(2, 0, 0, 0, 0, 1), addr("192.0.2.1"),
            new byte[6], addr("192.0.2.2")));
    static final byte[] QINQ = ethernet(0x88A8, concat(be16(0x2064), be16(0x8100), be16(200), be16(0x0800),
            ipv4(17, "198.51.100.1", "198.51.100.2", udp(5000, 6000, bytes(1, 2, 3)))));

    // ---- layers

    @Test
    void ethernetIpv4TcpHttp() {
        PacketRecord r = decode(1, HTTP_GET);
        assertNull(r.getString(Field.DECODE_ERROR));
        assertEquals("TCP", r.getString(Field.PROTOCOL));
        assertEquals("02:00:00:00:00:01", r.getString(Field.SRC_MAC));
        assertEquals("02:00:00:00:00:02", r.getString(Field.DST_MAC));
        assertEquals("10.0.0.1", r.getString(Field.SRC_IP));
        assertEquals(4, r.getNumber(Field.IP_VERSION));
        assertEquals(64, r.getNumber(Field.TTL));
        assertEquals(40000, r.getNumber(Field.SRC_PORT));
        assertEquals(8080, r.getNumber(Field.DST_PORT));
        assertEquals(100, r.getNumber(Field.SEQ));
        assertEquals(200, r.getNumber(Field.ACK));
        assertEquals("PSH,ACK", r.getString(Field.TCP_FLAGS));
        assertTrue(r.getBool(Field.TCP_PSH) && r.getBool(Field.TCP_ACK));
        assertFalse(r.getBool(Field.TCP_SYN) || r.getBool(Field.TCP_FIN) || r.getBool(Field.TCP_RST));
        assertEquals(1000, r.getNumber(Field.TCP_WINDOW));
        assertEquals(HTTP_GET.length - 54, r.getNumber(Field.PAYLOAD_LENGTH));
        assertEquals("GET", r.getString(Field.HTTP_METHOD));
        assertEquals("/index.html?q=1", r.getString(Field.HTTP_PATH));
        assertEquals("example.com", r.getString(Field.HTTP_HOST));
        assertEquals(HTTP_GET.length, r.getNumber(Field.LENGTH));
        assertEquals("eth0", r.getString(Field.INTERFACE));
        assertEquals("1700000000.123456", r.get(Field.TIMESTAMP).toString());
    }

    @Test
    void ipv6ExtensionHeadersUdpDns() {
        PacketRecord r = decode(1, IPV6_DNS);
        assertNull(r.getString(Field.DECODE_ERROR));
        assertEquals("UDP", r.getString(Field.PROTOCOL));
        assertEquals("2001:db8::1", r.getString(Field.SRC_IP));
        assertEquals(6, r.getNumber(Field.IP_VERSION));
        assertEquals(53, r.getNumber(Field.SRC_PORT));
        assertTrue(r.getBool(Field.DNS_RESPONSE));
        assertFalse(r.getBool(Field.DNS_QUERY));
        assertEquals("a.example", r.getString(Field.DNS_QNAME));
        assertEquals(1, r.getNumber(Field.DNS_QTYPE));
        assertEquals(2, r.getNumber(Field.DNS_ANSWER_COUNT));
        assertEquals(32, r.getNumber(Field.DNS_ANSWER_SIZE));
    }

    @Test
    void tlsArpQinq() {
        assertEquals("www.example.org", decode(1, TLS_HELLO).getString(Field.TLS_SNI));
        PacketRecord r = decode(1, ARP);
        assertEquals("ARP", r.getString(Field.PROTOCOL));
        assertEquals(1, r.getNumber(Field.ARP_OP));
        assertEquals("192.0.2.1", r.getString(Field.ARP_PSRC));
        assertEquals("192.0.2.2", r.getString(Field.ARP_PDST));
        assertEquals("02:00:00:00:00:01", r.getString(Field.ARP_HWSRC));
        assertEquals("00:00:00:00:00:00", r.getString(Field.ARP_HWDST));
        assertNull(r.getString(Field.SRC_IP));
        r = decode(1, QINQ);
        assertEquals(100, r.getNumber(Field.VLAN_ID), "the outer tag's id");
        assertEquals("UDP", r.getString(Field.PROTOCOL));
        assertEquals(3, r.getNumber(Field.PAYLOAD_LENGTH));
    }

    @Test
    void linkTypes() {
        byte[] ip4 = ipv4(17, "192.0.2.1", "192.0.2.2", udp(1, 2, new byte[0]));
        byte[] ip6 = ipv6(17, "2001:db8::1", "2001:db8::2", udp(1, 2, new byte[0]));
        for (byte[] af : List.of(bytes(2, 0, 0, 0), bytes(0, 0, 0, 2))) {
            assertEquals("192.0.2.1", decode(0, concat(af, ip4)).getString(Field.SRC_IP));
            assertEquals("192.0.2.1", decode(108, concat(af, ip4)).getString(Field.SRC_IP));
        }
        for (int af : new int[] {10, 24, 28, 30}) {
            assertEquals("2001:db8::1", decode(0, concat(bytes(af, 0, 0, 0), ip6)).getString(Field.SRC_IP));
        }
        assertEquals("NULL", decode(0, concat(bytes(7, 0, 0, 0), ip4)).getString(Field.PROTOCOL));
        for (int dlt : new int[] {12, 101}) {
            assertEquals(4, decode(dlt, ip4).getNumber(Field.IP_VERSION));
            assertEquals(6, decode(dlt, ip6).getNumber(Field.IP_VERSION));
        }
        assertEquals("ip: bad version 5", decode(12, concat(bytes(0x55), ip4)).getString(Field.DECODE_ERROR));
        assertEquals("UDP", decode(228, ip4).getString(Field.PROTOCOL));
        assertEquals("UDP", decode(229, ip6).getString(Field.PROTOCOL));
        byte[] sll = concat(bytes(0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 9, 0, 0), be16(0x0800), ip4);
        assertEquals("02:00:00:00:00:09", decode(113, sll).getString(Field.SRC_MAC));
        assertEquals("UDP", rec.getString(Field.PROTOCOL));
        // not decoded further: the link type's name, no error
        for (int[] t : new int[][] {{127, 0}, {9, 0}, {9999, 0}}) {
            PacketRecord r = decode(t[0], ip4);
            assertEquals(t[0] == 127 ? "IEEE802_11_RADIO" : t[0] == 9 ? "PPP" : "DLT_9999", r.getString(Field.PROTOCOL));
            assertNull(r.getString(Field.DECODE_ERROR));
            assertEquals(ip4.length, r.getNumber(Field.CAPTURED_LENGTH));
        }
        assertEquals("LLDP", decode(1, ethernet(0x88CC, new byte[20])).getString(Field.PROTOCOL));
        assertEquals("0x88b5", decode(1, ethernet(0x88B5, new byte[20])).getString(Field.PROTOCOL));
        assertEquals("LLC", decode(1, ethernet(38, concat(bytes(0x42, 0x42, 3), new byte[35]))).getString(Field.PROTOCOL));
        // SNAP with an ether type continues
        assertEquals("UDP", decode(1, ethernet(ip4.length + 8, concat(bytes(0xAA, 0xAA, 3, 0, 0, 0, 8, 0), ip4))).getString(Field.PROTOCOL));
    }

    @Test
    void ipProtocolsAndFragments() {
        assertEquals("GRE", decode(12, ipv4(47, "1.1.1.1", "2.2.2.2", new byte[8])).getString(Field.PROTOCOL));
        assertEquals(8, rec.getNumber(Field.PAYLOAD_LENGTH));
        assertEquals("IP_253", decode(12, ipv4(253, "1.1.1.1", "2.2.2.2", new byte[8])).getString(Field.PROTOCOL));
        assertEquals("ESP", decode(12, ipv6(50, "::1", "::2", new byte[8])).getString(Field.PROTOCOL));
        assertEquals("IPv6-NoNxt", decode(12, ipv6(59, "::1", "::2", new byte[0])).getString(Field.PROTOCOL));
        // AH (length in 4-byte units + 2) before TCP, in IPv4 and IPv6
        byte[] ah = concat(bytes(6, 4), new byte[22]);
        byte[] seg = tcp(1, 2, 3, 4, 2, 5, new byte[0]);
        assertEquals("SYN", decode(12, ipv4(51, "1.1.1.1", "2.2.2.2", concat(ah, seg))).getString(Field.TCP_FLAGS));
        assertEquals("TCP", decode(12, ipv6(51, "::1", "::2", concat(ah, seg))).getString(Field.PROTOCOL));
        // a non-first IPv4 fragment: the protocol, no ports, no error
        byte[] frag = ipv4(17, "1.1.1.1", "2.2.2.2", new byte[16]);
        frag[6] = 0;
        frag[7] = (byte) 185;
        PacketRecord r = decode(12, frag);
        assertEquals("UDP", r.getString(Field.PROTOCOL));
        assertFalse(r.has(Field.SRC_PORT));
        assertNull(r.getString(Field.DECODE_ERROR));
        assertEquals(16, r.getNumber(Field.PAYLOAD_LENGTH));
        assertNull(r.getString(Field.COMMUNITY_ID));
        // payload_length follows the IP length, not the captured bytes
        byte[] big = ipv4(6, "1.1.1.1", "2.2.2.2", tcp(1, 2, 3, 4, 0x10, 5, new byte[1000]));
        assertEquals(1000, decode(12, Arrays.copyOf(big, 100), big.length).getNumber(Field.PAYLOAD_LENGTH));
        assertNull(rec.getString(Field.DECODE_ERROR));
    }

    @Test
    void malformedHeaders() {
        byte[] p = ipv4(6, "1.1.1.1", "2.2.2.2", tcp(1, 2, 3, 4, 2, 5, new byte[0]));
        p[0] = 0x43;
        assertEquals("ipv4: bad IHL 3", decode(12, p).getString(Field.DECODE_ERROR));
        assertEquals("1.1.1.1", rec.getString(Field.SRC_IP), "what was decoded stays");
        p[0] = 0x45;
        p[2] = 0;
        p[3] = 12;
        assertEquals("ipv4: bad total length 12 (header 20 bytes)", decode(12, p).getString(Field.DECODE_ERROR));
        p = ipv4(6, "1.1.1.1", "2.2.2.2", tcp(1, 2, 3, 4, 2, 5, new byte[0]));
        p[32] = 0x40;
        assertEquals("tcp: bad data offset 4", decode(12, p).getString(Field.DECODE_ERROR));
        assertEquals(2, rec.getNumber(Field.DST_PORT));
        p = ipv4(17, "1.1.1.1", "2.2.2.2", udp(1, 53, new byte[4]));
        p[25] = 4;
        assertEquals("udp: bad length 4", decode(12, p).getString(Field.DECODE_ERROR));
        byte[] hops = new byte[0];
        for (int i = 0; i < 17; i++) {
            hops = concat(hops, bytes(60, 0, 0, 0, 0, 0, 0, 0));
        }
        assertEquals("ipv6: more than 16 extension headers", decode(12, ipv6(60, "::1", "::2", hops)).getString(Field.DECODE_ERROR));
        assertEquals("ipv6: bad version 4", decode(229, ipv4(6, "1.1.1.1", "2.2.2.2", new byte[40])).getString(Field.DECODE_ERROR));
        // 16 000 VLAN tags, and VLAN / LLC / SNAP-with-a-VLAN-type repeated: bounded, no stack overflow
        byte[] tags = new byte[64_000];
        for (int i = 0; i < tags.length; i += 4) {
            tags[i + 2] = (byte) 0x81;
        }
        assertEquals("vlan: header truncated (0 of 4 bytes)", decode(1, ethernet(0x8100, tags)).getString(Field.DECODE_ERROR));
        byte[] nest = new byte[0];
        for (int i = 0; i < 5000; i++) {
            nest = concat(nest, be16(1), be16(20), bytes(0xAA, 0xAA, 3, 0, 0, 0, 0x81, 0));
        }
        PacketRecord r = decode(1, ethernet(0x8100, nest));
        assertEquals("LLC", r.getString(Field.PROTOCOL));
        assertNull(r.getString(Field.DECODE_ERROR));
    }

    /** Every prefix of each packet gives a row; decode_error is set exactly when a header is cut. */
    @Test
    void truncatedAtEveryLength() throws Exception {
        // each: packet, and the header ends with the layer whose truncation the error names
        Object[][] cases = {
                {HTTP_GET, new int[] {14, 34, 54}, new String[] {"ethernet", "ipv4", "tcp"}},
                {IPV6_DNS, new int[] {14, 54, 62, 70, 78}, new String[] {"ethernet", "ipv6", "ipv6", "ipv6", "udp"}},
                {TLS_HELLO, new int[] {14, 34, 54}, new String[] {"ethernet", "ipv4", "tcp"}},
                {ARP, new int[] {14, 42}, new String[] {"ethernet", "arp"}},
                {QINQ, new int[] {14, 18, 22, 42, 50}, new String[] {"ethernet", "vlan", "vlan", "ipv4", "udp"}},
        };
        for (Object[] c : cases) {
            byte[] full = (byte[]) c[0];
            int[] ends = (int[]) c[1];
            String[] layers = (String[]) c[2];
            for (int n = 0; n <= full.length; n++) {
                PacketRecord r = decode(1, Arrays.copyOf(full, n), full.length);
                assertCsvRoundTrip(r);
                assertEquals(n, r.getNumber(Field.CAPTURED_LENGTH));
                assertEquals(full.length, r.getNumber(Field.LENGTH));
                assertNotNull(r.getString(Field.PROTOCOL));
                String error = r.getString(Field.DECODE_ERROR);
                int layer = 0;
                while (layer < ends.length && n >= ends[layer]) {
                    layer++;
                }
                if (layer < ends.length) {
                    assertNotNull(error, "cut at " + n);
                    assertTrue(error.startsWith(layers[layer] + ": header truncated"), error + " at " + n);
                } else {
                    assertNull(error, "payload cut at " + n + " is not an error");
                }
            }
        }
        // application fields appear once their bytes are captured
        assertNull(decode(1, Arrays.copyOf(HTTP_GET, 57), HTTP_GET.length).getString(Field.HTTP_METHOD));
        assertEquals("GET", decode(1, Arrays.copyOf(HTTP_GET, 58), HTTP_GET.length).getString(Field.HTTP_METHOD));
        assertEquals("/index", decode(1, Arrays.copyOf(HTTP_GET, 64), HTTP_GET.length).getString(Field.HTTP_PATH));
        assertNull(decode(1, Arrays.copyOf(TLS_HELLO, TLS_HELLO.length - 1), TLS_HELLO.length).getString(Field.TLS_SNI));
        assertEquals("a.example", decode(1, Arrays.copyOf(IPV6_DNS, 78 + 12 + 11 + 4), IPV6_DNS.length).getString(Field.DNS_QNAME));
        assertFalse(rec.has(Field.DNS_ANSWER_SIZE), "answers not captured");
        assertEquals(2, rec.getNumber(Field.DNS_ANSWER_COUNT));
    }

    /** Every corpus packet cut at every length up to 160 bytes: a row, never an internal error. */
    @Test
    void corpusPacketsTruncated() throws Exception {
        int rows = 0;
        for (String[] m : CorpusDecodeTest.manifest()) {
            for (Captured p : Packets.read(CorpusDecodeTest.CORPUS.resolve(m[0])).packets()) {
                for (int n = 0; n < Math.min(p.data().length, 160); n++) {
                    decoder.decode(p.dlt(), Arrays.copyOf(p.data(), n), p.wireLength(), p.epochNanos(), 9, m[0], rec);
                    String error = rec.getString(Field.DECODE_ERROR);
                    assertTrue(error == null || !error.startsWith("internal"), () -> m[0] + ": " + rec);
                    assertNotNull(rec.getString(Field.PROTOCOL));
                    rows++;
                }
            }
        }
        assertTrue(rows > 500_000, "rows " + rows);
    }

    // ---- DNS

    static byte[] dnsUdp(byte[] message) {
        return ipv4(17, "192.0.2.1", "192.0.2.2", udp(40000, 53, message));
    }

    static byte[] dnsHeader(int questions, int answers) {
        return concat(bytes(0, 1, 0x81, 0x80), be16(questions), be16(answers), bytes(0, 0, 0, 0));
    }

    /** Two questions: "x", then a pointer to the last of {@code n} pointers after the questions, each to the one before. */
    static byte[] pointerChain(int n) {
        byte[] head = concat(dnsHeader(2, 0), dnsName("x"), be16(1), be16(1));
        int chainStart = head.length + 6;
        byte[] chain = new byte[0];
        for (int i = 0; i < n; i++) {
            chain = concat(chain, pointer(i == 0 ? 12 : chainStart + 2 * (i - 1)));
        }
        return concat(head, pointer(chainStart + 2 * (n - 1)), be16(1), be16(1), chain);
    }

    static byte[] pointer(int offset) {
        return bytes(0xC0 | offset >> 8, offset);
    }

    @Test
    void dnsPointerLoopsAndBadNames() {
        // a question name that points at itself, and two names pointing at each other
        assertEquals("dns: label pointer loop", decode(12, dnsUdp(concat(dnsHeader(1, 0), bytes(0xC0, 12, 0, 1, 0, 1))))
                .getString(Field.DECODE_ERROR));
        assertTrue(rec.getBool(Field.DNS_RESPONSE), "the header stays");
        assertEquals("dns: label pointer loop", decode(12, dnsUdp(concat(dnsHeader(1, 0), bytes(1, 'a', 0xC0, 16, 0xC0, 12))))
                .getString(Field.DECODE_ERROR));
        // the question is fine, the answer's owner name loops: qname kept, no answer size
        PacketRecord r = decode(12, dnsUdp(concat(dnsHeader(1, 1), dnsName("ok.test"), be16(1), be16(1), bytes(0xC0, 25, 0xC0, 25))));
        assertEquals("dns: label pointer loop", r.getString(Field.DECODE_ERROR));
        assertEquals("ok.test", r.getString(Field.DNS_QNAME));
        assertFalse(r.has(Field.DNS_ANSWER_SIZE));
        // a chain of pointers: 128 jumps are fine, 129 are not
        assertNull(decode(12, dnsUdp(pointerChain(127))).getString(Field.DECODE_ERROR));
        assertEquals("x", rec.getString(Field.DNS_QNAME));
        assertEquals("dns: label pointer loop", decode(12, dnsUdp(pointerChain(128))).getString(Field.DECODE_ERROR));
        // longer than 255 bytes, by labels and through a pointer
        String label = "a".repeat(63);
        byte[] longName = dnsName(String.join(".", label, label, label, label));
        assertEquals("dns: name longer than 255 bytes", decode(12, dnsUdp(concat(dnsHeader(1, 0), longName, be16(1), be16(1))))
                .getString(Field.DECODE_ERROR));
        byte[] name253 = dnsName(String.join(".", label, label, label, "a".repeat(61)));
        assertNull(decode(12, dnsUdp(concat(dnsHeader(1, 0), name253, be16(1), be16(1)))).getString(Field.DECODE_ERROR));
        assertEquals(253, rec.getString(Field.DNS_QNAME).length());
        assertEquals("dns: bad label type 0x40", decode(12, dnsUdp(concat(dnsHeader(1, 0), bytes(0x41, 0), be16(1), be16(1))))
                .getString(Field.DECODE_ERROR));
        // a message shorter than its counts: an error when the whole datagram was captured, not when snaplen cut it
        byte[] shortMsg = dnsUdp(concat(dnsHeader(1, 1), dnsName("x"), be16(1), be16(1)));
        assertEquals("dns: message truncated (19 bytes)", decode(12, shortMsg).getString(Field.DECODE_ERROR));
        assertEquals("dns: header truncated (4 of 12 bytes)", decode(12, dnsUdp(new byte[4])).getString(Field.DECODE_ERROR));
        byte[] full = dnsUdp(dnsResponse(1, "x.y", "1.2.3.4"));
        assertNull(decode(12, Arrays.copyOf(full, full.length - 3), full.length).getString(Field.DECODE_ERROR));
        assertEquals("x.y", rec.getString(Field.DNS_QNAME));
    }

    @Test
    void dnsOverTcp() {
        byte[] q = dnsQuery(5, "tcp.example", 16);
        PacketRecord r = decode(12, ipv4(6, "1.1.1.1", "2.2.2.2", tcp(40000, 53, 1, 1, 0x18, 9, concat(be16(q.length), q))));
        assertEquals("tcp.example", r.getString(Field.DNS_QNAME));
        assertEquals(16, r.getNumber(Field.DNS_QTYPE));
        assertTrue(r.getBool(Field.DNS_QUERY));
        // a message split over segments: the first segment decodes without error
        r = decode(12, ipv4(6, "1.1.1.1", "2.2.2.2", tcp(40000, 53, 1, 1, 0x18, 9, concat(be16(q.length + 100), q))));
        assertEquals("tcp.example", r.getString(Field.DNS_QNAME));
        assertNull(r.getString(Field.DECODE_ERROR));
        // a continuation segment: no DNS fields, no error
        byte[] text = "continuation of a big answer, not a header".getBytes(StandardCharsets.US_ASCII);
        r = decode(12, ipv4(6, "1.1.1.1", "2.2.2.2", tcp(53, 40000, 1, 1, 0x18, 9, text)));
        assertFalse(r.has(Field.DNS_QUERY));
        assertNull(r.getString(Field.DECODE_ERROR));
        // not a DNS port: no DNS
        assertFalse(decode(12, ipv4(17, "1.1.1.1", "2.2.2.2", udp(40000, 8053, q))).has(Field.DNS_QUERY));
    }

    // ---- HTTP, TLS and hostile strings

    @Test
    void httpLines() {
        for (String m : List.of("GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE")) {
            assertEquals(m, http(m + " / HTTP/1.0\r\n\r\n").getString(Field.HTTP_METHOD));
        }
        assertFalse(http("GETX / HTTP/1.1\r\n").has(Field.HTTP_METHOD));
        assertFalse(http("get / HTTP/1.1\r\n").has(Field.HTTP_METHOD));
        assertEquals(301, http("HTTP/1.1 301 Moved Permanently\r\nLocation: /x\r\n\r\n").getNumber(Field.HTTP_STATUS_CODE));
        assertFalse(http("HTTP/1.1 30x nope\r\n").has(Field.HTTP_STATUS_CODE));
        assertFalse(http("HTTP/2 200\r\n").has(Field.HTTP_STATUS_CODE));
        assertEquals("/no-version", http("GET /no-version\r\nHost: h\r\n").getString(Field.HTTP_PATH));
        assertFalse(rec.has(Field.HTTP_HOST));
        assertEquals("h2", http("GET / HTTP/1.1\r\nX-Host: h1\r\nhost:\th2\t\r\n\r\nHost: h3\r\n").getString(Field.HTTP_HOST));
        assertFalse(http("GET / HTTP/1.1\r\n\r\nHost: body\r\n").has(Field.HTTP_HOST), "a Host line after the headers");
        assertEquals("/cut", http("GET /cut").getString(Field.HTTP_PATH));
    }

    PacketRecord http(String payload) {
        return decode(12, ipv4(6, "1.1.1.1", "2.2.2.2", tcp(1234, 5678, 1, 1, 0x18, 9, payload.getBytes(StandardCharsets.ISO_8859_1))));
    }

    /** Wire text with commas, quotes, CR/LF, NUL, invalid UTF-8 and 10 kB survives CSV and comes back byte for byte. */
    @Test
    void hostileStringsSurviveCsv() throws Exception {
        byte[] nasty = concat("/a,b\"c\"\r\nd\u0000".getBytes(StandardCharsets.ISO_8859_1), bytes(0xFF, 0xFE, 0xC3, 0x28, '\\', 'x', '4', '1'),
                "é€😀".getBytes(StandardCharsets.UTF_8), "z".repeat(10_000).getBytes(StandardCharsets.US_ASCII));
        byte[] hostHostile = concat("h,\"o\"".getBytes(StandardCharsets.US_ASCII), bytes(0xFF, 0, 7), "st".getBytes(StandardCharsets.US_ASCII));
        byte[] request = concat("GET ".getBytes(StandardCharsets.US_ASCII), nasty, " HTTP/1.1\r\nHost: ".getBytes(StandardCharsets.US_ASCII),
                hostHostile, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        PacketRecord r = decode(12, ipv4(6, "1.1.1.1", "2.2.2.2", tcp(1, 80, 1, 1, 0x18, 9, request)));
        assertRoundTrips(r, Field.HTTP_PATH, nasty);
        assertRoundTrips(r, Field.HTTP_HOST, hostHostile);

        byte[] label = concat(bytes('a', ',', '"', 0, 0xFF, '\n', '\\'), "é".getBytes(StandardCharsets.UTF_8));
        byte[] msg = concat(dnsHeader(1, 0), bytes(label.length), label, bytes(3, 'c', 'o', 'm', 0), be16(1), be16(1));
        r = decode(12, dnsUdp(msg));
        assertRoundTrips(r, Field.DNS_QNAME, concat(label, ".com".getBytes(StandardCharsets.US_ASCII)));

        String sni = "x\",\r\ny\u007f\\x41";
        r = decode(12, ipv4(6, "1.1.1.1", "2.2.2.2", tcp(1, 443, 1, 1, 0x18, 9, TsharkCrossCheckTest.clientHello(sni))));
        assertRoundTrips(r, Field.TLS_SNI, sni.getBytes(StandardCharsets.US_ASCII));
    }

    /**
     * Escaping makes a byte that is not UTF-8 four characters: a 10 kB path of such bytes is 40,000 characters and
     * round-trips exactly; a 20 kB one would be 80,000, beyond the receiver's max-string-length (65,536), and the
     * receiver would refuse the whole spool file. Wire text is cut at WireText.MAX_CHARS with a marker; what is kept
     * still unescapes exactly.
     */
    private static int receiverMaxStringLength() throws java.io.IOException {
        java.util.Properties p = new java.util.Properties();
        try (java.io.Reader r = java.nio.file.Files.newBufferedReader(java.nio.file.Path.of("application.properties"))) {
            p.load(r);
        }
        return Integer.parseInt(p.getProperty("receiver.max-string-length"));
    }

    @Test
    void hostileWireTextIsCappedBelowTheReceiversStringLimit() throws Exception {
        byte[] tenKb = new byte[10_000];
        Arrays.fill(tenKb, (byte) 0xFF);
        PacketRecord whole = decode(12, ipv4(6, "1.1.1.1", "2.2.2.2", tcp(1, 80, 1, 1, 0x18, 9, concat(
                "GET ".getBytes(StandardCharsets.US_ASCII), tenKb, " HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII)))));
        assertEquals(40_000, whole.getString(Field.HTTP_PATH).length());
        assertFalse(WireText.isTruncated(whole.getString(Field.HTTP_PATH)));
        assertArrayEquals(tenKb, WireText.unescape(whole.getString(Field.HTTP_PATH)));

        byte[] invalid = new byte[20_000];
        Arrays.fill(invalid, (byte) 0xFF);
        byte[] request = concat("GET ".getBytes(StandardCharsets.US_ASCII), invalid, " HTTP/1.1\r\nHost: ".getBytes(StandardCharsets.US_ASCII),
                invalid, "\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        PacketRecord r = decode(12, ipv4(6, "1.1.1.1", "2.2.2.2", tcp(1, 80, 1, 1, 0x18, 9, request)));
        for (Field f : List.of(Field.HTTP_PATH, Field.HTTP_HOST)) {
            String v = r.getString(f);
            assertEquals(WireText.MAX_CHARS, v.length(), f.key());
            assertTrue(WireText.MAX_CHARS <= receiverMaxStringLength(), "within the receiver's default limit");
            assertTrue(WireText.isTruncated(v), f.key());
            assertTrue(v.endsWith("\\xFF\\..."), v.substring(v.length() - 20));
            byte[] kept = WireText.unescape(v);
            assertEquals((WireText.MAX_CHARS - WireText.TRUNCATED.length()) / 4, kept.length);
            assertArrayEquals(Arrays.copyOf(invalid, kept.length), kept);
        }
        assertNull(r.getString(Field.DECODE_ERROR));
        assertCsvRoundTrip(r);

        byte[] longSni = new byte[20_000];
        Arrays.fill(longSni, (byte) 'a');
        r = decode(12, ipv4(6, "1.1.1.1", "2.2.2.2", tcp(1, 443, 1, 1, 0x18, 9,
                TsharkCrossCheckTest.clientHello(new String(longSni, StandardCharsets.US_ASCII)))));
        assertEquals("a".repeat(20_000), r.getString(Field.TLS_SNI), "a long server name is kept whole");
    }

    static void assertRoundTrips(PacketRecord r, Field f, byte[] original) throws Exception {
        assertCsvRoundTrip(r);
        StringBuilder sb = new StringBuilder();
        r.appendCsv(sb);
        try (CSVParser p = CSVParser.parse(new StringReader(sb.toString()), CSVFormat.RFC4180)) {
            CSVRecord row = p.getRecords().get(0);
            String cell = row.get(f.ordinal());
            assertFalse(cell.contains("\r") || cell.contains("\n") || cell.contains("\u0000"), cell);
            assertArrayEquals(original, WireText.unescape(cell), f.key());
        }
    }

    // ---- IPv6 text and Community ID

    @Test
    void ipv6TextIsRfc5952AsInetNtop() {
        // expected values printed by glibc inet_ntop and by tshark 4.0 for the same addresses
        String[][] cases = {{"::c000:201", "::192.0.2.1"}, {"::ffff:c000:201", "::ffff:192.0.2.1"}, {"::1", "::1"}, {"::", "::"},
                {"1::", "1::"}, {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"}, {"1:0:0:2:0:0:0:3", "1:0:0:2::3"},
                {"0:2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"}, {"1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"}, {"FE80:0:0:0:0:0:0:1", "fe80::1"},
                {"::ffff:0:1", "::ffff:0.0.0.1"}, {"0:0:0:0:0:1:0:0", "::1:0:0"}, {"0:0:0:0:0:0:1:1", "::0.1.0.1"}, {"::ffff", "::ffff"},
                {"2001:db8:0:0:1:0:0:0", "2001:db8:0:0:1::"}, {"2001:0db8:00a0::000f", "2001:db8:a0::f"}};
        for (String[] c : cases) {
            assertEquals(c[1], decode(229, ipv6(59, c[0], "::", new byte[0])).getString(Field.SRC_IP), c[0]);
        }
    }

    /** The Community ID spec's baseline (corelight/community-id-spec, baseline_deflt.json), both directions. */
    @Test
    void communityIdMatchesTheSpecBaseline() {
        Object[][] v = {
                {58, "fe80::200:86ff:fe05:80da", "fe80::260:97ff:fe07:69ea", 135, 0, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="},
                {58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 136, 0, "1:dGHyGvjMfljg6Bppwm3bg0LO8TY="},
                {58, "fe80::260:97ff:fe07:69ea", "fe80::200:86ff:fe05:80da", 135, 0, "1:zavyT/cezQr1fmImYCwYnMXbgck="},
                {58, "3ffe:501:1800:2345::2", "3ffe:507:0:1:200:86ff:fe05:80da", 3, 0, "1:2ObVBgIn28oZvibYZhZMBgh7WdQ="},
                {58, "3ffe:501:410:0:2c0:dfff:fe47:33e", "3ffe:507:0:1:200:86ff:fe05:80da", 1, 4, "1:hLZd0XGWojozrvxqE0dWB1iM6R0="},
                {58, "3ffe:507:0:1:200:86ff:fe05:80da", "3ffe:501:0:1001::2", 128, 0, "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg="},
                {58, "3ffe:501:0:1001::2", "3ffe:507:0:1:200:86ff:fe05:80da", 129, 0, "1:+TW+HtLHvV1xnGhV1lv7XoJrqQg="},
                {58, "fe80::200:86ff:fe05:80da", "ff02::2", 133, 0, "1:hO+sN4H+MG5MY/8hIrXPqc4ZQz0="},
                {58, "fe80::260:97ff:fe07:69ea", "ff02::1", 134, 0, "1:pkvHqCL88/tg1k4cPigmZXUtL00="},
                {1, "192.168.0.89", "192.168.0.1", 8, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="},
                {1, "192.168.0.1", "192.168.0.89", 0, 0, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk="},
                {1, "10.0.0.1", "10.0.0.2", 11, 0, "1:YHxtAirCG//0OzkcVAukqKQN9xM="},
                {6, "2001:470:e5bf:dead:4957:2174:e82c:4887", "2607:f8b0:400c:c03::1a", 63943, 25, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
                {6, "2607:f8b0:400c:c03::1a", "2001:470:e5bf:dead:4957:2174:e82c:4887", 25, 63943, "1:/qFaeAR+gFe1KYjMzVDsMv+wgU4="},
                {132, "192.168.170.8", "192.168.170.56", 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="},
                {132, "192.168.170.56", "192.168.170.8", 7, 7, "1:MP2EtRCAUIZvTw6MxJHLV7N7JDs="},
                {6, "128.232.110.120", "66.35.250.204", 34855, 80, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
                {6, "66.35.250.204", "128.232.110.120", 80, 34855, "1:LQU9qZlK+B5F3KDmev6m5PMibrg="},
                {17, "192.168.1.52", "8.8.8.8", 54585, 53, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="},
                {17, "8.8.8.8", "192.168.1.52", 53, 54585, "1:d/FP5EW3wiY1vCndhwleRRKHowQ="},
                {46, "10.1.12.1", "10.1.12.2", 0, 0, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw="},
                {46, "10.1.12.2", "10.1.12.1", 0, 0, "1:KHlLkgoJW7ifUTyTSgyVfkFHzKw="},
        };
        for (Object[] t : v) {
            int proto = (int) t[0];
            int a = (int) t[3];
            int b = (int) t[4];
            byte[] l4 = switch (proto) {
                case 1, 58 -> bytes(a, b, 0, 0, 0, 0, 0, 0);
                case 6 -> tcp(a, b, 1, 1, 0x10, 1, new byte[0]);
                case 17 -> udp(a, b, new byte[0]);
                case 132 -> concat(be16(a), be16(b), new byte[8]);
                default -> new byte[4];
            };
            String src = (String) t[1];
            byte[] ip = src.contains(":") ? ipv6(proto, src, (String) t[2], l4) : ipv4(proto, src, (String) t[2], l4);
            assertEquals(t[5], decode(12, ip).getString(Field.COMMUNITY_ID), Arrays.toString(t));
        }
    }

    @Test
    void decoderStateDoesNotLeakBetweenPackets() {
        decode(1, IPV6_DNS);
        PacketRecord r = decode(1, ARP);
        for (Field f : List.of(Field.SRC_IP, Field.SRC_PORT, Field.DNS_QNAME, Field.COMMUNITY_ID, Field.TTL, Field.PAYLOAD_LENGTH)) {
            assertFalse(r.has(f), f.key());
        }
        String cid = decode(1, HTTP_GET).getString(Field.COMMUNITY_ID);
        decode(1, IPV6_DNS);
        assertEquals(cid, decode(1, HTTP_GET).getString(Field.COMMUNITY_ID));
    }
}
