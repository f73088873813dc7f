package org.packetrelay.decode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.packetrelay.decode.Packets.*;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;
import org.packetrelay.catalog.Field;
import org.packetrelay.catalog.PacketRecord;
import org.packetrelay.catalog.WireText;

/**
 * The decoder as a whole: a packet through every layer, every prefix of packets, hostile strings through CSV, no
 * state kept between packets. Each layer has its own test class ({@link LinkLayerTest}, {@link IpTest}, {@link DnsTest}...).
 */
class PacketDecoderTest extends LayerTest {

    static final byte[] HTTP_GET = ethernet(0x0800, ipv4(6, "10.0.0.1", "10.0.0.2", tcp(40000, 8080, 100, 200, 0x18, 1000,
            "GET /index.html?q=1 HTTP/1.1\r\nUser-Agent: x\r\nHOST:  example.com \r\n\r\n".getBytes(StandardCharsets.US_ASCII))));
    /** IPv6, hop-by-hop options, a first fragment, UDP, a DNS response with two answers. */
    static final byte[] IPV6_DNS = IpTest.IPV6_DNS;
    static final byte[] TLS_HELLO = ethernet(0x0800, ipv4(6, "10.0.0.1", "10.0.0.3", tcp(40001, 443, 1, 1, 0x18, 1000,
            TsharkCrossCheckTest.clientHello("www.example.org"))));
    static final byte[] ARP = ArpTest.ARP;
    static final byte[] QINQ = LinkLayerTest.QINQ;

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







    // ---- hostile strings



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
        byte[] msg = concat(DnsTest.dnsHeader(1, 0), bytes(label.length), label, bytes(3, 'c', 'o', 'm', 0), be16(1), be16(1));
        r = decode(12, DnsTest.dnsUdp(msg));
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
    private static int receiverMaxStringLength() throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(Path.of("application.properties"))) {
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
