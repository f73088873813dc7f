package org.packetrelay.it;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.Test;
import org.packetrelay.testing.Batches;
import org.packetrelay.testing.PostgresServer;
import org.packetrelay.testing.RelayProcess;
import org.packetrelay.testing.Traffic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HTTP ingest (the jar, role receiver) with receiver.jdbc-url=jdbc:postgresql://...: batches stored once per
 * key also when posted concurrently, a bad batch refused whole, and while the database is down a 5xx (which a
 * sender retries) instead of a loss; afterwards it stores again.
 */
class PostgresIngestIT {

    @Test
    void httpIngestStoresIntoPostgresOnceAndAnswers5xxWhileItIsDown() throws Exception {
        try (PostgresServer pg = PostgresServer.create()) {
            int port = Traffic.freePort();
            Map<String, String> settings = new HashMap<>(Map.of("relay.roles", "receiver", "receiver.port", String.valueOf(port),
                    "receiver.jdbc-url", pg.jdbcUrl(), "receiver.jdbc-user", PostgresServer.USER,
                    "receiver.jdbc-password", PostgresServer.PASSWORD));
            HttpClient http = HttpClient.newHttpClient();
            Map<Integer, Integer> sent = new TreeMap<>();
            try (RelayProcess p = RelayProcess.start(RelayProcess.newWorkDir("pg-ingest"), settings)) {
                p.awaitLog("(packet-relay) started", 90);
                ExecutorService pool = Executors.newFixedThreadPool(8);
                try {
                    List<Future<HttpResponse<String>>> posts = new ArrayList<>();
                    for (int b = 0; b < 10; b++) {
                        sent.put(b, 30);
                        for (int copy = 0; copy < 3; copy++) {
                            int batch = b;
                            posts.add(pool.submit(() -> post(http, port, "http-" + batch, Batches.json(batch, 30))));
                        }
                    }
                    int duplicates = 0;
                    for (Future<HttpResponse<String>> f : posts) {
                        HttpResponse<String> r = f.get();
                        assertEquals(200, r.statusCode(), r.body());
                        duplicates += r.body().contains("duplicate") ? 1 : 0;
                    }
                    assertEquals(20, duplicates);
                } finally {
                    pool.shutdownNow();
                }
                HttpResponse<String> bad = post(http, port, "http-bad", Batches.json(50, 3).replace("\"tcp_syn\":true", "\"tcp_syn\":1"));
                assertEquals(422, bad.statusCode(), bad.body());
                pg.stop();
                try {
                    HttpResponse<String> down = post(http, port, "http-10", Batches.json(10, 5));
                    assertTrue(down.statusCode() >= 500, down.statusCode() + " " + down.body());
                } finally {
                    pg.start();
                }
                HttpResponse<String> back = post(http, port, "http-10", Batches.json(10, 5));
                assertEquals(200, back.statusCode(), back.body());
                sent.put(10, 5);
                Batches.assertStoredOnce(pg, pg.jdbcUrl(), sent);
                assertEquals(0, pg.queryLong("SELECT COUNT(*) FROM ingest_batches WHERE idempotency_key = 'http-bad'"));
            }
        }
    }

    private static HttpResponse<String> post(HttpClient http, int port, String key, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/ingest_packets"))
                .header("Content-Type", "application/json").header("Idempotency-Key", key)
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }
}
