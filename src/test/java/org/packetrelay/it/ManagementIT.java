package org.packetrelay.it;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.packetrelay.testing.Jolokia;
import org.packetrelay.testing.RelayProcess;
import org.packetrelay.testing.Traffic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The management side of one relay with every role (capture on lo): the README's Jolokia lines, health while an
 * operator suspends routes, the start-up log, and /observe/metrics checked by promtool.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ManagementIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private RelayProcess relay;
    private int receiverPort;
    private int managementPort;
    private int udpPort;
    private Jolokia jolokia;

    @BeforeAll
    void start() throws Exception {
        receiverPort = Traffic.freePort();
        managementPort = Traffic.freePort();
        udpPort = Traffic.freePort();
        jolokia = new Jolokia(managementPort);
        relay = RelayProcess.start(RelayProcess.newWorkDir("management"), Map.of("sniffer.interfaces", "lo",
                "sniffer.filter", "udp port " + udpPort, "receiver.port", String.valueOf(receiverPort),
                "camel.management.port", String.valueOf(managementPort)));
        relay.awaitLog("Management server on", 60);
        // UP once every file consumer has polled (before, Camel's consumer check says 'has not yet polled')
        long end = System.currentTimeMillis() + 30_000;
        while (!jolokia.health().startsWith("{\"status\":\"UP\"") && System.currentTimeMillis() < end) {
            Thread.sleep(100);
        }
        assertTrue(jolokia.health().startsWith("{\"status\":\"UP\""), jolokia.health());
    }

    @AfterAll
    void stop() throws Exception {
        relay.term(60);
        relay.close();
    }

    /** The lines of the README's Jolokia example, the first one (J=..., O=...) pointed at this relay's port. */
    private List<String> readmeJolokiaLines() throws Exception {
        String readme = Files.readString(RelayProcess.projectDir().resolve("README.md"), StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("- \\*\\*Jolokia\\*\\*.*?```sh\\n(.*?)\\n\\s*```", Pattern.DOTALL).matcher(readme);
        assertTrue(m.find(), "the README's Jolokia example");
        List<String> lines = new ArrayList<>(m.group(1).lines().map(String::strip).toList());
        assertTrue(lines.get(0).contains("127.0.0.1:9876/observe/jolokia"), lines.get(0));
        lines.set(0, lines.get(0).replace(":9876/", ":" + managementPort + "/"));
        return lines;
    }

    /** Runs one README line in bash after the first (the variables); its output as JSON. */
    private static JsonNode run(List<String> lines, int index) throws Exception {
        Process bash = new ProcessBuilder("bash", "-c", lines.get(0) + "\n" + lines.get(index)).redirectErrorStream(true).start();
        String out = new String(bash.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(bash.waitFor(30, TimeUnit.SECONDS) && bash.exitValue() == 0, lines.get(index) + ": " + out);
        JsonNode json = JSON.readTree(out);
        assertEquals(200, json.path("status").asInt(), lines.get(index) + ": " + out);
        return json;
    }

    @Test
    void theReadmesJolokiaLinesListRoutesReadCaptureCountersAndSuspendAndResumeUpload() throws Exception {
        List<String> lines = readmeJolokiaLines();
        assertEquals(5, lines.size(), "variables, routes, counters, suspend, resume: " + lines);

        JsonNode routes = run(lines, 1).path("value");
        for (String id : new String[] { "capture", "upload", "retry-failed", "receiver" }) {
            JsonNode route = routes.path("org.apache.camel:context=packet-relay,name=\"" + id + "\",type=routes");
            assertEquals(id, route.path("RouteId").asText(), routes.toString());
            assertEquals("Started", route.path("State").asText(), routes.toString());
        }

        Traffic.udp("127.0.0.1", udpPort, 7, "counted".getBytes(StandardCharsets.US_ASCII));
        JsonNode counters = null;
        long end = System.currentTimeMillis() + 30_000;
        while (System.currentTimeMillis() < end) {
            counters = run(lines, 2).path("value").elements().next();
            if (counters.path("PacketsCaptured").asLong() >= 7) {
                break;
            }
            Thread.sleep(200);
        }
        assertEquals(7, counters.path("PacketsCaptured").asLong(), "only the packets of the filter: " + counters);
        for (String name : new String[] { "PacketsDroppedByKernel", "PacketsDroppedByInterface", "PacketsDroppedSpoolFull", "DecodeErrors" }) {
            assertEquals(0, counters.path(name).asLong(), name + " in " + counters);
        }

        run(lines, 3);
        try {
            assertEquals("Suspended", jolokia.routeState("upload"));
            String health = jolokia.health();
            assertTrue(health.startsWith("{\"status\":\"UP\"") && health.contains("\"route.upload\":\"Suspended\""), health);
        } finally {
            run(lines, 4);
        }
        assertEquals("Started", jolokia.routeState("upload"));
    }

    /** Capture suspended by an operator is not 'no interface captures'. */
    @Test
    void suspendingCaptureOnPurposeKeepsHealthUp() throws Exception {
        jolokia.exec("capture", "suspend");
        try {
            String health = jolokia.health();
            assertTrue(health.startsWith("{\"status\":\"UP\"") && health.contains("\"route.capture\":\"Suspended\""), health);
        } finally {
            jolokia.exec("capture", "resume");
        }
        String health = jolokia.health();
        assertTrue(health.startsWith("{\"status\":\"UP\"") && !health.contains("Suspended"), health);
    }

    /** Only requests with the Origin of this host: a web page in a browser here cannot stop routes. */
    @Test
    void jolokiaAnswersOnlyRequestsFromThisHostsOrigin() throws Exception {
        URI version = URI.create("http://127.0.0.1:" + managementPort + "/observe/jolokia/version");
        for (String origin : new String[] { null, "http://evil.example", "http://127.0.0.1.evil.example" }) {
            HttpRequest.Builder req = HttpRequest.newBuilder(version);
            if (origin != null) {
                req.header("Origin", origin);
            }
            String body = http.send(req.build(), HttpResponse.BodyHandlers.ofString()).body();
            assertFalse(body.contains("\"status\":200"), "origin " + origin + ": " + body);
            assertFalse(body.contains("agent"), "origin " + origin + ": " + body);
        }
        for (String origin : new String[] { "http://127.0.0.1", "http://localhost:3000" }) {
            String body = http.send(HttpRequest.newBuilder(version).header("Origin", origin).build(), HttpResponse.BodyHandlers.ofString()).body();
            assertTrue(body.contains("\"status\":200") && body.contains("\"agent\""), "origin " + origin + ": " + body);
        }
    }

    @Test
    void theStartUpLogSaysWhatIsTrue() throws Exception {
        String out = relay.out();
        assertEquals(1, Pattern.compile("Ingest store ready").matcher(out).results().count(), "one ingest store: " + relay.tail());
        assertFalse(out.contains("No Micrometer registry"), "metrics are on and served");
        assertFalse(out.contains("0.0.0.0"), "both servers listen on 127.0.0.1, and the log says so");
        assertFalse(out.contains("has been already registered"), "each meter once");
        assertTrue(out.contains("Receiver listening on 127.0.0.1:" + receiverPort), relay.tail());
        assertTrue(out.contains("Management server on http://127.0.0.1:" + managementPort
                                + ": /observe/health, /observe/metrics, /observe/jolokia"), relay.tail());
    }

    private static Path promtool() {
        Path bundled = Paths.get(System.getProperty("promtool", RelayProcess.projectDir().resolve(".tools/promtool").toString()));
        if (Files.isExecutable(bundled)) {
            return bundled;
        }
        for (String dir : System.getenv("PATH").split(":")) {
            if (Files.isExecutable(Paths.get(dir, "promtool"))) {
                return Paths.get(dir, "promtool");
            }
        }
        throw new AssertionError("no promtool: 'make test-deps' puts it in .tools/");
    }

    @Test
    void metricsHaveTheJvmFamiliesAndPassPromtool() throws Exception {
        String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/observe/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        for (String family : new String[] { "jvm_memory_used_bytes", "jvm_gc_pause_seconds", "jvm_gc_memory_allocated_bytes_total",
                "jvm_threads_live_threads", "jvm_threads_states_threads", "jvm_classes_loaded_classes", "process_files_open_files",
                "process_uptime_seconds", "packet_relay_packets_captured_total", "packet_relay_records_uploaded_total", "camel_exchanges_total" }) {
            assertTrue(metrics.contains("\n# TYPE " + family + " ") || metrics.contains("\n" + family + "{") || metrics.contains("\n" + family + " "),
                    family + " in /observe/metrics");
        }
        Process check = new ProcessBuilder(promtool().toString(), "check", "metrics").redirectErrorStream(true).start();
        check.getOutputStream().write(metrics.getBytes(StandardCharsets.UTF_8));
        check.getOutputStream().close();
        String lint = new String(check.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(check.waitFor(60, TimeUnit.SECONDS), "promtool did not finish");
        assertFalse(lint.contains("error while linting"), lint);
        // what is left is Camel's own families: camelCase label names as Camel documents them, help texts it leaves out
        for (String problem : lint.lines().toList()) {
            assertTrue(problem.matches("(camel_\\w+|app_info) (label names should be written in 'snake_case' not 'camelCase'|no help text)"),
                    "promtool: " + problem);
        }
        assertTrue(check.exitValue() == 0 || !lint.isBlank(), "exit " + check.exitValue() + ": " + lint);
    }

    /** camel.management.port=0 turns the management server off: a replay beside a running relay collides on nothing. */
    @Test
    void managementPortZeroTurnsTheServerOff() throws Exception {
        Path capture = RelayProcess.sharedDir().resolve("testdata/tcpdump-tests/802.1D_spanning_tree.pcap");
        try (RelayProcess replay = RelayProcess.start(RelayProcess.newWorkDir("replay-no-management"),
                Map.of("relay.roles", "sniffer", "sniffer.file", capture.toString(), "camel.management.port", "0"))) {
            assertEquals(0, replay.waitFor(60), replay.tail());
            String out = replay.out();
            assertTrue(out.contains("Replay complete"), replay.tail());
            assertFalse(out.contains("Management server on") || out.contains("HttpServer started"), "no server: " + replay.tail());
        }
    }
}
