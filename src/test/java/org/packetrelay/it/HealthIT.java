package org.packetrelay.it;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.packetrelay.testing.RelayProcess;
import org.packetrelay.testing.SpoolFiles;
import org.packetrelay.testing.Traffic;

import static org.junit.jupiter.api.Assertions.assertTrue;

/** /observe/health turns DOWN when uploads have failed for longer than sender.unhealthy-after. */
class HealthIT {

    @Test
    void healthIsDownWhileUploadsKeepFailing() throws Exception {
        Path dir = RelayProcess.newWorkDir("health");
        SpoolFiles.writeReady(dir.resolve("logs/pending_upload"), "packets_20260101_000000_000.csv", 10);
        int mgmt = Traffic.freePort();
        int deadPort = Traffic.freePort(); // nothing listens: connection refused
        HttpClient http = HttpClient.newHttpClient();
        URI health = URI.create("http://127.0.0.1:" + mgmt + "/observe/health");
        try (RelayProcess p = RelayProcess.start(dir, Map.of("relay.roles", "sender",
                "sender.url", "http://127.0.0.1:" + deadPort + "/ingest_packets",
                "sender.poll-interval", "1", "sender.retry-delay", "0", "sender.max-retries", "1",
                "sender.failed-retry-interval", "1", "sender.unhealthy-after", "4",
                "camel.management.port", String.valueOf(mgmt)))) {
            p.awaitLog("started in", 60);
            // UP once the file consumers have polled (Camel's own consumer checks), before 4 s of failures
            long end = System.currentTimeMillis() + 20_000;
            String body = "";
            while (System.currentTimeMillis() < end && !body.contains("\"UP\"")) {
                body = http.send(HttpRequest.newBuilder(health).build(), HttpResponse.BodyHandlers.ofString()).body();
                Thread.sleep(100);
            }
            assertTrue(body.contains("\"UP\""), body);
            end = System.currentTimeMillis() + 30_000;
            while (System.currentTimeMillis() < end && !body.contains("uploads failing")) {
                Thread.sleep(250);
                body = http.send(HttpRequest.newBuilder(health).build(), HttpResponse.BodyHandlers.ofString()).body();
            }
            assertTrue(body.contains("DOWN") && body.contains("uploads failing"), body + "\n" + p.tail());
        }
    }
}
