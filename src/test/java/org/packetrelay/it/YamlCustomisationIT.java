package org.packetrelay.it;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.IntStream;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.packetrelay.catalog.Field;
import org.packetrelay.catalog.PacketRecord;
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

    /** The split's steps in upload.yaml, where the README's upload examples go (before the POST). */
    private static final String UPLOAD_STEP = "              - to:\n                  id: upload-batch\n";

    /** A spool file of {@code rows} records: every third ICMP, the others UDP; src_ip from 10.9.x.x every fifth. */
    private static void spool(Path dir, String name, int rows) throws Exception {
        StringBuilder sb = new StringBuilder(Field.CSV_HEADER).append('\n');
        PacketRecord r = new PacketRecord();
        for (int i = 0; i < rows; i++) {
            r.clear();
            r.setTimestamp(1_700_000_000_000_000_000L + i * 1000L, 6);
            r.setString(Field.INTERFACE, "eth0");
            r.setNumber(Field.LENGTH, 60 + i);
            r.setString(Field.PROTOCOL, i % 3 == 0 ? "ICMP" : "UDP");
            r.setString(Field.SRC_IP, i % 5 == 0 ? "10.9.1." + (i % 250) : "192.0.2." + (i % 250));
            if (i % 2 == 0) {
                r.setNumber(Field.VLAN_ID, 7);
            }
            r.setString(Field.COMMUNITY_ID, "row-" + i);
            r.appendCsv(sb);
        }
        Path pending = dir.resolve("logs/pending_upload");
        Files.createDirectories(pending);
        Files.writeString(pending.resolve(name), sb, StandardCharsets.UTF_8);
        Files.createFile(pending.resolve(name + ".ready"));
    }

    /** Runs the sender in {@code dir} against {@code server} until {@code name} is in processed/. */
    private static void upload(Path dir, IngestServer server, String name) throws Exception {
        try (RelayProcess p = RelayProcess.start(dir, Map.of("relay.roles", "sender", "sender.url", server.url(),
                "sender.poll-interval", "1", "camel.management.port", "0"))) {
            long end = System.currentTimeMillis() + 60_000;
            while (!Files.exists(dir.resolve("logs/processed/" + name)) && System.currentTimeMillis() < end) {
                Thread.sleep(100);
            }
            assertTrue(Files.exists(dir.resolve("logs/processed/" + name)), "uploaded: " + p.tail());
        }
    }

    private static List<JsonNode> stored(IngestServer server) {
        return server.stored().values().stream().flatMap(List::stream).toList();
    }

    @Test
    void dropIcmpRecordsAndASubnetBeforeUpload() throws Exception {
        Path dir = RelayProcess.newWorkDir("yaml-drop");
        Path upload = dir.resolve("routes/upload.yaml");
        Files.writeString(upload, Files.readString(upload) + """

                - beans:
                    - name: dropIcmp
                      type: org.packetrelay.upload.DropRecords
                      properties:
                        when: "${body[protocol]} == 'ICMP' || ${body.inSubnet('src_ip', '10.9.0.0/16')}"
                """);
        edit(upload, UPLOAD_STEP, """
                              - process:
                                  ref: dropIcmp
                """ + UPLOAD_STEP);
        spool(dir, "packets_20260101_000000_000.csv", 1200);
        try (IngestServer server = new IngestServer(0)) {
            upload(dir, server, "packets_20260101_000000_000.csv");
            List<JsonNode> rows = stored(server);
            long expected = IntStream.range(0, 1200).filter(i -> i % 3 != 0 && i % 5 != 0).count();
            assertEquals(expected, rows.size());
            assertTrue(rows.stream().noneMatch(n -> n.get("protocol").asText().equals("ICMP")), "no ICMP stored");
            assertTrue(rows.stream().noneMatch(n -> n.get("src_ip").asText().startsWith("10.9.")), "nothing from 10.9.0.0/16");
            assertEquals(List.of(), server.problems());
            assertEquals(3, server.stored().size(), "three batches, keyed by the rows they span: "
                                                    + new TreeSet<>(server.stored().keySet()));
        }
    }

    @Test
    void overwriteAFieldAndFillAnEmptyOne() throws Exception {
        Path dir = RelayProcess.newWorkDir("yaml-setfield");
        Path upload = dir.resolve("routes/upload.yaml");
        Files.writeString(upload, Files.readString(upload) + """

                - beans:
                    - name: siteInterface
                      type: org.packetrelay.upload.SetField
                      properties:
                        field: interface
                        value: "site-7/${body[interface]}"
                    - name: defaultVlan
                      type: org.packetrelay.upload.SetField
                      properties:
                        field: vlan_id
                        value: "1"
                        when: "${body[vlan_id]} == null"
                """);
        edit(upload, UPLOAD_STEP, """
                              - process:
                                  ref: siteInterface
                              - process:
                                  ref: defaultVlan
                """ + UPLOAD_STEP);
        spool(dir, "packets_20260101_000000_000.csv", 700);
        try (IngestServer server = new IngestServer(0)) {
            upload(dir, server, "packets_20260101_000000_000.csv");
            List<JsonNode> rows = stored(server);
            assertEquals(700, rows.size());
            assertTrue(rows.stream().allMatch(n -> n.get("interface").asText().equals("site-7/eth0")), "overwritten");
            assertEquals(350, rows.stream().filter(n -> n.get("vlan_id").isIntegralNumber() && n.get("vlan_id").asInt() == 7).count(), "kept");
            assertEquals(350, rows.stream().filter(n -> n.get("vlan_id").isIntegralNumber() && n.get("vlan_id").asInt() == 1).count(),
                    "filled where it was empty, as a number");
            assertEquals(List.of(), server.problems(), "every value of its JSON type");
        }
    }

    @Test
    void wireTapEachBatchToAFileArchive() throws Exception {
        Path dir = RelayProcess.newWorkDir("yaml-wiretap");
        edit(dir.resolve("routes/upload.yaml"), UPLOAD_STEP, """
                              - wireTap:
                                  uri: "file:{{relay.logs-dir}}/archive?fileName=${body.file}.${body.firstRow}.json"
                """ + UPLOAD_STEP);
        spool(dir, "packets_20260101_000000_000.csv", 1200);
        try (IngestServer server = new IngestServer(0)) {
            upload(dir, server, "packets_20260101_000000_000.csv");
            assertEquals(1200, server.recordsStored());
            ObjectMapper json = new ObjectMapper();
            Path archive = dir.resolve("logs/archive");
            List<String> names = new ArrayList<>();
            long archived = 0;
            long end = System.currentTimeMillis() + 10_000;
            while (names.size() < 3 && System.currentTimeMillis() < end) {
                Thread.sleep(100);
                try (Stream<Path> s = Files.list(archive)) {
                    names = s.map(f -> f.getFileName().toString()).sorted().toList();
                }
            }
            assertEquals(List.of("packets_20260101_000000_000.csv.0.json", "packets_20260101_000000_000.csv.1000.json",
                    "packets_20260101_000000_000.csv.500.json"), names, "one file a batch, named by its first row, no colons");
            for (String n : names) {
                JsonNode batch = json.readTree(archive.resolve(n).toFile());
                archived += batch.size();
                String first = ":" + n.replace("packets_20260101_000000_000.csv.", "").replace(".json", "") + "+";
                assertEquals(server.stored().get(server.stored().keySet().stream().filter(k -> k.contains(first)).findFirst().orElseThrow())
                        .size(), batch.size(), n);
            }
            assertEquals(1200, archived, "the same batches in the archive");
        }
    }

    @Test
    void sendBatchesToASecondEndpoint() throws Exception {
        try (IngestServer main = new IngestServer(0); IngestServer second = new IngestServer(0)) {
            Path dir = RelayProcess.newWorkDir("yaml-second");
            edit(dir.resolve("routes/upload.yaml"), UPLOAD_STEP, """
                                  - to:
                                      uri: "%s"
                                      variableReceive: secondReply
                                      parameters:
                                        httpMethod: POST
                    """.formatted(second.url()) + UPLOAD_STEP);
            spool(dir, "packets_20260101_000000_000.csv", 1200);
            upload(dir, main, "packets_20260101_000000_000.csv");
            assertEquals(1200, main.recordsStored());
            assertEquals(1200, second.recordsStored(), "the same records at the second server");
            assertEquals(main.stored().keySet(), second.stored().keySet(), "with the same Idempotency-Keys");
            assertEquals(List.of(), second.problems(), "typed JSON with its Content-Type");
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
