package org.packetrelay.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import org.packetrelay.catalog.Field;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * A real HTTP ingest server on 127.0.0.1 for the tests: checks every body strictly (a JSON array of objects with
 * exactly the catalog's keys, each value of its field's JSON type or null), stores records by Idempotency-Key
 * (a repeated key is answered 200 and not stored twice) and can be told to misbehave.
 */
public final class IngestServer implements AutoCloseable {
    /**
     * What to do with one request instead of storing it; null: behave. {@code answerBytes} above 0: answer the status
     * with that many bytes of body (generated, not held); {@code trickleMs} above 0: answer 200 one body byte every
     * that many milliseconds, for ever.
     */
    public record Fault(int status, Map<String, String> headers, String body, long delayMs, boolean dropConnection, long answerBytes,
                        long trickleMs) {
        public static Fault status(int status, String body) {
            return new Fault(status, Map.of(), body, 0, false, 0, 0);
        }

        public static Fault status(int status, Map<String, String> headers) {
            return new Fault(status, headers, "", 0, false, 0, 0);
        }

        public static Fault status(int status, Map<String, String> headers, String body) {
            return new Fault(status, headers, body, 0, false, 0, 0);
        }

        public static Fault delay(long ms) {
            return new Fault(0, Map.of(), "", ms, false, 0, 0);
        }

        public static Fault drop() {
            return new Fault(0, Map.of(), "", 0, true, 0, 0);
        }

        /** Stores the batch, then answers {@code status} with a body of {@code bytes} bytes. */
        public static Fault hugeAnswer(int status, long bytes) {
            return new Fault(status, Map.of(), "", 0, false, bytes, 0);
        }

        /** Sends the status line and headers of a 200, then one byte of body every {@code ms} milliseconds. */
        public static Fault trickle(long ms) {
            return new Fault(200, Map.of(), "", 0, false, 0, ms);
        }
    }

    /** A request as the fault plan sees it (and as the log keeps it): when it arrived, its key, records, token. */
    public record Request(int number, String key, int records, long receivedMillis, String authorization) {
    }

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .configure(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES, false);
    private final HttpServer server;
    private final Map<String, List<JsonNode>> stored = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> postsPerKey = new ConcurrentHashMap<>();
    private final AtomicInteger requests = new AtomicInteger();
    private final AtomicLong recordsStored = new AtomicLong();
    private final AtomicInteger maxBatch = new AtomicInteger();
    private final List<String> problems = new CopyOnWriteArrayList<>();
    private final List<Request> log = new CopyOnWriteArrayList<>();
    private final AtomicLong answerBytesSent = new AtomicLong();
    private volatile Function<Request, Fault> faults = r -> null;
    private volatile int maxRecordsPerRequest = Integer.MAX_VALUE;
    private volatile String requiredToken;

    public IngestServer(int port) throws IOException {
        this(port, null, false);
    }

    /**
     * An HTTPS server when {@code tls} is not null, presenting that context's certificate; {@code needClientAuth}:
     * a client without a certificate that the context trusts is refused in the handshake (mutual TLS).
     */
    public IngestServer(int port, SSLContext tls, boolean needClientAuth) throws IOException {
        InetSocketAddress address = new InetSocketAddress("127.0.0.1", port);
        if (tls == null) {
            server = HttpServer.create(address, 64);
        } else {
            HttpsServer https = HttpsServer.create(address, 64);
            https.setHttpsConfigurator(new HttpsConfigurator(tls) {
                @Override
                public void configure(HttpsParameters params) {
                    SSLParameters p = tls.getDefaultSSLParameters();
                    p.setNeedClientAuth(needClientAuth);
                    params.setSSLParameters(p);
                }
            });
            server = https;
        }
        server.setExecutor(Executors.newFixedThreadPool(8));
        server.createContext("/ingest_packets", this::handle);
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public String url() {
        return (server instanceof HttpsServer ? "https" : "http") + "://127.0.0.1:" + port() + "/ingest_packets";
    }

    public void faults(Function<Request, Fault> plan) {
        this.faults = plan;
    }

    /** Answers 401 to requests without {@code Authorization: Bearer <token>}. */
    public void requireToken(String token) {
        this.requiredToken = token;
    }

    /** Answers 413 to any body with more records than this. */
    public void maxRecordsPerRequest(int n) {
        this.maxRecordsPerRequest = n;
    }

    public long recordsStored() {
        return recordsStored.get();
    }

    public int requests() {
        return requests.get();
    }

    public int maxBatch() {
        return maxBatch.get();
    }

    public Map<String, List<JsonNode>> stored() {
        return stored;
    }

    public Map<String, AtomicInteger> postsPerKey() {
        return postsPerKey;
    }

    /** Bytes of the huge answers ({@link Fault#hugeAnswer}) written before the client closed the connection. */
    public long answerBytesSent() {
        return answerBytesSent.get();
    }

    /** Every request, in the order they arrived (faulted ones included). */
    public List<Request> log() {
        return log;
    }

    /** Type errors found in bodies (empty when every body was valid). */
    public List<String> problems() {
        return problems;
    }

    private void handle(HttpExchange ex) throws IOException {
        int n = requests.incrementAndGet();
        try (ex) {
            byte[] body;
            try (InputStream in = ex.getRequestBody()) {
                body = in.readAllBytes();
            }
            String key = ex.getRequestHeaders().getFirst("Idempotency-Key");
            if (requiredToken != null && !("Bearer " + requiredToken).equals(ex.getRequestHeaders().getFirst("Authorization"))) {
                respond(ex, 401, "{\"error\":\"bearer token required\"}");
                return;
            }
            JsonNode root;
            try {
                root = JSON.readTree(body);
            } catch (IOException e) {
                respond(ex, 400, "not JSON: " + e.getMessage());
                return;
            }
            Request req = new Request(n, key, root != null && root.isArray() ? root.size() : -1, System.currentTimeMillis(),
                    ex.getRequestHeaders().getFirst("Authorization"));
            log.add(req);
            Fault f = faults.apply(req);
            if (f != null && f.trickleMs() > 0) {
                ex.sendResponseHeaders(200, 0);
                try (OutputStream out = ex.getResponseBody()) {
                    while (true) {
                        out.write('x');
                        out.flush();
                        Thread.sleep(f.trickleMs());
                    }
                } catch (IOException closed) {
                    return; // the client gave up
                }
            }
            if (f != null && f.answerBytes() > 0) {
                store(key, root);
                ex.sendResponseHeaders(f.status(), f.answerBytes());
                byte[] chunk = new byte[1 << 16];
                Arrays.fill(chunk, (byte) ' ');
                try (OutputStream out = ex.getResponseBody()) {
                    for (long left = f.answerBytes(); left > 0; left -= chunk.length) {
                        out.write(chunk, 0, (int) Math.min(chunk.length, left));
                        answerBytesSent.addAndGet(Math.min(chunk.length, left));
                    }
                } catch (IOException closed) {
                    // the client read what it wanted and closed
                }
                return;
            }
            if (f != null) {
                if (f.dropConnection()) {
                    // close the socket without any answer
                    throw new IOException("dropping connection on purpose");
                }
                if (f.delayMs() > 0) {
                    Thread.sleep(f.delayMs());
                }
                if (f.status() > 0) {
                    f.headers().forEach((k, v) -> ex.getResponseHeaders().add(k, v));
                    respond(ex, f.status(), f.body());
                    return;
                }
            }
            if (!"application/json".equals(ex.getRequestHeaders().getFirst("Content-Type"))) {
                problems.add("Content-Type " + ex.getRequestHeaders().getFirst("Content-Type"));
            }
            if (key == null || key.isBlank()) {
                problems.add("request without Idempotency-Key");
                respond(ex, 400, "Idempotency-Key missing");
                return;
            }
            String why = validate(root);
            if (why != null) {
                problems.add(why);
                respond(ex, 422, why);
                return;
            }
            if (root.size() > maxRecordsPerRequest) {
                respond(ex, 413, "too many records: " + root.size());
                return;
            }
            int stored = store(key, root);
            respond(ex, 200, "{\"stored\":" + stored + "}");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private int store(String key, JsonNode root) {
        maxBatch.accumulateAndGet(root.size(), Math::max);
        postsPerKey.computeIfAbsent(key, k -> new AtomicInteger()).incrementAndGet();
        List<JsonNode> records = new ArrayList<>();
        root.forEach(records::add);
        if (stored.putIfAbsent(key, records) == null) {
            recordsStored.addAndGet(records.size());
        }
        return records.size();
    }

    /** The strict type check: null or the field type's JSON type, exactly the catalog's keys. */
    static String validate(JsonNode root) {
        if (root == null || !root.isArray()) {
            return "body is not a JSON array";
        }
        for (JsonNode rec : root) {
            if (!rec.isObject() || rec.size() != Field.COUNT) {
                return "record is not an object with " + Field.COUNT + " keys: " + rec;
            }
            for (Field f : Field.ALL) {
                JsonNode v = rec.get(f.key());
                if (v == null) {
                    return "missing key " + f.key();
                }
                if (v.isNull()) {
                    continue;
                }
                boolean ok = switch (f.type()) {
                    case INT, LONG -> v.isIntegralNumber();
                    case TIMESTAMP -> v.isNumber();
                    case BOOL -> v.isBoolean();
                    case STRING -> v.isTextual();
                };
                if (!ok) {
                    return f.key() + " has the wrong JSON type: " + v;
                }
            }
            Iterator<String> names = rec.fieldNames();
            while (names.hasNext()) {
                String k = names.next();
                if (Field.byKey(k) == null) {
                    return "unknown key " + k;
                }
            }
        }
        return null;
    }

    private static void respond(HttpExchange ex, int status, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, b.length == 0 ? -1 : b.length);
        if (b.length > 0) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(b);
            }
        }
    }

    @Override
    public void close() {
        server.stop(0);
        ((ExecutorService) server.getExecutor()).shutdownNow();
    }
}
