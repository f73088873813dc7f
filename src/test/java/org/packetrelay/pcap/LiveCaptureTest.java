package org.packetrelay.pcap;

import java.io.ByteArrayOutputStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.apache.camel.test.main.junit5.CamelMainTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.packetrelay.catalog.WireText;
import org.packetrelay.testing.SpoolFiles;
import org.packetrelay.testing.Traffic;


import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The capture route from routes/capture.yaml, run by camel-main, capturing real traffic that the test sends on
 * the loopback interface, spooled into real files. Each test method has its own ports (free ports picked when the
 * class loads, named in the BPF filter) and counts only its own rows, so the tests run in any order or alone.
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
                       // the test's ports (see below); icmp for ping; a filter with && proves URI-safe passing
                       "sniffer.filter={{live-capture-test.filter}}",
               })
class LiveCaptureTest {
    static final Path SPOOL = Paths.get("target/test-spool/live/pending_upload");
    static final int UDP4;
    static final int UDP6;
    static final int HTTP;
    static final int HOSTILE;
    static final int COUNTED;
    static final int BEFORE_PAUSE;
    static final int PAUSED;

    static {
        try {
            SpoolFiles.deleteTree(Paths.get("target/test-spool/live"));
            int[] p = new int[7];
            for (int i = 0; i < p.length; i++) {
                p[i] = Traffic.freePort();
            }
            UDP4 = p[0];
            UDP6 = p[1];
            HTTP = p[2];
            HOSTILE = p[3];
            COUNTED = p[4];
            BEFORE_PAUSE = p[5];
            PAUSED = p[6];
            // read by the placeholder in sniffer.filter when camel-main starts (system properties are a source)
            System.setProperty("live-capture-test.filter", "(udp and (port " + UDP4 + " or port " + UDP6 + " or port " + COUNTED
                    + " or port " + BEFORE_PAUSE + " or port " + PAUSED + ")) || (tcp && (port " + HTTP + " or port " + HOSTILE
                    + ")) || icmp || icmp6");
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterAll
    static void cleanUp() throws Exception {
        SpoolFiles.deleteTree(Paths.get("target/test-spool/live"));
    }

    private static long count(List<Map<String, String>> rows, String key, String value) {
        return rows.stream().filter(r -> value.equals(r.get(key))).count();
    }

    private static String port(int p) {
        return Integer.toString(p);
    }

    @Test
    void udpTcpIcmpAndIpv6AreCapturedDecodedAndSpooled() throws Exception {
        Traffic.udp("127.0.0.1", UDP4, 25, "hello".getBytes(StandardCharsets.US_ASCII));
        Traffic.udp("::1", UDP6, 7, "hello6".getBytes(StandardCharsets.US_ASCII));
        byte[] request = "GET /index.html?q=1 HTTP/1.1\r\nHost: example.test\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        byte[] reply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok".getBytes(StandardCharsets.US_ASCII);
        Traffic.tcpExchange("127.0.0.1", HTTP, request, reply);
        Traffic.ping("127.0.0.1", 3);
        Traffic.ping("::1", 2);

        List<Map<String, String>> rows = SpoolFiles.awaitRows(SPOOL, r ->
                count(r, "dst_port", port(UDP4)) >= 25 && count(r, "dst_port", port(UDP6)) >= 7
                && r.stream().anyMatch(x -> "200".equals(x.get("http_status_code")) && port(HTTP).equals(x.get("src_port")))
                && count(r, "icmp_type", "0") >= 3 && count(r, "icmp_type", "129") >= 2, 30_000);

        assertEquals(25, rows.stream().filter(r -> port(UDP4).equals(r.get("dst_port")) && "UDP".equals(r.get("protocol"))
                                                    && "127.0.0.1".equals(r.get("src_ip")) && "4".equals(r.get("ip_version"))
                                                    && "lo".equals(r.get("interface"))).count());
        assertEquals(7, rows.stream().filter(r -> port(UDP6).equals(r.get("dst_port")) && "::1".equals(r.get("dst_ip"))
                                                   && "6".equals(r.get("ip_version"))).count());
        Map<String, String> get = rows.stream().filter(r -> "GET".equals(r.get("http_method")) && port(HTTP).equals(r.get("dst_port")))
                .findFirst().orElseThrow();
        assertEquals("/index.html?q=1", get.get("http_path"));
        assertEquals("example.test", get.get("http_host"));
        assertEquals("TCP", get.get("protocol"));
        assertTrue(get.get("tcp_flags").contains("PSH"), get.get("tcp_flags"));
        assertEquals(String.valueOf(request.length), get.get("payload_length"));
        assertTrue(get.get("community_id").startsWith("1:"), get.get("community_id"));
        // the handshake: exactly one SYN without ACK towards the server
        assertEquals(1, rows.stream().filter(r -> port(HTTP).equals(r.get("dst_port")) && "true".equals(r.get("tcp_syn"))
                                                  && "false".equals(r.get("tcp_ack"))).count());
        assertTrue(count(rows, "icmp_type", "8") >= 3, "echo requests");
        assertTrue(count(rows, "icmp_type", "128") >= 2, "ICMPv6 echo requests");
        for (Map<String, String> r : rows.stream().filter(r -> port(UDP4).equals(r.get("dst_port")) || port(UDP6).equals(r.get("dst_port"))
                                                                || port(HTTP).equals(r.get("dst_port")) || port(HTTP).equals(r.get("src_port")))
                .toList()) {
            assertNotNull(r.get("timestamp"));
            assertTrue(r.get("timestamp").matches("\\d{10}\\.\\d{6}"), r.get("timestamp"));
            assertEquals(r.get("length"), r.get("captured_length"));
            assertEquals(null, r.get("decode_error"), r.toString());
        }
    }

    @Test
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
        ByteArrayOutputStream req = new ByteArrayOutputStream();
        req.write("POST ".getBytes(StandardCharsets.US_ASCII));
        req.write(path);
        req.write(" HTTP/1.1\r\nHost: a,\"b\"\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        Traffic.tcpExchange("127.0.0.1", HOSTILE, req.toByteArray(), "HTTP/1.1 204 No Content\r\n\r\n".getBytes(StandardCharsets.US_ASCII));

        List<Map<String, String>> rows = SpoolFiles.awaitRows(SPOOL, r -> r.stream().anyMatch(x -> "POST".equals(x.get("http_method"))
                                                                                             && port(HOSTILE).equals(x.get("dst_port"))), 30_000);
        Map<String, String> post = rows.stream().filter(r -> "POST".equals(r.get("http_method")) && port(HOSTILE).equals(r.get("dst_port")))
                .findFirst().orElseThrow();
        assertArrayEquals(path, WireText.unescape(post.get("http_path")));
        assertTrue(post.get("http_path").contains("\\xFF"), "invalid UTF-8 is escaped");
        assertTrue(post.get("http_path").contains("\u00e9"), "valid UTF-8 is kept");
        assertEquals("a,\"b\"", post.get("http_host"));
    }

    private static ObjectName mbean(String type, String namePrefix) throws Exception {
        MBeanServer mbs = ManagementFactory.getPlatformMBeanServer();
        Set<ObjectName> names = mbs.queryNames(new ObjectName("org.apache.camel:type=" + type + ",*"), null);
        return names.stream().filter(n -> n.getKeyProperty("name").replace("\"", "").startsWith(namePrefix)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + namePrefix + " MBean in " + names));
    }

    private static long attribute(ObjectName name, String attribute) throws Exception {
        return (Long) ManagementFactory.getPlatformMBeanServer().getAttribute(name, attribute);
    }

    /** The rows of every spool file, complete or still being written (.part). */
    private static List<Map<String, String>> spooledNow() throws Exception {
        List<Map<String, String>> spooled = new ArrayList<>();
        try (Stream<Path> files = Files.list(SPOOL)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".csv") || f.toString().endsWith(".part")).sorted().toList()) {
                spooled.addAll(SpoolFiles.rowsOf(f));
            }
        }
        return spooled;
    }

    @Test
    void countersAreOnTheConsumerMBean() throws Exception {
        ObjectName consumer = mbean("consumers", "PcapConsumer");
        // each test method runs its own Camel context: count what this one captures
        long start = attribute(consumer, "PacketsCaptured");
        Traffic.udp("127.0.0.1", COUNTED, 12, "count".getBytes(StandardCharsets.US_ASCII));
        List<Map<String, String>> rows = SpoolFiles.awaitRows(SPOOL, r -> count(r, "dst_port", port(COUNTED)) >= 12, 30_000);
        assertEquals(12, count(rows, "dst_port", port(COUNTED)));
        // the 12 datagrams, and as many ICMP port-unreachable answers unless the kernel rate-limits them
        long captured = attribute(consumer, "PacketsCaptured") - start;
        assertTrue(captured >= 12 && captured <= 24 + 8, "captured " + captured);
        assertEquals(0L, attribute(consumer, "DecodeErrors"));
        // at this rate the 16 MiB kernel buffer drops nothing: a counter that reported garbage would show here
        assertEquals(0L, attribute(consumer, "PacketsDroppedByKernel"));
        assertEquals(0L, attribute(consumer, "PacketsDroppedByInterface"));
        assertEquals(0L, attribute(consumer, "PacketsDroppedSpoolFull"));
        assertEquals("lo", ManagementFactory.getPlatformMBeanServer().getAttribute(consumer, "Sources"));
        assertEquals(1, ManagementFactory.getPlatformMBeanServer().getAttribute(consumer, "ActiveSources"));
    }

    /** Suspend and resume the route over JMX, as jconsole does. */
    @Test
    void suspendOverJmxPausesCaptureAndResumeReadsWhatTheKernelKept() throws Exception {
        MBeanServer mbs = ManagementFactory.getPlatformMBeanServer();
        ObjectName consumer = mbean("consumers", "PcapConsumer");
        ObjectName route = mbean("routes", "capture");
        Traffic.udp("127.0.0.1", BEFORE_PAUSE, 20, "before".getBytes(StandardCharsets.US_ASCII));
        long end = System.currentTimeMillis() + 10_000;
        while (attribute(consumer, "PacketsCaptured") < 20 && System.currentTimeMillis() < end) {
            Thread.sleep(20);
        }

        mbs.invoke(route, "suspend", null, null);
        assertEquals("Suspended", mbs.getAttribute(route, "State"));
        assertEquals(Boolean.TRUE, mbs.getAttribute(consumer, "Paused"));
        // suspended means every packet read so far has been through the route (Camel's graceful shutdown relies
        // on it): the 20 datagrams are in spool files (.part included) when suspend returns
        assertEquals(20, count(spooledNow(), "dst_port", port(BEFORE_PAUSE)), "rows through the route when suspend returned");
        long paused = attribute(consumer, "PacketsCaptured");
        Traffic.udp("127.0.0.1", PAUSED, 10, "paused".getBytes(StandardCharsets.US_ASCII));
        Thread.sleep(500); // nothing to wait for: nothing may happen
        assertEquals(paused, attribute(consumer, "PacketsCaptured"), "no packet is read while suspended");
        assertEquals(0, count(spooledNow(), "dst_port", port(PAUSED)));

        mbs.invoke(route, "resume", null, null);
        assertEquals("Started", mbs.getAttribute(route, "State"));
        assertFalse((Boolean) mbs.getAttribute(consumer, "Paused"));
        Traffic.udp("127.0.0.1", PAUSED, 5, "resumed".getBytes(StandardCharsets.US_ASCII));
        // the handle stayed open: what the kernel buffered while paused arrives too, and nothing was dropped
        List<Map<String, String>> rows = SpoolFiles.awaitRows(SPOOL, r -> count(r, "dst_port", port(PAUSED)) >= 15, 30_000);
        assertEquals(15, count(rows, "dst_port", port(PAUSED)));
        assertEquals(0L, attribute(consumer, "PacketsDroppedByKernel"));
    }
}
