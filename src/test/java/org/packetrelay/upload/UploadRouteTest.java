package org.packetrelay.upload;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import com.fasterxml.jackson.databind.JsonNode;
import org.apache.camel.BeanInject;
import org.apache.camel.CamelContext;
import org.apache.camel.test.main.junit5.CamelMainTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.packetrelay.catalog.Field;
import org.packetrelay.testing.IngestServer;
import org.packetrelay.testing.IngestServer.Fault;
import org.packetrelay.testing.SpoolFiles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.packetrelay.upload.UploadChecks.assertExactlyOnce;
import static org.packetrelay.upload.UploadChecks.await;
import static org.packetrelay.upload.UploadChecks.requestsFor;
import static org.packetrelay.upload.UploadChecks.storedWithTag;

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

    @Test
    void filesArriveExactlyOnceTypedInBatchesOfAtMost500() throws Exception {
        for (int i = 0; i < 3; i++) {
            SpoolFixtures.write(PENDING, "packets_20260101_000000_00" + i + ".csv", 1234, "happy" + i);
        }
        await(() -> storedWithTag(server, "happy2") == 1234 && Files.exists(PROCESSED.resolve("packets_20260101_000000_002.csv")),
                30_000, "3 files uploaded");
        for (int i = 0; i < 3; i++) {
            assertExactlyOnce(server, "happy" + i, 1234);
        }
        assertEquals(List.of(), server.problems(), "every JSON value typed as the catalog says");
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
    void serverErrorsAndDroppedConnectionsAreRetried() throws Exception {
        AtomicInteger seen = new AtomicInteger();
        server.faults(r -> switch (seen.incrementAndGet()) {
            case 1, 2 -> Fault.status(503, "maintenance");
            case 3 -> Fault.drop();
            case 4 -> Fault.delay(3000); // slower than sender.timeout=2
            case 5 -> Fault.status(429, Map.of("Retry-After", "1"));
            case 6 -> Fault.status(408, "request timeout");
            default -> null;
        });
        SpoolFixtures.write(PENDING, "packets_20260101_000100_000.csv", 700, "flaky");
        await(() -> Files.exists(PROCESSED.resolve("packets_20260101_000100_000.csv")), 60_000, "flaky file processed");
        assertExactlyOnce(server, "flaky", 700);
        assertTrue(seen.get() >= 7, "requests: " + seen.get());
        assertFalse(Files.exists(FAILED.resolve("packets_20260101_000100_000.csv.error")), "transient answers only");
    }

    @Test
    void tooLargeBatchesAreSplit() throws Exception {
        server.maxRecordsPerRequest(130);
        SpoolFixtures.write(PENDING, "packets_20260101_000200_000.csv", 1100, "split");
        await(() -> Files.exists(PROCESSED.resolve("packets_20260101_000200_000.csv")), 30_000, "split file processed");
        assertExactlyOnce(server, "split", 1100);
        assertTrue(server.stored().containsKey("test-host:packets_20260101_000200_000.csv:0+125"), "500 -> 250 -> 125");
    }

    @Test
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
        assertExactlyOnce(server, "after", 50);
        int before = requestsFor(server, "packets_20260101_000300_000.csv").size();
        assertTrue(before >= 1 && before <= 2, "batch 0 and at most the one beside it in the window: " + before);
        // a file that failed transiently beside it is retried from failed_uploads/: once that one is through, the retry
        // route has polled the folder with the permanent failure in it, which must not have been posted again
        SpoolFixtures.write(FAILED, "packets_20260101_000300_002.csv", 30, "retried").toFile();
        Files.delete(FAILED.resolve("packets_20260101_000300_002.csv.ready"));
        await(() -> Files.exists(PROCESSED.resolve("packets_20260101_000300_002.csv")), 30_000, "the retryable file retried");
        assertExactlyOnce(server, "retried", 30);
        assertEquals(before, requestsFor(server, "packets_20260101_000300_000.csv").size(), "no automatic retry of a permanent failure");
        assertTrue(Files.exists(FAILED.resolve("packets_20260101_000300_000.csv")));
    }

    @Test
    void transientFailureGoesToFailedUploadsAndIsRetriedFromWhereItStopped() throws Exception {
        String name = "packets_20260101_000400_000.csv";
        // batches 0 and 1 pass; the server is down (503) for the rest until the file is in failed_uploads/
        AtomicBoolean down = new AtomicBoolean(true);
        server.faults(r -> r.key() != null && r.key().contains(name) && down.get() && !r.key().endsWith(":0+500")
                           && !r.key().endsWith(":500+500") ? Fault.status(503, "down") : null);
        SpoolFixtures.write(PENDING, name, 2000, "resume");
        await(() -> Files.exists(FAILED.resolve(name)), 60_000, "the file in failed_uploads/ after its redeliveries");
        long failedAt = System.currentTimeMillis();
        down.set(false);
        assertFalse(Files.exists(FAILED.resolve(name + ".error")), "a transient failure has no .error");
        assertEquals("rows=1000\nbatch=500", Files.readString(LOGS.resolve(".state/" + name + ".progress")).trim(), "checkpoint after batch 1");
        await(() -> Files.exists(PROCESSED.resolve(name)), 90_000, "file processed after retries");
        assertExactlyOnce(server, "resume", 2000);
        assertEquals(1, server.postsPerKey().get("test-host:" + name + ":0+500").get(), "batch 0 is not posted again after the failure");
        assertEquals(1, server.postsPerKey().get("test-host:" + name + ":500+500").get(), "nor batch 1");
        // the retry came from failed_uploads/ at its next poll (sender.failed-retry-interval=2), not at once
        long retried = requestsFor(server, name).stream().filter(r -> r.receivedMillis() >= failedAt).mapToLong(IngestServer.Request::receivedMillis)
                .min().orElseThrow();
        assertTrue(retried > failedAt, "retried after the failure");
    }

    @Test
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
            // the .error is written as the failure is recorded, the file moved when the consumer completes it
            await(() -> Files.exists(err) && Files.exists(FAILED.resolve("packets_20260101_000500_" + c[0] + ".csv")), 10_000, err.toString());
            String text = Files.readString(err);
            assertTrue(text.contains(c[1]), c[0] + ": " + text);
            assertTrue(Files.exists(FAILED.resolve("packets_20260101_000500_" + c[0] + ".csv")), "file kept");
        }
        assertExactlyOnce(server, "stillflows", 10);
        assertEquals(0, storedWithTag(server, "bad"), "nothing of a file that cannot be read is sent");
        assertTrue(Files.exists(PENDING.resolve("packets_20260101_000500_005.csv.ready")), "a lone marker is left alone");
    }

    @Test
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
            assertExactlyOnce(server, "movefail", 1200);
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
        assertExactlyOnce(server, "movefail", 1200);
        for (String key : new String[] { ":0+500", ":500+500", ":1000+200" }) {
            assertEquals(1, server.postsPerKey().get("test-host:" + name + key).get(), "batch " + key + " posted once");
        }
        assertFalse(Files.exists(LOGS.resolve(".state/" + name + ".progress")), "checkpoint removed after the move");
    }

    @Test
    void a413OnASingleRecordIsPermanent() throws Exception {
        server.maxRecordsPerRequest(0);
        String name = "packets_20260101_000600_000.csv";
        SpoolFixtures.write(PENDING, name, 3, "single413");
        await(() -> Files.exists(FAILED.resolve(name + ".error")) && Files.exists(FAILED.resolve(name)), 30_000, "the file failed");
        String error = Files.readString(FAILED.resolve(name + ".error"));
        assertTrue(error.contains("HTTP 413"), error);
        // 3 -> 1 + 2; the 1 fails for good: nothing more is tried
        assertTrue(server.log().stream().anyMatch(r -> r.key() != null && r.key().endsWith(name + ":0+1")), "split down to one record");
        assertEquals(0, storedWithTag(server, "single413"));
    }

    @Test
    void onlyRegularFilesAreReadAndNothingOutsideTheSpoolIsEchoed() throws Exception {
        Files.createDirectories(PENDING);
        String fifo = "packets_20260101_000700_000.csv";
        Process mk = new ProcessBuilder("mkfifo", PENDING.resolve(fifo).toString()).start();
        assertEquals(0, mk.waitFor());
        Files.createFile(PENDING.resolve(fifo + ".ready"));
        String link = "packets_20260101_000700_001.csv";
        Files.createSymbolicLink(PENDING.resolve(link), Paths.get("/etc/passwd"));
        Files.createFile(PENDING.resolve(link + ".ready"));
        SpoolFixtures.write(PENDING, "packets_20260101_000700_002.csv", 20, "afterfifo");
        await(() -> Files.exists(PROCESSED.resolve("packets_20260101_000700_002.csv")), 30_000, "the next file goes through");
        assertExactlyOnce(server, "afterfifo", 20);
        for (String n : new String[] { fifo, link }) {
            Path err = FAILED.resolve(n + ".error");
            await(() -> Files.exists(err) && Files.exists(FAILED.resolve(n), LinkOption.NOFOLLOW_LINKS), 10_000, err.toString());
            String text = Files.readString(err);
            assertTrue(text.contains("only regular files are uploaded"), text);
            assertFalse(text.contains("root:"), "nothing of /etc/passwd: " + text);
        }
        assertTrue(Files.isSymbolicLink(FAILED.resolve(link)), "the link itself moved, its target untouched");
    }

    @Test
    void fileNamesBeyondLatin1GetKeysOfTheirOwn() throws Exception {
        String[] names = { "packets_x_\ud83d\ude00.csv", "packets_x_\ud83d\ude01.csv", "packets_y_\u4e2d.csv", "packets_y_\u6587.csv" };
        for (String n : names) {
            SpoolFixtures.write(PENDING, n, 100, "uni" + n.hashCode());
        }
        await(() -> Arrays.stream(names).allMatch(n -> Files.exists(PROCESSED.resolve(n))), 30_000, "all four uploaded");
        for (String n : names) {
            assertExactlyOnce(server, "uni" + n.hashCode(), 100);
        }
        assertTrue(server.stored().keySet().contains("test-host:packets_x_%F0%9F%98%80.csv:0+100"), server.stored().keySet().toString());
        assertTrue(server.stored().keySet().stream().allMatch(k -> k.chars().allMatch(c -> c > 32 && c < 127)), "ASCII keys");
    }

    @Test
    void aFileMovedBackByHandIsUploadedFromWhereItStopped() throws Exception {
        String name = "packets_20260101_000800_000.csv";
        AtomicInteger posts = new AtomicInteger();
        // batch 1 is refused (400) until a person has fixed the server
        AtomicBoolean fixed = new AtomicBoolean();
        server.faults(r -> r.key() != null && r.key().endsWith(name + ":500+500") && !fixed.get() && posts.incrementAndGet() > 0
                ? Fault.status(400, "{\"error\":\"refused\"}") : null);
        SpoolFixtures.write(PENDING, name, 1200, "byhand");
        await(() -> Files.exists(FAILED.resolve(name + ".error")) && Files.exists(FAILED.resolve(name)), 30_000, "permanent failure");
        String error = Files.readString(FAILED.resolve(name + ".error"));
        assertTrue(error.contains("rows uploaded before: 500"), "batch 0 got its 2xx: " + error);
        // the person's fix, as the README says: the file back into pending_upload/ with a new marker
        fixed.set(true);
        Files.move(FAILED.resolve(name), PENDING.resolve(name));
        Files.delete(FAILED.resolve(name + ".error"));
        Files.createFile(PENDING.resolve(name + ".ready"));
        await(() -> Files.exists(PROCESSED.resolve(name)), 30_000, "uploaded after the fix");
        assertExactlyOnce(server, "byhand", 1200);
        assertEquals(1, server.postsPerKey().get("test-host:" + name + ":0+500").get(), "batch 0 not posted again");
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] r = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, r, a.length, b.length);
        return r;
    }
}
