package org.packetrelay.upload;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.camel.BeanInject;
import org.apache.camel.CamelContext;
import org.apache.camel.test.main.junit5.CamelMainTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.packetrelay.catalog.Field;
import org.packetrelay.testing.IngestServer;
import org.packetrelay.testing.IngestServer.Fault;
import org.packetrelay.testing.SpoolFiles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The upload routes from routes/upload.yaml and upload-errors.yaml against a real HTTP server on 127.0.0.1 that
 * checks every JSON type and counts records by Idempotency-Key.
 */
@CamelMainTest(propertyPlaceholderLocations = "file:application.properties",
               properties = {
                       "camel.main.routes-include-pattern=file:routes/upload*.yaml",
                       "camel.server.enabled=false",
                       "camel.management.enabled=false",
                       "relay.roles=sender",
                       "relay.logs-dir=target/test-spool/upload",
                       "sender.poll-interval=1",
                       "sender.retry-delay=1",
                       "sender.max-retries=3",
                       "sender.failed-retry-interval=2",
                       "sender.timeout=2",
                       "sender.host-id=test-host",
               })
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class UploadRouteTest {
    static final Path LOGS = Paths.get("target/test-spool/upload");
    static final Path PENDING = LOGS.resolve("pending_upload");
    static final Path PROCESSED = LOGS.resolve("processed");
    static final Path FAILED = LOGS.resolve("failed_uploads");
    static IngestServer server;

    static {
        try {
            SpoolFiles.deleteTree(LOGS);
            // a port the kernel picks; sender.url as a system property (which Camel's settings take over the file's)
            server = new IngestServer(0);
            System.setProperty("sender.url", server.url());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @BeanInject
    CamelContext context;

    @AfterAll
    static void stopServer() throws Exception {
        System.clearProperty("sender.url");
        server.close();
        SpoolFiles.deleteTree(LOGS);
    }

    @BeforeEach
    void behave() {
        server.faults(r -> null);
        server.maxRecordsPerRequest(Integer.MAX_VALUE);
    }

    private static void await(BooleanSupplier done, long timeoutMs, String what) throws InterruptedException {
        long end = System.currentTimeMillis() + timeoutMs;
        while (!done.getAsBoolean()) {
            if (System.currentTimeMillis() > end) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(100);
        }
    }

    private static long storedWithTag(String tag) {
        return server.stored().values().stream().flatMap(java.util.List::stream)
                .filter(n -> n.get("http_path").asText().contains("tag=" + tag + ",")).count();
    }

    private static void assertExactlyOnce(String tag, int expected) {
        java.util.Set<String> ids = new java.util.HashSet<>();
        server.stored().values().stream().flatMap(java.util.List::stream)
                .filter(n -> n.get("http_path").asText().contains("tag=" + tag + ","))
                .forEach(n -> assertTrue(ids.add(n.get("community_id").asText()), "stored twice: " + n.get("community_id")));
        assertEquals(expected, ids.size(), "records of " + tag + " at the server");
    }

    @Test
    @Order(1)
    void filesArriveExactlyOnceTypedInBatchesOfAtMost500() throws Exception {
        for (int i = 0; i < 3; i++) {
            SpoolFixtures.write(PENDING, "packets_20260101_000000_00" + i + ".csv", 1234, "happy" + i);
        }
        await(() -> storedWithTag("happy2") == 1234 && Files.exists(PROCESSED.resolve("packets_20260101_000000_002.csv")),
                30_000, "3 files uploaded");
        for (int i = 0; i < 3; i++) {
            assertExactlyOnce("happy" + i, 1234);
        }
        assertEquals(java.util.List.of(), server.problems(), "every JSON value typed as the catalog says");
        assertTrue(server.maxBatch() <= 500, "batch of " + server.maxBatch());
        for (int i = 0; i < 3; i++) {
            String n = "packets_20260101_000000_00" + i + ".csv";
            assertTrue(Files.exists(PROCESSED.resolve(n)), n);
            assertFalse(Files.exists(PENDING.resolve(n)));
            assertFalse(Files.exists(PENDING.resolve(n + ".ready")), "marker removed");
            assertFalse(Files.exists(LOGS.resolve(".state/" + n + ".progress")), "checkpoint removed");
        }
        // typed values: a record's JSON equals the typed CSV values
        JsonNode rec = server.stored().values().iterator().next().get(0);
        assertTrue(rec.get("timestamp").isNumber() && rec.get("timestamp").decimalValue().scale() == 6, rec.toString());
        assertTrue(rec.get("seq").isIntegralNumber() && rec.get("seq").asLong() >= 4_000_000_000L);
        assertTrue(rec.get("tcp_ack").isBoolean());
        assertTrue(rec.get("dns_qname").isNull());
        assertEquals(Field.COUNT, rec.size());
        // keys: host id + file + first row + count
        assertTrue(server.stored().containsKey("test-host:packets_20260101_000000_000.csv:0+500"), server.stored().keySet().toString());
        assertTrue(server.stored().containsKey("test-host:packets_20260101_000000_000.csv:1000+234"));
    }

    @Test
    @Order(2)
    void serverErrorsAndDroppedConnectionsAreRetried() throws Exception {
        AtomicInteger seen = new AtomicInteger();
        server.faults(r -> switch (seen.incrementAndGet()) {
            case 1, 2 -> Fault.status(503, "maintenance");
            case 3 -> Fault.drop();
            case 4 -> Fault.delay(3000); // slower than sender.timeout=2
            case 5 -> Fault.status(429, Map.of("Retry-After", "1"));
            default -> null;
        });
        SpoolFixtures.write(PENDING, "packets_20260101_000100_000.csv", 700, "flaky");
        await(() -> Files.exists(PROCESSED.resolve("packets_20260101_000100_000.csv")), 60_000, "flaky file processed");
        assertExactlyOnce("flaky", 700);
        assertTrue(seen.get() >= 6, "requests: " + seen.get());
    }

    @Test
    @Order(3)
    void tooLargeBatchesAreSplit() throws Exception {
        server.maxRecordsPerRequest(130);
        SpoolFixtures.write(PENDING, "packets_20260101_000200_000.csv", 1100, "split");
        await(() -> Files.exists(PROCESSED.resolve("packets_20260101_000200_000.csv")), 30_000, "split file processed");
        assertExactlyOnce("split", 1100);
        assertTrue(server.stored().containsKey("test-host:packets_20260101_000200_000.csv:0+125"), "500 -> 250 -> 125");
    }

    @Test
    @Order(4)
    void permanentErrorsFailTheFileWithAnErrorFileAndOthersKeepFlowing() throws Exception {
        server.faults(r -> r.key() != null && r.key().contains("000300_000") ? Fault.status(400, "{\"error\":\"bad field src_port\"}") : null);
        SpoolFixtures.write(PENDING, "packets_20260101_000300_000.csv", 600, "rejected");
        SpoolFixtures.write(PENDING, "packets_20260101_000300_001.csv", 50, "after");
        await(() -> Files.exists(FAILED.resolve("packets_20260101_000300_000.csv.error"))
                    && Files.exists(PROCESSED.resolve("packets_20260101_000300_001.csv")), 30_000, "rejected file failed, next processed");
        String error = Files.readString(FAILED.resolve("packets_20260101_000300_000.csv.error"));
        assertTrue(error.contains("HTTP 400") && error.contains("bad field src_port") && error.contains("batch 0"), error);
        assertTrue(Files.exists(FAILED.resolve("packets_20260101_000300_000.csv")));
        assertFalse(Files.exists(PENDING.resolve("packets_20260101_000300_000.csv.ready")));
        assertExactlyOnce("after", 50);
        int before = server.requests();
        Thread.sleep(5000); // two failed-retry intervals: a file with .error is not retried
        assertEquals(before, server.requests(), "no automatic retry of a permanent failure");
    }

    @Test
    @Order(5)
    void transientFailureGoesToFailedUploadsAndIsRetriedFromWhereItStopped() throws Exception {
        AtomicInteger posts = new AtomicInteger();
        // batches 0 and 1 pass, then the server is down (503) for a while
        server.faults(r -> {
            if (r.key() == null || !r.key().contains("000400_000")) {
                return null;
            }
            int n = posts.incrementAndGet();
            return n > 2 && n <= 2 + 4 * 3 ? Fault.status(503, "down") : null;
        });
        SpoolFixtures.write(PENDING, "packets_20260101_000400_000.csv", 2000, "resume");
        await(() -> Files.exists(PROCESSED.resolve("packets_20260101_000400_000.csv")), 90_000, "file processed after retries");
        assertExactlyOnce("resume", 2000);
        assertEquals(1, server.postsPerKey().get("test-host:packets_20260101_000400_000.csv:0+500").get(),
                "batch 0 is not posted again after the failure");
    }

    @Test
    @Order(6)
    void malformedSpoolFilesFailWithTheLineAndLoseNothingElse() throws Exception {
        byte[] header = (Field.CSV_HEADER + "\n").getBytes(StandardCharsets.UTF_8);
        String good = SpoolFixtures.record(1, "bad").toString();
        SpoolFixtures.writeRaw(PENDING, "packets_20260101_000500_000.csv", "a,b,c\n1,2,3\n".getBytes(StandardCharsets.UTF_8));
        SpoolFixtures.writeRaw(PENDING, "packets_20260101_000500_001.csv", concat(header, (good + "1,2,3\n").getBytes(StandardCharsets.UTF_8)));
        SpoolFixtures.writeRaw(PENDING, "packets_20260101_000500_002.csv", concat(header, new byte[] { (byte) 0xFF, (byte) 0xFE, 0, 1, '\n' }));
        SpoolFixtures.writeRaw(PENDING, "packets_20260101_000500_003.csv", new byte[0]);
        SpoolFixtures.writeRaw(PENDING, "packets_20260101_000500_004.csv",
                concat(header, good.replace(",443,", ",https,").getBytes(StandardCharsets.UTF_8)));
        Files.createFile(PENDING.resolve("packets_20260101_000500_005.csv.ready")); // marker without its file
        SpoolFixtures.write(PENDING, "packets_20260101_000500_006.csv", 10, "stillflows");
        await(() -> Files.exists(PROCESSED.resolve("packets_20260101_000500_006.csv")), 30_000, "good file after bad ones");
        for (String[] c : new String[][] {
                { "000", "line 1: header" },
                { "001", "line 3: 3 cells, expected 44" },
                { "002", "line 2" },
                { "003", "empty file" },
                { "004", "line 2: dst_port is 'https', expected an integer" } }) {
            Path err = FAILED.resolve("packets_20260101_000500_" + c[0] + ".csv.error");
            await(() -> Files.exists(err), 10_000, err.toString());
            String text = Files.readString(err);
            assertTrue(text.contains(c[1]), c[0] + ": " + text);
            assertTrue(Files.exists(FAILED.resolve("packets_20260101_000500_" + c[0] + ".csv")), "file kept");
        }
        assertExactlyOnce("stillflows", 10);
        assertEquals(0, storedWithTag("bad"), "nothing of a file that cannot be read is sent");
        assertTrue(Files.exists(PENDING.resolve("packets_20260101_000500_005.csv.ready")), "a lone marker is left alone");
    }

    @Test
    @Order(7)
    void aMoveThatFailsIsRetriedAndNothingIsPostedAgain() throws Exception {
        // processed/ cannot be written: a plain file stands where the folder should be
        Path aside = LOGS.resolve("processed.aside");
        Files.move(PROCESSED, aside);
        Files.writeString(PROCESSED, "in the way");
        MoveFailures moves = context.getRegistry().lookupByNameAndType("moveFailures", MoveFailures.class);
        long failuresBefore = moves.getFailures();
        String name = "packets_20260101_000900_000.csv";
        SpoolFixtures.write(PENDING, name, 1200, "movefail");
        try {
            await(() -> moves.getFailures() >= failuresBefore + 2, 60_000, "the move failed twice (taken again after the first)");
            assertExactlyOnce("movefail", 1200);
            assertTrue(Files.exists(PENDING.resolve(name)), "the file stays where it was");
            assertTrue(Files.exists(PENDING.resolve(name + ".ready")), "with its marker, so it is taken again");
            assertEquals("rows=1200", Files.readString(LOGS.resolve(".state/" + name + ".progress")).trim(),
                    "its checkpoint says every row is uploaded");
        } finally {
            Files.delete(PROCESSED);
            Files.move(aside, PROCESSED);
        }
        await(() -> Files.exists(PROCESSED.resolve(name)) && !Files.exists(PENDING.resolve(name + ".ready")), 30_000,
                "moved once the folder is back");
        assertExactlyOnce("movefail", 1200);
        for (String key : new String[] { ":0+500", ":500+500", ":1000+200" }) {
            assertEquals(1, server.postsPerKey().get("test-host:" + name + key).get(), "batch " + key + " posted once");
        }
        assertFalse(Files.exists(LOGS.resolve(".state/" + name + ".progress")), "checkpoint removed after the move");
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
