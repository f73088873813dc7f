package org.packetrelay.it;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.packetrelay.testing.IngestServer;
import org.packetrelay.testing.IngestServer.Fault;
import org.packetrelay.testing.RelayProcess;
import org.packetrelay.testing.SpoolFiles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sender's life beyond one upload: failed_uploads/ tried at start-up, a stop by SIGTERM or SIGINT in the middle
 * of a file, and a full disk under its spool folder. Each ends with every record at the server exactly once.
 */
class SenderLifecycleIT {
    private static final String FILE = "packets_20260101_000000_000.csv";

    private static Map<String, String> settings(IngestServer server, String... more) {
        Map<String, String> m = new HashMap<>(Map.of("relay.roles", "sender", "sender.url", server.url(), "sender.poll-interval",
                "1", "sender.retry-delay", "1", "sender.host-id", "life", "camel.management.port", "0"));
        for (int i = 0; i < more.length; i += 2) {
            m.put(more[i], more[i + 1]);
        }
        return m;
    }

    private static void awaitFile(Path f, RelayProcess p) throws InterruptedException {
        long end = System.currentTimeMillis() + 90_000;
        while (!Files.exists(f) && System.currentTimeMillis() < end) {
            Thread.sleep(50);
        }
        assertTrue(Files.exists(f), f + ": " + p.tail());
    }

    /** The rows of SpoolFiles.writeReady (community_id row-N) at the server: each once, all of them. */
    private static void assertAllOnce(IngestServer server, int rows) {
        Set<String> ids = new HashSet<>();
        for (List<JsonNode> batch : server.stored().values()) {
            for (JsonNode r : batch) {
                assertTrue(ids.add(r.get("community_id").asText()), "stored twice: " + r.get("community_id"));
            }
        }
        assertEquals(rows, ids.size());
    }

    @Test
    void failedUploadsAreTriedAgainAtStartUp() throws Exception {
        Path dir = RelayProcess.newWorkDir("sender-startup");
        SpoolFiles.writeReady(dir.resolve("logs/failed_uploads"), FILE, 1200);
        Files.delete(dir.resolve("logs/failed_uploads/" + FILE + ".ready")); // failed_uploads/ needs no marker
        try (IngestServer server = new IngestServer(0);
             RelayProcess p = RelayProcess.start(dir, settings(server, "sender.failed-retry-interval", "86400"))) {
            // a day between retries: only the one at start-up can take it
            awaitFile(dir.resolve("logs/processed/" + FILE), p);
            assertAllOnce(server, 1200);
            assertEquals("rw-------", PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(dir.resolve("logs/.sender.lock"))), "the lock owner-only, like every file the relay makes");
        }
    }

    @Test
    void aFilesBatchesGoOutParallelBatchesAtOnce() throws Exception {
        // each answer takes 1 s, so the requests that start within 0.9 s of each other are all in flight together: as
        // many as sender.parallel-batches (the split's iteration, which waits for the window, takes no posting thread)
        Path dir = RelayProcess.newWorkDir("sender-parallel");
        SpoolFiles.writeReady(dir.resolve("logs/pending_upload"), FILE, 8000);
        List<Long> starts = new CopyOnWriteArrayList<>();
        try (IngestServer server = new IngestServer(0)) {
            server.faults(r -> {
                starts.add(System.nanoTime());
                return Fault.delay(1000);
            });
            try (RelayProcess p = RelayProcess.start(dir, settings(server, "sender.parallel-batches", "4"))) {
                awaitFile(dir.resolve("logs/processed/" + FILE), p);
            }
            assertAllOnce(server, 8000);
        }
        List<Long> sorted = starts.stream().sorted().toList();
        int most = 0;
        for (int i = 0; i < sorted.size(); i++) {
            int together = 0;
            for (int j = i; j < sorted.size() && sorted.get(j) - sorted.get(i) < 900_000_000L; j++) {
                together++;
            }
            most = Math.max(most, together);
        }
        assertEquals(4, most, "requests in flight at once, of " + sorted.size());
    }

    @Test
    void sigtermMidFileLosesNothing() throws Exception {
        stopMidFile("TERM");
    }

    @Test
    void sigintMidFileLosesNothing() throws Exception {
        stopMidFile("INT");
    }

    private static void stopMidFile(String signal) throws Exception {
        int rows = 20_000;
        Path dir = RelayProcess.newWorkDir("sender-" + signal.toLowerCase());
        SpoolFiles.writeReady(dir.resolve("logs/pending_upload"), FILE, rows);
        try (IngestServer server = new IngestServer(0)) {
            server.faults(r -> Fault.delay(300)); // slow enough to stop it mid-file
            // Camel's graceful stop lets the file go on for camel.main.shutdown-timeout, then stops it where it is
            try (RelayProcess p = RelayProcess.start(dir, settings(server, "sender.parallel-batches", "2", "camel.main.shutdown-timeout", "2"))) {
                long end = System.currentTimeMillis() + 60_000;
                while (server.stored().size() < 4 && System.currentTimeMillis() < end) {
                    Thread.sleep(20);
                }
                assertTrue(server.stored().size() >= 4, p.tail());
                int code = p.signal(signal, 60);
                assertTrue(code == 0 || code == 130 || code == 143, "exit " + code + ": " + p.tail());
                assertTrue(server.stored().size() < rows / 500, "stopped mid-file");
                assertFalse(Files.exists(dir.resolve("logs/processed/" + FILE)), "not complete, so not processed/");
                assertTrue(p.out().contains("is shutdown"), "Camel stopped: " + p.tail());
            }
            server.faults(r -> null);
            try (RelayProcess p = RelayProcess.start(dir, settings(server, "sender.failed-retry-interval", "1"))) {
                awaitFile(dir.resolve("logs/processed/" + FILE), p);
            }
            assertAllOnce(server, rows);
        }
    }

    @Test
    void aFullDiskUnderTheSpoolLosesNothing() throws Exception {
        Path dir = RelayProcess.newWorkDir("sender-full");
        Path logs = dir.resolve("logs");
        Files.createDirectories(logs);
        run("mount", "-t", "tmpfs", "-o", "size=4m,mode=700", "tmpfs", logs.toString());
        try (IngestServer server = new IngestServer(0)) {
            SpoolFiles.writeReady(logs.resolve("pending_upload"), FILE, 3000);
            // the rest of the disk filled: no checkpoint, no status file can be written
            Path filler = logs.resolve("filler");
            fill(filler);
            try (RelayProcess p = RelayProcess.start(dir, settings(server, "sender.failed-retry-interval", "1"))) {
                long end = System.currentTimeMillis() + 60_000;
                while (!p.out().contains("cannot save the checkpoint") && System.currentTimeMillis() < end) {
                    Thread.sleep(50);
                }
                assertTrue(p.out().contains("cannot save the checkpoint"), "the full disk seen: " + p.tail());
                assertFalse(Files.exists(logs.resolve("processed/" + FILE)), "not processed/ while its progress cannot be kept");
                Files.delete(filler);
                awaitFile(logs.resolve("processed/" + FILE), p);
            }
            assertAllOnce(server, 3000);
        } finally {
            run("umount", "-l", logs.toString());
        }
    }

    private static void fill(Path filler) throws IOException {
        byte[] block = new byte[4096];
        try (var out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(block);
            }
        } catch (IOException full) {
            if (!String.valueOf(full.getMessage()).contains("No space left")) {
                throw full;
            }
        }
    }

    private static void run(String... cmd) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (p.waitFor() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " failed (the test needs root to mount a tmpfs): " + out);
        }
    }
}
