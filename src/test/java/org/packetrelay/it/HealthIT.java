package org.packetrelay.it;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.packetrelay.testing.Jolokia;
import org.packetrelay.testing.RelayProcess;
import org.packetrelay.testing.SpoolFiles;
import org.packetrelay.testing.Traffic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * /observe/health turns DOWN when uploads have failed for longer than sender.unhealthy-after, and not when an operator
 * suspends a route.
 */
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

    private static String awaitHealth(Jolokia jolokia, String expected, long seconds) throws Exception {
        long end = System.currentTimeMillis() + seconds * 1000;
        String body = jolokia.health();
        while (!body.contains(expected) && System.currentTimeMillis() < end) {
            Thread.sleep(200);
            body = jolokia.health();
        }
        return body;
    }

    /**
     * The README's maintenance recipe: uploads fail (DOWN), the operator suspends upload and retry-failed (UP, the
     * routes' states as details), resumes them (DOWN again: the failing uploads were not forgotten, only paused).
     */
    @Test
    void suspendingUploadOnPurposeIsNotAFault() throws Exception {
        Path dir = RelayProcess.newWorkDir("health-suspend");
        SpoolFiles.writeReady(dir.resolve("logs/pending_upload"), "packets_20260101_000000_000.csv", 10);
        int mgmt = Traffic.freePort();
        Jolokia jolokia = new Jolokia(mgmt);
        try (RelayProcess p = RelayProcess.start(dir, Map.of("relay.roles", "sender",
                "sender.url", "http://127.0.0.1:" + Traffic.freePort() + "/ingest_packets",
                "sender.poll-interval", "1", "sender.retry-delay", "0", "sender.max-retries", "0",
                "sender.failed-retry-interval", "1", "sender.unhealthy-after", "2",
                "camel.management.port", String.valueOf(mgmt)))) {
            p.awaitLog("started in", 60);
            String body = awaitHealth(jolokia, "uploads failing", 30);
            assertTrue(body.startsWith("{\"status\":\"DOWN\"") && body.contains("uploads failing"), body + "\n" + p.tail());

            jolokia.exec("upload", "suspend");
            jolokia.exec("retry-failed", "suspend");
            assertEquals("Suspended", jolokia.routeState("upload"));
            body = awaitHealth(jolokia, "\"route.retry-failed\":\"Suspended\"", 10);
            assertTrue(body.startsWith("{\"status\":\"UP\""), "UP while suspended on purpose: " + body);
            assertTrue(body.contains("\"route.upload\":\"Suspended\""), body);
            assertTrue(HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + mgmt
                    + "/observe/health")).build(), HttpResponse.BodyHandlers.ofString()).statusCode() == 200, "200 for a probe");

            jolokia.exec("upload", "resume");
            jolokia.exec("retry-failed", "resume");
            body = awaitHealth(jolokia, "uploads failing", 30);
            assertTrue(body.startsWith("{\"status\":\"DOWN\"") && !body.contains("Suspended"), "DOWN again once resumed: " + body);
        }
    }
}
