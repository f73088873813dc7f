package org.packetrelay.it;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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

/** What some settings do beyond their own component: the default sender.url, sender.max-retries=0. */
class SettingsBehaviourIT {

    private static void awaitFile(Path f, RelayProcess p) throws Exception {
        long end = System.currentTimeMillis() + 60_000;
        while (!Files.exists(f)) {
            if (!p.isAlive() || System.currentTimeMillis() > end) {
                throw new AssertionError("no " + f + ": " + p.tail());
            }
            Thread.sleep(50);
        }
    }

    /**
     * The receiver moved (another host address on lo, another port) and sender.url not set: the sender posts to it,
     * and the sniffer leaves that traffic alone (sniffer.ignore-tcp-to is {{sender.url}}).
     */
    @Test
    void theDefaultSenderUrlFollowsTheReceiverInTheSameProcess() throws Exception {
        Path dir = RelayProcess.newWorkDir("follow-receiver");
        SpoolFiles.writeReady(dir.resolve("logs/pending_upload"), "packets_20260101_000000_000.csv", 120);
        int port = Traffic.freePort();
        try (RelayProcess p = RelayProcess.start(dir, Map.of("receiver.host", "127.0.0.2", "receiver.port", String.valueOf(port),
                "sniffer.interfaces", "lo", "sniffer.filter", "udp port " + Traffic.freePort(), "sender.poll-interval", "1"))) {
            awaitFile(dir.resolve("logs/processed/packets_20260101_000000_000.csv"), p);
            String health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.2:" + port + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertEquals("{\"status\":\"UP\",\"records\":120}", health, p.tail());
            assertTrue(p.out().contains("not (tcp and (host 127.0.0.2) and port " + port + ")"), "the capture filter follows: " + p.tail());
            assertFalse(p.out().contains(":8000"), p.tail());
        }
    }

    /**
     * The working folder's application.properties is a whole copy of the defaults (as the Debian package installs it)
     * with receiver.port changed in it: its sender.url is the default's, so it still follows the receiver.
     */
    @Test
    void aWholeCopyOfTheDefaultsStillFollowsTheReceiver() throws Exception {
        Path dir = RelayProcess.newWorkDir("follow-receiver-copy");
        SpoolFiles.writeReady(dir.resolve("logs/pending_upload"), "packets_20260101_000000_000.csv", 40);
        int port = Traffic.freePort();
        String defaults = Files.readString(RelayProcess.projectDir().resolve("application.properties"));
        assertTrue(defaults.contains("\nreceiver.port=8000\n") && defaults.contains("\nrelay.roles=sniffer,sender,receiver\n"));
        Files.writeString(dir.resolve("application.properties"), defaults.replace("\nreceiver.port=8000\n", "\nreceiver.port=" + port + "\n")
                .replace("\nrelay.roles=sniffer,sender,receiver\n", "\nrelay.roles=sender,receiver\n")
                .replace("\nsender.poll-interval=2\n", "\nsender.poll-interval=1\n").replace("\ncamel.management.port=9876\n", "\ncamel.management.port=0\n"));
        try (RelayProcess p = RelayProcess.start(dir, Map.of())) {
            awaitFile(dir.resolve("logs/processed/packets_20260101_000000_000.csv"), p);
            String health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            assertEquals("{\"status\":\"UP\",\"records\":40}", health, p.tail());
        }
    }

    /** No retries: one POST, then the file waits in failed_uploads/ (transient, so no .error). */
    @Test
    void maxRetriesZeroPostsABatchOnce() throws Exception {
        Path dir = RelayProcess.newWorkDir("no-retries");
        try (IngestServer server = new IngestServer(Traffic.freePort())) {
            server.faults(r -> IngestServer.Fault.status(503, "{\"error\":\"down\"}"));
            try (RelayProcess p = RelayProcess.start(dir, Map.of("relay.roles", "sender", "sender.url", server.url(),
                    "sender.max-retries", "0", "sender.retry-delay", "0", "sender.poll-interval", "1",
                    "sender.failed-retry-interval", "3600"))) {
                p.awaitLog("started in", 60);
                // written after the start-up retry of failed_uploads/, so that only the upload route takes it
                SpoolFiles.writeReady(dir.resolve("logs/pending_upload"), "packets_20260101_000000_000.csv", 10);
                awaitFile(dir.resolve("logs/failed_uploads/packets_20260101_000000_000.csv"), p);
                assertEquals(1, server.requests(), "one attempt, no redelivery: " + p.tail());
                assertFalse(Files.exists(dir.resolve("logs/failed_uploads/packets_20260101_000000_000.csv.error")), "transient");
            }
        }
    }
}
