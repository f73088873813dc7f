package org.packetrelay.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.packetrelay.testing.IngestServer;
import org.packetrelay.testing.RelayProcess;
import org.packetrelay.testing.SpoolFiles;
import org.packetrelay.testing.TestPki;
import org.packetrelay.testing.Traffic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** The jar uploads over mutual TLS, its secrets from the environment, none of them in its output. */
class TlsIT {

    @Test
    void mutualTlsWithSecretsFromTheEnvironment() throws Exception {
        Path dir = RelayProcess.newWorkDir("tls");
        TestPki pki = TestPki.create("packet-relay IT CA");
        Path caPem = pki.writePem(dir.resolve("ca.pem"));
        Path client = pki.client("relay-it").writePkcs12(dir.resolve("client.p12"), "client-secret-pw");
        String token = "tls-it-token-" + System.nanoTime();
        SpoolFiles.writeReady(dir.resolve("logs/pending_upload"), "packets_20260101_000000_000.csv", 900);
        try (IngestServer server = new IngestServer(Traffic.freePort(), pki.server("127.0.0.1", "localhost").sslContext(pki.caCert()), true)) {
            server.requireToken(token);
            Map<String, String> settings = Map.of("relay.roles", "sender", "sender.url", server.url(), "sender.poll-interval", "1",
                    "camel.management.port", String.valueOf(Traffic.freePort()), "sender.tls.trust-store", caPem.toString(), "sender.tls.trust-store-type", "PEM",
                    "sender.tls.key-store", client.toString());
            Map<String, String> env = Map.of("SENDER_TLS_KEY_STORE_PASSWORD", "client-secret-pw", "SENDER_AUTH_TOKEN", token);
            try (RelayProcess p = RelayProcess.start(dir, settings, List.of(), List.of(), env)) {
                Path processed = dir.resolve("logs/processed/packets_20260101_000000_000.csv");
                long end = System.currentTimeMillis() + 60_000;
                while (!Files.exists(processed) && p.isAlive() && System.currentTimeMillis() < end) {
                    Thread.sleep(100);
                }
                assertEquals(900, server.recordsStored(), p.tail());
                p.term(60);
                String output = p.out() + p.err();
                assertFalse(output.contains("client-secret-pw"), "key store password in the output");
                assertFalse(output.contains(token), "token in the output");
                assertFalse(output.contains("verify-hostname=false"), "no hostname warning by default");
            }
            // hostname verification off: said once at start
            Map<String, String> off = new HashMap<>(settings);
            off.put("sender.tls.verify-hostname", "false");
            try (RelayProcess p = RelayProcess.start(dir, off, List.of(), List.of(), env)) {
                p.awaitLog("sender.tls.verify-hostname=false", 60);
            }
        }
    }
}
