package org.packetrelay.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.packetrelay.testing.IngestServer;
import org.packetrelay.testing.IngestServer.Fault;
import org.packetrelay.testing.RelayProcess;
import org.packetrelay.testing.SpoolFiles;
import org.packetrelay.testing.Traffic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sender killed with kill -9 in the middle of a file and started again: every record reaches the server
 * exactly once, and the restart resumes at the checkpoint instead of posting the file again. A second sender
 * on the same spool folder is refused.
 */
class SenderKillIT {

    @Test
    void killNineMidFileThenRestartDeliversEveryRecordOnceAndResumes() throws Exception {
        int rows = 40_000;
        int batches = rows / 500;
        Path dir = RelayProcess.newWorkDir("sender-kill");
        Path pending = dir.resolve("logs/pending_upload");
        SpoolFiles.writeReady(pending, "packets_20260101_000000_000.csv", rows);

        try (IngestServer server = new IngestServer(Traffic.freePort())) {
            server.faults(req -> Fault.delay(150)); // slow enough to kill it mid-file, then store normally
            Map<String, String> settings = Map.of("relay.roles", "sender", "sender.url", server.url(),
                    "sender.poll-interval", "1", "sender.host-id", "h1");
            try (RelayProcess p = RelayProcess.start(dir, settings)) {
                long end = System.currentTimeMillis() + 60_000;
                while (server.stored().size() < 2 && System.currentTimeMillis() < end) {
                    Thread.sleep(20);
                }
                // a second sender on the same spool folder is refused with one clear line
                try (RelayProcess second = RelayProcess.start(dir, settings)) {
                    assertNotEquals(0, second.waitFor(60));
                    assertTrue(second.err().contains("another sender is already uploading from"), second.err());
                }
                while (server.stored().size() < batches / 3 && System.currentTimeMillis() < end) {
                    Thread.sleep(20);
                }
                assertTrue(server.stored().size() >= batches / 3, p.tail());
                p.kill9();
            }
            int storedAtKill = server.stored().size();
            assertTrue(storedAtKill < batches, "killed mid-file");
            assertTrue(Files.exists(dir.resolve("logs/.state/packets_20260101_000000_000.csv.progress")), "checkpoint kept");

            try (RelayProcess p = RelayProcess.start(dir, settings)) {
                long end = System.currentTimeMillis() + 120_000;
                while (!Files.exists(dir.resolve("logs/processed/packets_20260101_000000_000.csv")) && System.currentTimeMillis() < end) {
                    Thread.sleep(100);
                }
                assertTrue(Files.exists(dir.resolve("logs/processed/packets_20260101_000000_000.csv")), p.tail());
                assertTrue(p.out().contains("resumed at row"), p.tail());
            }
            assertEquals(batches, server.stored().size(), "every batch stored once");
            Set<String> ids = new HashSet<>();
            server.stored().values().forEach(list -> list.forEach(n -> assertTrue(ids.add(n.get("community_id").asText()))));
            assertEquals(rows, ids.size());
            long reposted = server.postsPerKey().values().stream().filter(c -> c.get() > 1).count();
            // only batches that were in flight at the kill (sender.parallel-batches, 4) may be posted twice
            assertTrue(reposted <= 4, "batches posted again: " + reposted + " (stored at kill: " + storedAtKill + ")");
            assertFalse(Files.exists(pending.resolve("packets_20260101_000000_000.csv.ready")));
            List<AtomicInteger> counts = List.copyOf(server.postsPerKey().values());
            assertEquals(batches, counts.size());
        }
    }
}
