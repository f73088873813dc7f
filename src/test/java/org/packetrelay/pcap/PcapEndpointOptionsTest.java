package org.packetrelay.pcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.packetrelay.testing.Traffic;

/**
 * The endpoint options behind sniffer.snaplen, sniffer.promiscuous and sniffer.interfaces=all, on a Camel context
 * of their own, capturing real packets: on lo, and on a veth pair the test makes (nobody else uses it, so its
 * promiscuity count is the test's alone) next to one it leaves down.
 */
class PcapEndpointOptionsTest {
    static final String UP = "prt" + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0xFFFF));
    static final String DOWN = UP + "d";

    @BeforeAll
    static void veth() throws Exception {
        ip("link", "add", UP, "type", "veth", "peer", "name", UP + "p");
        ip("link", "set", UP, "up");
        ip("link", "set", UP + "p", "up");
        ip("link", "add", DOWN, "type", "veth", "peer", "name", DOWN + "p"); // both ends stay down
    }

    @AfterAll
    static void removeVeth() throws Exception {
        ip("link", "del", UP);
        ip("link", "del", DOWN);
    }

    /** A route from {@code uri} collecting the rows. */
    private static CamelContext capture(String uri, List<Map<String, String>> rows) throws Exception {
        CamelContext context = new DefaultCamelContext();
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from(uri).routeId("capture").process(e -> rows.addAll(e.getIn().getBody(PacketBatch.class).getRows()));
            }
        });
        context.start();
        return context;
    }

    private static void await(List<Map<String, String>> rows, Predicate<List<Map<String, String>>> enough) throws InterruptedException {
        long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (!enough.test(rows) && System.nanoTime() < end) {
            Thread.sleep(20);
        }
    }

    @Test
    void snaplenKeepsThatManyBytesAndTheRowStillHasTheHeaders() throws Exception {
        int port = Traffic.freePort();
        List<Map<String, String>> rows = new CopyOnWriteArrayList<>();
        CamelContext context = capture("pcap:lo?snaplen=100&filter=udp port " + port, rows);
        try {
            Traffic.udp("127.0.0.1", port, 3, new byte[400]);
            await(rows, r -> r.size() >= 3);
        } finally {
            context.stop();
        }
        assertEquals(3, rows.size());
        for (Map<String, String> r : rows) {
            assertEquals("100", r.get("captured_length"));
            assertEquals("442", r.get("length"), "14 + 20 + 8 + 400 bytes on the wire");
            assertEquals("400", r.get("payload_length"), "from the UDP length, not what was kept");
            assertEquals(String.valueOf(port), r.get("dst_port"));
            assertNull(r.get("decode_error"), "a payload cut by snaplen is not an error");
        }
    }

    @Test
    void promiscuousModeIsSetOnlyWhenAsked() throws Exception {
        assertEquals(0, promiscuity(UP));
        CamelContext context = capture("pcap:" + UP + "?promiscuous=true", new CopyOnWriteArrayList<>());
        try {
            assertEquals(1, promiscuity(UP), "promiscuous=true");
        } finally {
            context.stop();
        }
        assertEquals(0, promiscuity(UP), "closed: the count goes back");
        context = capture("pcap:" + UP + "?promiscuous=false", new CopyOnWriteArrayList<>());
        try {
            assertEquals(0, promiscuity(UP), "promiscuous=false");
        } finally {
            context.stop();
        }
    }

    @Test
    void allCapturesOnEveryInterfaceThatIsUp() throws Exception {
        int port = Traffic.freePort();
        List<Map<String, String>> rows = new CopyOnWriteArrayList<>();
        CamelContext context = capture("pcap:all?promiscuous=false&filter=udp port " + port, rows);
        try {
            List<String> sources = Arrays.asList(((PcapConsumer) context.getRoute("capture").getConsumer()).getSources().split(","));
            assertTrue(sources.contains("lo") && sources.contains(UP), "sources " + sources);
            assertFalse(sources.contains(DOWN), "an interface that is down: " + sources);
            assertFalse(sources.contains("any"), "libpcap's pseudo-device: " + sources);
            Traffic.udp("127.0.0.1", port, 4, "all".getBytes(StandardCharsets.US_ASCII));
            await(rows, r -> r.size() >= 4);
        } finally {
            context.stop();
        }
        assertEquals(4, rows.size());
        assertTrue(rows.stream().allMatch(r -> "lo".equals(r.get("interface"))), rows.toString());
    }

    private static int promiscuity(String dev) throws Exception {
        String out = ip("-d", "link", "show", "dev", dev);
        Matcher m = Pattern.compile("promiscuity (\\d+)").matcher(out);
        assertTrue(m.find(), out);
        return Integer.parseInt(m.group(1));
    }

    private static String ip(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("ip"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0, cmd + ": " + out);
        return out;
    }
}
