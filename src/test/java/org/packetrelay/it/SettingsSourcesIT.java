package org.packetrelay.it;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.packetrelay.testing.IngestServer;
import org.packetrelay.testing.RelayProcess;
import org.packetrelay.testing.SpoolFiles;
import org.packetrelay.testing.Traffic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** Where settings come from: the working folder's application.properties wins over the jar's, an environment variable over both. */
class SettingsSourcesIT {

    private static void awaitFile(Path f, RelayProcess p) throws Exception {
        long end = System.currentTimeMillis() + 60_000;
        while (!Files.exists(f) && System.currentTimeMillis() < end) {
            if (!p.isAlive()) {
                throw new AssertionError("packet-relay exited: " + p.tail());
            }
            Thread.sleep(100);
        }
    }

    @Test
    void theWorkingFoldersApplicationPropertiesOverridesTheJars() throws Exception {
        Path dir = RelayProcess.newWorkDir("local-props");
        SpoolFiles.writeReady(dir.resolve("logs/pending_upload"), "packets_20260101_000000_000.csv", 300);
        int mgmt = Traffic.freePort();
        try (IngestServer server = new IngestServer(Traffic.freePort())) {
            // keys the jar's copy also has (relay.roles, sender.url, camel.management.port): the user's values must win
            Files.writeString(dir.resolve("application.properties"), "relay.roles=sender\nsender.url=" + server.url()
                                                                  + "\nsender.poll-interval=1\ncamel.management.port=" + mgmt + "\n");
            try (RelayProcess p = RelayProcess.start(dir, Map.of())) {
                awaitFile(dir.resolve("logs/processed/packets_20260101_000000_000.csv"), p);
                assertEquals(300, server.recordsStored(), p.tail());
                assertFalse(p.out().contains("Capturing"), "relay.roles=sender from the file: no capture");
                HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + mgmt + "/observe/health")).build(), HttpResponse.BodyHandlers.ofString());
                assertEquals(200, health.statusCode(), "camel.management.port=" + mgmt + " from the file: " + health.body());
            }
        }
    }

    @Test
    void tokenFromTheEnvironmentIsSentAndShownNowhere() throws Exception {
        String token = "envtok-" + System.nanoTime() + "-secret";
        Path dir = RelayProcess.newWorkDir("env-token");
        SpoolFiles.writeReady(dir.resolve("logs/pending_upload"), "packets_20260101_000000_000.csv", 300);
        int mgmt = Traffic.freePort();
        try (IngestServer server = new IngestServer(Traffic.freePort())) {
            server.requireToken(token);
            try (RelayProcess p = RelayProcess.start(dir, Map.of("relay.roles", "sender", "sender.url", server.url(),
                    "sender.poll-interval", "1", "camel.management.port", String.valueOf(mgmt)), List.of(), List.of(),
                    Map.of("SENDER_AUTH_TOKEN", token))) {
                awaitFile(dir.resolve("logs/processed/packets_20260101_000000_000.csv"), p);
                assertEquals(300, server.recordsStored(), p.tail());
                HttpClient http = HttpClient.newHttpClient();
                for (String path : new String[] { "/observe/metrics", "/observe/health", "/observe/info" }) {
                    String body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + mgmt + path)).build(),
                            HttpResponse.BodyHandlers.ofString()).body();
                    assertFalse(body.contains(token), "token in " + path);
                }
                p.term(60);
                assertFalse(p.out().contains(token) || p.err().contains(token), "the token is not in the logs");
            }
        }
    }

    /** SENDER_URL and SENDER_BATCH_SIZE in the environment win over the working folder's application.properties. */
    @Test
    void anEnvironmentVariableOverridesTheWorkingFoldersApplicationProperties() throws Exception {
        Path dir = RelayProcess.newWorkDir("env-over-file");
        SpoolFiles.writeReady(dir.resolve("logs/pending_upload"), "packets_20260101_000000_000.csv", 300);
        try (IngestServer server = new IngestServer(Traffic.freePort())) {
            Files.writeString(dir.resolve("application.properties"), "relay.roles=sender\nsender.poll-interval=1\nsender.batch-size=7\n"
                                                                  + "sender.url=http://127.0.0.1:" + Traffic.freePort() + "/nobody-listens\n");
            try (RelayProcess p = RelayProcess.start(dir, Map.of(), List.of(), List.of(),
                    Map.of("SENDER_URL", server.url(), "SENDER_BATCH_SIZE", "50"))) {
                awaitFile(dir.resolve("logs/processed/packets_20260101_000000_000.csv"), p);
                assertEquals(300, server.recordsStored(), p.tail());
                assertEquals(50, server.maxBatch(), "SENDER_BATCH_SIZE=50 over the file's 7");
                assertEquals(6, server.requests(), "300 records in batches of 50");
            }
        }
    }
}
