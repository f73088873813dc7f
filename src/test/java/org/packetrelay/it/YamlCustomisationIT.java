package org.packetrelay.it;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.packetrelay.testing.IngestServer;
import org.packetrelay.testing.RelayProcess;
import org.packetrelay.testing.SpoolFiles;
import org.packetrelay.testing.Traffic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The README's worked customisations, done as a user does them: edit routes/*.yaml, run the jar. */
class YamlCustomisationIT {

    private static void edit(Path file, String find, String replace) throws Exception {
        String s = Files.readString(file);
        assertTrue(s.contains(find), "README example no longer matches " + file.getFileName() + ": " + find);
        Files.writeString(file, s.replace(find, replace));
    }

    private static long rows(List<Map<String, String>> rows, String key, String value) {
        return rows.stream().filter(r -> value.equals(r.get(key))).count();
    }

    @Test
    void aDifferentBpfFilterInTheCaptureRoute() throws Exception {
        Path dir = RelayProcess.newWorkDir("yaml-bpf");
        edit(dir.resolve("routes/capture.yaml"), "filter: \"RAW({{sniffer.filter}})\"", "filter: \"RAW(udp port 31031)\"");
        Path pending = dir.resolve("logs/pending_upload");
        try (RelayProcess p = RelayProcess.start(dir, Map.of("relay.roles", "sniffer", "sniffer.interfaces", "lo",
                "sniffer.save-interval", "1"))) {
            p.awaitLog("Capturing on lo", 60);
            Traffic.udp("127.0.0.1", 31031, 10, "in".getBytes(StandardCharsets.US_ASCII));
            Traffic.udp("127.0.0.1", 31032, 10, "out".getBytes(StandardCharsets.US_ASCII));
            // a last packet the filter lets through: once it is spooled, so is whatever the filter let pass before it
            Traffic.udp("127.0.0.1", 31031, 1, "last-packet".getBytes(StandardCharsets.US_ASCII));
            SpoolFiles.awaitRows(pending, r -> rows(r, "payload_length", "11") == 1, 30_000);
            int code = p.term(60);
            assertTrue(code == 0 || code == 143, "exit " + code);
        }
        List<Map<String, String>> rows = SpoolFiles.rows(pending);
        assertEquals(11, rows(rows, "dst_port", "31031"));
        assertEquals(1, rows(rows, "payload_length", "11"), "the last packet");
        assertEquals(0, rows(rows, "dst_port", "31032"));
        assertEquals(11, rows.size());
    }

    @Test
    void dropPacketsFromASubnetWithAFilterStep() throws Exception {
        Path dir = RelayProcess.newWorkDir("yaml-subnet");
        edit(dir.resolve("routes/capture.yaml"), "        - aggregate:\n", """
                        - split:
                            simple: "${body.rows}"
                            aggregationStrategy: "#class:org.packetrelay.spool.PacketBatchAggregation"
                            steps:
                              - filter:
                                  simple: "${body.inSubnet('src_ip', '127.0.0.2/32')}"
                                  steps:
                                    - setProperty:
                                        name: dropPacket
                                        constant: "true"
                        - aggregate:
                """);
        Path pending = dir.resolve("logs/pending_upload");
        try (RelayProcess p = RelayProcess.start(dir, Map.of("relay.roles", "sniffer", "sniffer.interfaces", "lo",
                "sniffer.filter", "udp port 31033", "sniffer.save-interval", "1"))) {
            p.awaitLog("Capturing on lo", 60);
            Traffic.udpFrom("127.0.0.2", "127.0.0.1", 31033, 12, "dropped".getBytes(StandardCharsets.US_ASCII));
            Traffic.udpFrom("127.0.0.1", "127.0.0.1", 31033, 9, "kept".getBytes(StandardCharsets.US_ASCII));
            // a last kept packet: once it is spooled, every packet before it went through the filter step
            Traffic.udpFrom("127.0.0.1", "127.0.0.1", 31033, 1, "last-packet".getBytes(StandardCharsets.US_ASCII));
            SpoolFiles.awaitRows(pending, r -> rows(r, "payload_length", "11") == 1, 30_000);
            int code = p.term(60);
            assertTrue(code == 0 || code == 143, "exit " + code);
        }
        List<Map<String, String>> rows = SpoolFiles.rows(pending);
        assertEquals(0, rows(rows, "src_ip", "127.0.0.2"));
        assertEquals(10, rows(rows, "src_ip", "127.0.0.1"));
        assertEquals(1, rows(rows, "payload_length", "11"), "the last packet");
    }

    @Test
    void sendBatchesToAFileArchiveBesidesHttp() throws Exception {
        Path dir = RelayProcess.newWorkDir("yaml-archive");
        edit(dir.resolve("routes/upload.yaml"), "        - to:\n            uri: \"{{sender.url}}\"",
                "        - to:\n"
                + "            uri: \"file:{{relay.logs-dir}}/archive\"\n"
                + "            parameters:\n"
                + "              fileName: \"${header.Idempotency-Key}.json\"\n"
                + "        - to:\n"
                + "            uri: \"{{sender.url}}\"");
        SpoolFiles.writeReady(dir.resolve("logs/pending_upload"), "packets_20260101_000000_000.csv", 1200);
        try (IngestServer server = new IngestServer(Traffic.freePort());
             RelayProcess p = RelayProcess.start(dir, Map.of("relay.roles", "sender", "sender.url", server.url(),
                     "sender.poll-interval", "1"))) {
            long end = System.currentTimeMillis() + 60_000;
            while (!Files.exists(dir.resolve("logs/processed/packets_20260101_000000_000.csv")) && System.currentTimeMillis() < end) {
                Thread.sleep(100);
            }
            assertEquals(1200, server.recordsStored(), p.tail());
            ObjectMapper json = new ObjectMapper();
            long archived = 0;
            try (Stream<Path> s = Files.list(dir.resolve("logs/archive"))) {
                for (Path f : s.toList()) {
                    archived += json.readTree(f.toFile()).size();
                }
            }
            assertEquals(1200, archived, "the same batches in the archive");
        }
    }

    @Test
    void aUserRouteInAnotherFolderRunsBesideTheShippedOnes() throws Exception {
        Path dir = RelayProcess.newWorkDir("yaml-extra");
        Files.createDirectories(dir.resolve("extra"));
        Files.writeString(dir.resolve("extra/heartbeat.yaml"), """
                - route:
                    id: user-heartbeat
                    from:
                      uri: "timer:heartbeat?repeatCount=1"
                      steps:
                        - setBody:
                            simple: "hello from a user route; roles={{relay.roles}}"
                        - to: "file:out?fileName=heartbeat.txt"
                """);
        try (RelayProcess p = RelayProcess.start(dir, Map.of("relay.roles", "sender",
                "camel.main.routes-include-pattern", "file:routes/*.yaml,file:extra/*.yaml"))) {
            Path out = dir.resolve("out/heartbeat.txt");
            long end = System.currentTimeMillis() + 60_000;
            while (!Files.exists(out) && System.currentTimeMillis() < end) {
                Thread.sleep(100);
            }
            assertEquals("hello from a user route; roles=sender", Files.readString(out), p.tail());
            assertTrue(p.out().contains("user-heartbeat"), "listed with the shipped routes");
        }
    }
}
