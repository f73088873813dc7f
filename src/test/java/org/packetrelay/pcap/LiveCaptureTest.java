package org.packetrelay.pcap;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.apache.camel.CamelContext;
import org.apache.camel.ServiceStatus;
import org.apache.camel.test.main.junit5.CamelMainTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.packetrelay.catalog.WireText;
import org.packetrelay.testing.SpoolFiles;
import org.packetrelay.testing.Traffic;

import org.apache.camel.BeanInject;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The capture route from routes/capture.yaml, run by camel-main, capturing real traffic that the test sends on
 * the loopback interface, spooled into real files.
 */
@CamelMainTest(propertyPlaceholderLocations = "file:application.properties", useJmx = true,
               properties = {
                       "camel.main.routes-include-pattern=file:routes/capture.yaml",
                       "camel.server.enabled=false",
                       "camel.management.enabled=false",
                       "relay.roles=sniffer",
                       "relay.logs-dir=target/test-spool/live",
                       "sniffer.interfaces=lo",
                       "sniffer.save-interval=1",
                       // ports the test uses (see below); icmp for ping; a filter with && proves URI-safe passing
                       "sniffer.filter=(udp and (port 47001 or port 47002 or port 47003)) || (tcp && port 47004) || icmp || icmp6",
               })
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LiveCaptureTest {
    static final Path SPOOL = Paths.get("target/test-spool/live/pending_upload");

    static {
        try {
            SpoolFiles.deleteTree(Paths.get("target/test-spool/live"));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @BeanInject
    CamelContext context;

    @AfterAll
    static void cleanUp() throws Exception {
        SpoolFiles.deleteTree(Paths.get("target/test-spool/live"));
    }

    private static long count(List<Map<String, String>> rows, String key, String value) {
        return rows.stream().filter(r -> value.equals(r.get(key))).count();
    }

    @Test
    @Order(1)
    void udpTcpIcmpAndIpv6AreCapturedDecodedAndSpooled() throws Exception {
        Traffic.udp("127.0.0.1", 47001, 25, "hello".getBytes(StandardCharsets.US_ASCII));
        Traffic.udp("::1", 47002, 7, "hello6".getBytes(StandardCharsets.US_ASCII));
        byte[] request = "GET /index.html?q=1 HTTP/1.1\r\nHost: example.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] reply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII);
        Traffic.tcpExchange("127.0.0.1", 47004, request, reply);
        Traffic.ping("127.0.0.1", 3);
        Traffic.ping("::1", 2);

        List<Map<String, String>> rows = SpoolFiles.awaitRows(SPOOL, r ->
                count(r, "dst_port", "47001") >= 25 && count(r, "dst_port", "47002") >= 7
                && count(r, "http_status_code", "200") >= 1 && count(r, "icmp_type", "0") >= 3
                && count(r, "icmp_type", "129") >= 2, 30_000);

        assertEquals(25, rows.stream().filter(r -> "47001".equals(r.get("dst_port")) && "UDP".equals(r.get("protocol"))
                                                    && "127.0.0.1".equals(r.get("src_ip")) && "4".equals(r.get("ip_version"))
                                                    && "lo".equals(r.get("interface"))).count());
        assertEquals(7, rows.stream().filter(r -> "47002".equals(r.get("dst_port")) && "::1".equals(r.get("dst_ip"))
                                                   && "6".equals(r.get("ip_version"))).count());
        Map<String, String> get = rows.stream().filter(r -> "GET".equals(r.get("http_method"))).findFirst().orElseThrow();
        assertEquals("/index.html?q=1", get.get("http_path"));
        assertEquals("example.test", get.get("http_host"));
        assertEquals("47004", get.get("dst_port"));
        assertEquals("TCP", get.get("protocol"));
        assertTrue(get.get("tcp_flags").contains("PSH"), get.get("tcp_flags"));
        assertEquals(String.valueOf(request.length), get.get("payload_length"));
        assertTrue(get.get("community_id").startsWith("1:"), get.get("community_id"));
        // the handshake: exactly one SYN without ACK towards the server
        assertEquals(1, rows.stream().filter(r -> "47004".equals(r.get("dst_port")) && "true".equals(r.get("tcp_syn"))
                                                  && "false".equals(r.get("tcp_ack"))).count());
        assertTrue(count(rows, "icmp_type", "8") >= 3, "echo requests");
        assertTrue(count(rows, "icmp_type", "128") >= 2, "ICMPv6 echo requests");
        for (Map<String, String> r : rows) {
            assertNotNull(r.get("timestamp"));
            assertTrue(r.get("timestamp").matches("\\d{10}\\.\\d{6}"), r.get("timestamp"));
            assertEquals(r.get("length"), r.get("captured_length"));
            assertEquals(null, r.get("decode_error"), r.toString());
        }
    }

    @Test
    @Order(2)
    void hostileHttpPathsNeverShiftAColumn() throws Exception {
        byte[] path = new byte[10_000];
        byte[] pattern = "/x,y\"z\u0000\\".getBytes(StandardCharsets.ISO_8859_1);
        for (int i = 0; i < path.length; i++) {
            path[i] = pattern[i % pattern.length];
        }
        path[0] = '/';
        path[17] = (byte) 0xFF; // invalid UTF-8
        path[18] = (byte) 0xC3; // a valid two-byte sequence: é
        path[19] = (byte) 0xA9;
        java.io.ByteArrayOutputStream req = new java.io.ByteArrayOutputStream();
        req.write("POST ".getBytes(StandardCharsets.US_ASCII));
        req.write(path);
        req.write(" HTTP/1.1\r\nHost: a,\"b\"\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        Traffic.tcpExchange("127.0.0.1", 47004, req.toByteArray(), "HTTP/1.1 204 No Content\r\n\r\n".getBytes(StandardCharsets.US_ASCII));

        List<Map<String, String>> rows = SpoolFiles.awaitRows(SPOOL, r -> count(r, "http_method", "POST") >= 1, 30_000);
        Map<String, String> post = rows.stream().filter(r -> "POST".equals(r.get("http_method"))).findFirst().orElseThrow();
        assertArrayEquals(path, WireText.unescape(post.get("http_path")));
        assertTrue(post.get("http_path").contains("\\xFF"), "invalid UTF-8 is escaped");
        assertTrue(post.get("http_path").contains("\u00e9"), "valid UTF-8 is kept");
        assertEquals("a,\"b\"", post.get("http_host"));
        assertEquals("47004", post.get("dst_port"));
    }

    @Test
    @Order(3)
    void countersAreOnTheConsumerMBeanAndSuspendPausesCapture() throws Exception {
        MBeanServer mbs = ManagementFactory.getPlatformMBeanServer();
        Set<ObjectName> names = mbs.queryNames(new ObjectName("org.apache.camel:type=consumers,*"), null);
        ObjectName consumer = names.stream().filter(n -> n.getKeyProperty("name").startsWith("PcapConsumer")).findFirst()
                .orElseThrow(() -> new AssertionError("no PcapConsumer MBean in " + names));
        // each test method runs its own Camel context: count what this one captures
        long start = (Long) mbs.getAttribute(consumer, "PacketsCaptured");
        Traffic.udp("127.0.0.1", 47001, 12, "count".getBytes(StandardCharsets.US_ASCII));
        long end = System.currentTimeMillis() + 10_000;
        // the 12 datagrams and their ICMP port-unreachable answers (the kernel may rate-limit those: then 10 s pass)
        while ((Long) mbs.getAttribute(consumer, "PacketsCaptured") < start + 24 && System.currentTimeMillis() < end) {
            Thread.sleep(50);
        }
        // 12 datagrams, and as many ICMP port-unreachable answers (nobody listens; the filter takes icmp too)
        assertTrue((Long) mbs.getAttribute(consumer, "PacketsCaptured") >= start + 12);
        assertEquals(0L, mbs.getAttribute(consumer, "DecodeErrors"));
        assertTrue((Long) mbs.getAttribute(consumer, "PacketsDroppedByKernel") >= 0);
        assertTrue((Long) mbs.getAttribute(consumer, "PacketsDroppedByInterface") >= 0);

        context.getRouteController().suspendRoute("capture");
        assertEquals(ServiceStatus.Suspended, context.getRouteController().getRouteStatus("capture"));
        // suspended means every packet read so far has been through the route (Camel's graceful shutdown relies
        // on it): the 25 datagrams of the first test and these 12 are all in spool files (.part included) now
        List<Map<String, String>> spooled = new java.util.ArrayList<>();
        try (java.util.stream.Stream<Path> files = java.nio.file.Files.list(SPOOL)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".csv") || f.toString().endsWith(".part")).toList()) {
                spooled.addAll(SpoolFiles.rowsOf(f));
            }
        }
        assertEquals(25 + 12, count(spooled, "dst_port", "47001"), "rows through the route when suspendRoute returned");
        assertEquals(Boolean.TRUE, mbs.getAttribute(consumer, "Paused"));
        Thread.sleep(300);
        long paused = (Long) mbs.getAttribute(consumer, "PacketsCaptured");
        Traffic.udp("127.0.0.1", 47003, 10, "paused".getBytes(StandardCharsets.US_ASCII));
        Thread.sleep(500);
        assertEquals(paused, (Long) mbs.getAttribute(consumer, "PacketsCaptured"), "no packet is read while suspended");

        context.getRouteController().resumeRoute("capture");
        assertEquals(ServiceStatus.Started, context.getRouteController().getRouteStatus("capture"));
        Traffic.udp("127.0.0.1", 47003, 5, "resumed".getBytes(StandardCharsets.US_ASCII));
        // the handle stayed open: what the kernel buffered while paused arrives too
        List<Map<String, String>> rows = SpoolFiles.awaitRows(SPOOL, r -> count(r, "dst_port", "47003") >= 15, 30_000);
        assertEquals(15, count(rows, "dst_port", "47003"));
        assertFalse((Boolean) mbs.getAttribute(consumer, "Paused"));
    }
}
