package org.packetrelay.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.packetrelay.testing.IngestServer;
import org.packetrelay.testing.RelayProcess;
import org.packetrelay.testing.SpoolFiles;
import org.packetrelay.testing.Traffic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bearer token read from a file is sent with every batch and never shows up in the logs. */
class AuthTokenIT {

    @Test
    void tokenFromAFileIsSentAndNeverLogged() throws Exception {
        String token = "tok-" + System.nanoTime() + "-secret";
        Path dir = RelayProcess.newWorkDir("token");
        Path secret = Files.writeString(dir.resolve("token.txt"), token + "\n");
        Path pending = dir.resolve("logs/pending_upload");
        SpoolFiles.writeReady(pending, "packets_20260101_000000_000.csv", 700);
        try (IngestServer server = new IngestServer(Traffic.freePort())) {
            server.requireToken(token);
            try (RelayProcess p = RelayProcess.start(dir, Map.of("relay.roles", "sender", "sender.url", server.url(),
                    "sender.poll-interval", "1", "sender.auth-token-file", secret.toString()))) {
                long end = System.currentTimeMillis() + 60_000;
                while (!Files.exists(dir.resolve("logs/processed/packets_20260101_000000_000.csv")) && System.currentTimeMillis() < end) {
                    Thread.sleep(100);
                }
                assertEquals(700, server.recordsStored(), p.tail());
                p.term(60);
                assertFalse(p.out().contains(token) || p.err().contains(token), "the token is not in the logs");
            }
            // a wrong token: 401 is permanent, the file waits in failed_uploads/ with the reason
            Files.writeString(secret, "wrong");
            Files.copy(dir.resolve("logs/processed/packets_20260101_000000_000.csv"), pending.resolve("packets_20260101_000001_000.csv"));
            Files.createFile(pending.resolve("packets_20260101_000001_000.csv.ready"));
            try (RelayProcess p = RelayProcess.start(dir, Map.of("relay.roles", "sender", "sender.url", server.url(),
                    "sender.poll-interval", "1", "sender.auth-token-file", secret.toString()))) {
                Path error = dir.resolve("logs/failed_uploads/packets_20260101_000001_000.csv.error");
                long end = System.currentTimeMillis() + 60_000;
                while (!Files.exists(error) && System.currentTimeMillis() < end) {
                    Thread.sleep(100);
                }
                assertTrue(Files.readString(error).contains("HTTP 401"), p.tail());
                assertFalse(p.out().contains("wrong"), "not even a wrong token is logged");
            }
        }
    }
}
