package org.packetrelay.it;

import java.io.ByteArrayInputStream;
import java.net.ConnectException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.packetrelay.testing.RelayProcess;
import org.packetrelay.testing.Traffic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The receiver as the jar runs it, under `make run`'s JVM options (-Xmx256m, exit on OutOfMemoryError). */
class ReceiverIT {
    static final List<String> MAKE_RUN_JVM = List.of("-Xmx256m", "-XX:+UseParallelGC", "-XX:+ExitOnOutOfMemoryError");
    static final String TOKEN = "receiver-it-token";
    static final int MAX_BODY = 33_554_432;

    /**
     * 8 concurrent bodies of 32 MB (each within receiver.max-body-bytes, half of them chunked) drove the heap to
     * OutOfMemoryError. Now those beyond receiver.max-bytes-in-flight get 503 with Retry-After; retried as a
     * sender would, all 8 are stored, and the process lives. Bodies over the limit get a JSON 413 logged as one
     * WARN line, without an ERROR or a stack trace.
     */
    @Test
    void concurrentLargeBodiesAreStoredWithinTheHeapAnd413IsJson() throws Exception {
        int port = Traffic.freePort();
        Path dir = RelayProcess.newWorkDir("receiver-memory");
        Map<String, String> settings = new HashMap<>(Map.of("relay.roles", "receiver", "receiver.port", String.valueOf(port),
                "receiver.auth-token", TOKEN, "camel.management.port", "0"));
        StringBuilder sb = new StringBuilder("[");
        int records = 0;
        String path = "p".repeat(60_000);
        while (sb.length() < MAX_BODY - 70_000) {
            sb.append(records == 0 ? "" : ",").append("{\"timestamp\":1700000000.5,\"interface\":\"lo\",\"length\":")
                    .append(records++).append(",\"http_path\":\"").append(path).append("\"}");
        }
        byte[] body = sb.append(']').toString().getBytes(StandardCharsets.US_ASCII);
        sb = null;
        assertTrue(body.length > 33_000_000 && body.length <= MAX_BODY, body.length + " bytes");
        String url = "http://127.0.0.1:" + port + "/ingest_packets";
        HttpClient http = HttpClient.newHttpClient();
        try (RelayProcess p = RelayProcess.start(dir, settings, MAKE_RUN_JVM, List.of())) {
            p.awaitLog("(packet-relay) started", 90);
            int n = 8;
            ExecutorService pool = Executors.newFixedThreadPool(n);
            try {
                CountDownLatch go = new CountDownLatch(1);
                List<Future<int[]>> posts = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    String key = "big-" + i;
                    boolean chunked = i % 2 == 1;
                    posts.add(pool.submit(() -> {
                        go.await();
                        return postUntilStored(http, url, key, body, chunked);
                    }));
                }
                go.countDown();
                int busy = 0;
                for (Future<int[]> f : posts) {
                    int[] r = f.get(300, TimeUnit.SECONDS);
                    assertEquals(200, r[0], "finally stored; " + p.tail());
                    busy += r[1];
                }
                assertTrue(busy > 0, "more than fit in the in-flight budget at once were refused with 503 first");
            } finally {
                pool.shutdownNow();
            }
            assertTrue(p.isAlive(), "the receiver is still running: " + p.tail());
            HttpResponse<String> health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals("{\"status\":\"UP\",\"records\":" + (8 * records) + "}", health.body(), "each batch stored once");

            byte[] tooBig = new byte[MAX_BODY + 1];
            Arrays.fill(tooBig, (byte) ' ');
            for (boolean chunked : new boolean[] { false, true }) {
                HttpResponse<String> r = http.send(post(url, "too-big-" + chunked, tooBig, chunked), HttpResponse.BodyHandlers.ofString());
                assertEquals(413, r.statusCode(), r.body());
                assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(null));
                assertTrue(r.body().startsWith("{\"error\":\"body larger than"), r.body());
            }
            HttpResponse<String> small = http.send(post(url, "small", "[{\"length\":1}]".getBytes(StandardCharsets.US_ASCII), false),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, small.statusCode(), small.body());
            p.term(60);
            String log = p.out() + p.err();
            assertFalse(log.contains("OutOfMemoryError"), p.tail());
            assertFalse(log.contains("Unhandled exception"), p.tail());
            assertFalse(log.contains(" ERROR "), p.tail());
            assertFalse(log.contains("\tat "), "no stack trace: " + p.tail());
            assertEquals(2, log.lines().filter(l -> l.contains(" WARN ") && l.contains("receiver.max-body-bytes")).count(), p.tail());
        }
        try (Connection c = DriverManager.getConnection("jdbc:h2:file:" + dir.resolve("logs/ingest"));
             Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT COUNT(DISTINCT idempotency_key), COUNT(*) FROM packets WHERE idempotency_key LIKE 'big-%'")) {
            rs.next();
            assertEquals(8, rs.getInt(1));
            assertEquals(8L * records, rs.getLong(2));
        }
    }

    /** Posts until stored, waiting Retry-After after each 503; returns the last status and the number of 503s. */
    private static int[] postUntilStored(HttpClient http, String url, String key, byte[] body, boolean chunked) throws Exception {
        int busy = 0;
        long end = System.currentTimeMillis() + 240_000;
        while (true) {
            HttpResponse<String> r = http.send(post(url, key, body, chunked), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 503 || System.currentTimeMillis() > end) {
                return new int[] { r.statusCode(), busy };
            }
            busy++;
            String retryAfter = r.headers().firstValue("Retry-After").orElseThrow(() -> new AssertionError("503 without Retry-After"));
            Thread.sleep(Long.parseLong(retryAfter) * 1000);
        }
    }

    private static HttpRequest post(String url, String key, byte[] body, boolean chunked) {
        return HttpRequest.newBuilder(URI.create(url)).header("Content-Type", "application/json").header("Idempotency-Key", key)
                .header("Authorization", "Bearer " + TOKEN)
                .POST(chunked ? HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(body))
                              : HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
    }

    /** Anyone who reaches the host could store records: beyond loopback a token is required, checked at start-up. */
    @Test
    void refusesToListenBeyondLoopbackWithoutAToken() throws Exception {
        int port = Traffic.freePort();
        Path dir = RelayProcess.newWorkDir("receiver-no-token");
        try (RelayProcess p = RelayProcess.start(dir, Map.of("relay.roles", "receiver", "receiver.host", "0.0.0.0",
                "receiver.port", String.valueOf(port), "camel.management.port", "0"))) {
            int code = p.waitFor(90);
            assertNotEquals(0, code, p.tail());
            assertTrue(p.err().contains("receiver.host=0.0.0.0 listens beyond loopback: set receiver.auth-token"), p.tail());
            assertThrows(ConnectException.class, () -> new Socket("127.0.0.1", port).close(), "nothing listens");
        }
    }
}
