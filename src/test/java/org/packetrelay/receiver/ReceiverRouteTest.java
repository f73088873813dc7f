package org.packetrelay.receiver;

import java.io.ByteArrayInputStream;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.apache.camel.BeanInject;
import org.apache.camel.CamelContext;
import org.apache.camel.test.main.junit5.CamelMainTest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.packetrelay.catalog.Field;
import org.packetrelay.catalog.PacketRecord;
import org.packetrelay.testing.SpoolFiles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The receiver routes from routes/receiver.yaml over real HTTP on 127.0.0.1 (a port the server picks), storing
 * into a real H2 database: valid batches are stored once per Idempotency-Key, anything malformed, unauthorised
 * or over a limit gets a 4xx with a reason and stores nothing. Every test starts with an empty database.
 */
@CamelMainTest(propertyPlaceholderLocations = "file:application.properties", useJmx = true,
               properties = {
                       "camel.main.routes-include-pattern=file:routes/receiver.yaml",
                       "relay.roles=receiver",
                       "relay.logs-dir=target/test-spool/receiver",
                       "receiver.port=0",
                       "receiver.auth-token=" + ReceiverRouteTest.TOKEN,
                       "camel.management.enabled=false",
                       "receiver.jdbc-url=jdbc:h2:mem:receiver-test;DB_CLOSE_DELAY=-1",
                       "receiver.max-records-per-batch=100",
                       "receiver.max-string-length=1000",
                       "receiver.max-body-bytes=200000",
                       "receiver.max-bytes-in-flight=4000000",
               })
class ReceiverRouteTest {
    static final String TOKEN = "route-test-token";
    static final HttpClient HTTP = HttpClient.newHttpClient();

    static {
        try {
            SpoolFiles.deleteTree(Paths.get("target/test-spool/receiver"));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @BeanInject("ingestStore")
    IngestStore store;

    @BeanInject
    CamelContext context;

    @BeanInject("receiverHttpServer")
    ReceiverHttpServer server;

    private String url(String path) {
        return "http://127.0.0.1:" + server.getPort() + path;
    }

    /** A POST to /ingest_packets as a sender makes it: JSON, the token, the key when not null. */
    private HttpRequest.Builder request(String key, String body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url("/ingest_packets"))).header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + TOKEN).POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            b.header("Idempotency-Key", key);
        }
        return b;
    }

    private HttpResponse<String> post(String key, String body) throws Exception {
        return send(request(key, body));
    }

    private static HttpResponse<String> send(HttpRequest.Builder b) throws Exception {
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    @AfterEach
    void emptyTheDatabase() throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:h2:mem:receiver-test;DB_CLOSE_DELAY=-1");
             Statement st = c.createStatement()) {
            st.executeUpdate("DELETE FROM packets");
            st.executeUpdate("DELETE FROM ingest_batches");
        }
    }

    private static long rows(String where) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:h2:mem:receiver-test;DB_CLOSE_DELAY=-1");
             Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM packets" + where)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static String record(int i, String path) {
        PacketRecord r = new PacketRecord();
        r.setTimestamp(1_700_000_000_123_456_000L + i, 6);
        r.setString(Field.INTERFACE, "eth0");
        r.setNumber(Field.LENGTH, 60 + i);
        r.setNumber(Field.SEQ, 4_294_967_295L);
        r.setBool(Field.TCP_SYN, true);
        r.setString(Field.HTTP_PATH, path);
        StringBuilder sb = new StringBuilder("{");
        for (Field f : Field.ALL) {
            Object v = r.get(f);
            sb.append(f.ordinal() == 0 ? "" : ",").append('"').append(f.key()).append("\":");
            if (v == null) {
                sb.append("null");
            } else if (v instanceof String s) {
                sb.append('"').append(s.replace("\\", "\\\\").replace("\"", "\\\"")).append('"');
            } else {
                sb.append(v);
            }
        }
        return sb.append('}').toString();
    }

    private static String batch(int n, String path) {
        StringBuilder sb = new StringBuilder("[");
        for (int i = 0; i < n; i++) {
            sb.append(i == 0 ? "" : ",").append(record(i, path));
        }
        return sb.append(']').toString();
    }

    @Test
    void withoutKafkaBrokersNothingAboutKafkaRuns() {
        assertTrue(context.getRoute("receiver") != null);
        assertTrue(context.getRoute("receiver-kafka") == null, "receiver.kafka.brokers is empty: no Kafka consumer");
        assertTrue(context.getEndpoints().stream().noneMatch(e -> e.getEndpointUri().startsWith("kafka:")), context.getEndpoints().toString());
    }

    @Test
    void storesTypedRecordsOncePerIdempotencyKeyAndRejectsBadBodiesWhole() throws Exception {
        HttpResponse<String> ok = post("k-1", batch(3, "/a,\"b\""));
        assertEquals(200, ok.statusCode(), ok.body());
        assertEquals(3, rows(""));
        assertEquals(3, rows(" WHERE \"seq\" = 4294967295 AND \"tcp_syn\" = TRUE AND \"http_path\" = '/a,\"b\"'"
                             + " AND \"timestamp\" = 1700000000.123456"));
        HttpResponse<String> again = post("k-1", batch(3, "/a"));
        assertEquals(200, again.statusCode());
        assertTrue(again.body().contains("duplicate"), again.body());
        assertEquals(3, rows(""), "a repeated key is not stored twice");

        String good = record(0, "/x");
        String[][] bad = {
                { "{\"length\": 1}", "422", "JSON array" },
                { "[1, 2]", "422", "not a JSON object" },
                { "[" + good + "," + good.replace("\"length\":60", "\"length\":\"60\"") + "]", "422", "length must be an integer" },
                { "[" + good.replace("\"length\":60", "\"length\":4294967296") + "]", "422", "out of the integer range" },
                { "[" + good.replace("\"tcp_syn\":true", "\"tcp_syn\":\"yes\"") + "]", "422", "tcp_syn must be true or false" },
                { "[" + good.replace("\"http_path\":\"/x\"", "\"http_path\":{\"deep\":[[[1]]]}") + "]", "422", "nested JSON" },
                { "[" + good.replace("\"http_path\":\"/x\"", "\"http_path\":\"" + "y".repeat(1001) + "\"") + "]", "422", "longer than 1000" },
                { "[" + good.replace("\"interface\"", "\"nosuchkey\"") + "]", "422", "unknown key 'nosuchkey'" },
                { "[" + good + ",", "422", "malformed JSON" },
                { batch(101, "/x"), "413", "more than 100 records" },
        };
        int n = 0;
        for (String[] b : bad) {
            HttpResponse<String> r = post("bad-" + n++, b[0]);
            assertEquals(Integer.parseInt(b[1]), r.statusCode(), b[2] + ": " + r.body());
            assertTrue(r.body().contains(b[2]), "reason '" + b[2] + "' in " + r.body());
        }
        String big = batch(99, "z".repeat(999));
        big = big.replace("\"http_host\":null", "\"http_host\":\"" + "h".repeat(999) + "\"")
                .replace("\"tls_sni\":null", "\"tls_sni\":\"" + "s".repeat(999) + "\"");
        assertTrue(big.length() > 200_000, "body of " + big.length() + " bytes");
        HttpResponse<String> huge = post("huge", big);
        assertEquals(413, huge.statusCode(), "body over receiver.max-body-bytes");
        assertEquals(3, rows(""), "nothing of a rejected batch is stored");
        assertTrue(store.getRejected() >= bad.length);

        HttpResponse<String> health = HTTP.send(HttpRequest.newBuilder(URI.create(url("/health"))).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode());
        assertEquals("{\"status\":\"UP\",\"records\":3}", health.body());
    }

    /**
     * Stopped or suspended over JMX (as from jconsole), the receiver is a transient failure for senders (503 +
     * Retry-After), never a 404; the batch refused then is stored once the route runs again.
     */
    @Test
    void stoppedOrSuspendedOverJmxAnswers503WithRetryAfterAndStoresAfterwards() throws Exception {
        MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();
        Set<ObjectName> names = jmx.queryNames(new ObjectName("org.apache.camel:type=routes,name=\"receiver\",*"), null);
        assertEquals(1, names.size(), "the receiver route's MBean: " + names);
        ObjectName route = names.iterator().next();
        String body = batch(2, "/outage");
        try {
            jmx.invoke(route, "stop", null, null);
            assertEquals("Stopped", jmx.getAttribute(route, "State"));
            HttpResponse<String> stopped = post("outage-1", body);
            assertEquals(503, stopped.statusCode(), "stopped route: " + stopped.body());
            assertEquals("5", stopped.headers().firstValue("Retry-After").orElse(null));
            HttpResponse<String> get = HTTP.send(HttpRequest.newBuilder(URI.create(url("/ingest_packets"))).build(), HttpResponse.BodyHandlers.ofString());
            assertTrue(get.statusCode() != 503, "only the route's method (POST) gets the 503, GET: " + get.statusCode());
            assertEquals(0, rows(""));
            jmx.invoke(route, "start", null, null);
            HttpResponse<String> started = post("outage-1", body);
            assertEquals(200, started.statusCode(), started.body());
            assertEquals(2, rows(" WHERE idempotency_key = 'outage-1'"));

            jmx.invoke(route, "suspend", null, null);
            assertEquals("Suspended", jmx.getAttribute(route, "State"));
            HttpResponse<String> suspended = post("outage-2", body);
            assertEquals(503, suspended.statusCode(), "suspended route: " + suspended.body());
            assertEquals("5", suspended.headers().firstValue("Retry-After").orElse(null));
            assertEquals(0, rows(" WHERE idempotency_key = 'outage-2'"), "nothing stored while suspended");
            jmx.invoke(route, "resume", null, null);
            assertEquals(200, post("outage-2", body).statusCode());
            assertEquals(2, rows(" WHERE idempotency_key = 'outage-2'"));
        } finally {
            context.getRouteController().startRoute("receiver");
        }
    }

    @Test
    void onlyTheAuthorizationHeaderAuthenticatesAndEvery401SaysBearer() throws Exception {
        String body = batch(1, "/auth");
        HttpRequest.Builder none = HttpRequest.newBuilder(URI.create(url("/ingest_packets"))).header("Content-Type", "application/json")
                .header("Idempotency-Key", "auth-0").POST(HttpRequest.BodyPublishers.ofString(body));
        HttpRequest.Builder wrong = request("auth-1", body).setHeader("Authorization", "Bearer not-" + TOKEN);
        HttpRequest.Builder otherScheme = request("auth-2", body).setHeader("Authorization", "Basic " + TOKEN);
        HttpRequest.Builder inQuery = HttpRequest.newBuilder(URI.create(url("/ingest_packets?authorization=Bearer%20" + TOKEN)))
                .header("Content-Type", "application/json").header("Idempotency-Key", "auth-3").POST(HttpRequest.BodyPublishers.ofString(body));
        for (HttpRequest.Builder b : List.of(none, wrong, otherScheme, inQuery)) {
            HttpResponse<String> r = send(b);
            assertEquals(401, r.statusCode(), r.body());
            assertTrue(r.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"), "WWW-Authenticate: " + r.headers().map());
            assertTrue(r.body().startsWith("{\"error\":"), r.body());
        }
        assertEquals(0, rows(""), "nothing stored without the token in the Authorization header");
        // RFC 7235: the scheme is case-insensitive
        assertEquals(200, send(request("auth-4", body).setHeader("Authorization", "bearer " + TOKEN)).statusCode());
        assertEquals(200, send(request("auth-5", body).setHeader("Authorization", "BEARER " + TOKEN)).statusCode());
        assertEquals(2, rows(""));
    }

    @Test
    void contentTypeMustBeJson() throws Exception {
        String body = batch(1, "/ct");
        for (String type : List.of("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x")) {
            HttpResponse<String> r = send(request("ct-" + type.length(), body).setHeader("Content-Type", type));
            assertEquals(415, r.statusCode(), type + ": " + r.body());
            assertTrue(r.body().contains("Content-Type must be application/json"), r.body());
        }
        assertEquals(200, send(request("ct-ok", body).setHeader("Content-Type", "application/json; charset=utf-8")).statusCode());
        assertEquals(1, rows(""));
    }

    /** A blank key was taken as a key: the second batch with one was answered "duplicate" and dropped. */
    @Test
    void blankRepeatedOrQueryIdempotencyKeysAreRefusedNeverTakenAsDuplicates() throws Exception {
        for (String blank : List.of("", " ", "\t")) {
            HttpResponse<String> r = post(blank, batch(4, "/blank"));
            assertEquals(400, r.statusCode(), "'" + blank + "': " + r.body());
            assertTrue(r.body().contains("blank Idempotency-Key"), r.body());
        }
        HttpResponse<String> two = send(request("d1", batch(3, "/two")).header("Idempotency-Key", "d2"));
        assertEquals(400, two.statusCode(), two.body());
        assertTrue(two.body().contains("more than one Idempotency-Key"), two.body());
        HttpResponse<String> query = send(request("h1", batch(3, "/query"))
                .uri(URI.create(url("/ingest_packets?Idempotency-Key=q1"))));
        assertEquals(400, query.statusCode(), query.body());
        HttpResponse<String> queryOnly = send(request(null, batch(3, "/query"))
                .uri(URI.create(url("/ingest_packets?idempotency-key=q2"))));
        assertEquals(400, queryOnly.statusCode(), queryOnly.body());
        assertEquals(0, rows(""), "nothing of a refused batch is stored");
        // other query parameters are no key: ignored
        assertEquals(200, send(request("h2", batch(3, "/query")).uri(URI.create(url("/ingest_packets?source=x")))).statusCode());
        assertEquals(3, rows(" WHERE idempotency_key = 'h2'"));
    }

    /** The lead's ASCII-safe keys may be longer than today's: up to 512 characters are accepted. */
    @Test
    void keyLengthLimitAndBatchesWithoutAKey() throws Exception {
        String longest = "host%2Fid:" + "k".repeat(502);
        assertEquals(512, longest.length());
        assertEquals(200, post(longest, batch(2, "/long")).statusCode());
        assertEquals(2, rows(" WHERE idempotency_key = '" + longest + "'"));
        HttpResponse<String> over = post(longest + "x", batch(2, "/long"));
        assertEquals(400, over.statusCode(), over.body());
        assertTrue(over.body().contains("Idempotency-Key longer than 512 characters"), over.body());
        // no key: stored each time, nothing to tell a retry from new records
        assertEquals(200, post(null, batch(2, "/nokey")).statusCode());
        assertEquals(200, post(null, batch(2, "/nokey")).statusCode());
        assertEquals(4, rows(" WHERE idempotency_key IS NULL"));
    }

    @Test
    void concurrentPostsWithTheSameKeyAreStoredOnce() throws Exception {
        String body = batch(50, "/race");
        int n = 16;
        ExecutorService pool = Executors.newFixedThreadPool(n);
        try {
            CountDownLatch go = new CountDownLatch(1);
            List<Future<HttpResponse<String>>> answers = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                answers.add(pool.submit(() -> {
                    go.await();
                    return post("race-1", body);
                }));
            }
            go.countDown();
            int stored = 0;
            for (Future<HttpResponse<String>> f : answers) {
                HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
                assertEquals(200, r.statusCode(), r.body());
                stored += r.body().contains("duplicate") ? 0 : 1;
            }
            assertEquals(1, stored, "one post stored the batch, the others were answered duplicate");
            assertEquals(50, rows(""));
        } finally {
            pool.shutdownNow();
        }
    }

    /** Jackson's byte parser read C0 AF as '/' and let \ud800 through (stored as '?'): both are refused now. */
    @Test
    void invalidUtf8IsRefusedWith422() throws Exception {
        String good = record(0, "/utf");
        String[][] bad = {
                { "\"http_path\":\"/a\u00c0\u00afb\"", "not valid UTF-8" },        // overlong '/'
                { "\"http_path\":\"\u00ed\u00a0\u0080\"", "not valid UTF-8" },     // an encoded surrogate
                { "\"http_path\":\"\u00ff\"", "not valid UTF-8" },
                { "\"http_path\":\"\\ud800\"", "unpaired surrogate" },         // an escaped lone surrogate
                { "\"http_path\":\"x\\udc00y\"", "unpaired surrogate" },
        };
        int n = 0;
        for (String[] b : bad) {
            // the chars stand for bytes: ISO-8859-1 writes each as the byte of its code
            byte[] bytes = ("[" + good.replace("\"http_path\":\"/utf\"", b[0]) + "]").getBytes(StandardCharsets.ISO_8859_1);
            HttpResponse<String> r = send(request("utf-" + n++, "").POST(HttpRequest.BodyPublishers.ofByteArray(bytes)));
            assertEquals(422, r.statusCode(), b[0] + ": " + r.body());
            assertTrue(r.body().contains(b[1]), r.body());
        }
        assertEquals(0, rows(""));
        // a surrogate pair, escaped or as UTF-8, is text
        String pair = "[" + good.replace("\"http_path\":\"/utf\"", "\"http_path\":\"\\ud83d\\ude00 \ud83d\ude01\"") + "]";
        assertEquals(200, post("utf-ok", pair).statusCode());
        assertEquals(1, rows(" WHERE \"http_path\" = '\ud83d\ude00 \ud83d\ude01'"));
    }

    /** 413 for a declared and for an undeclared (chunked) length, as JSON. */
    @Test
    void bodiesOverTheLimitGet413AsJson() throws Exception {
        byte[] big = ("[" + record(0, "x".repeat(900)) + "]").repeat(250).getBytes(StandardCharsets.US_ASCII);
        assertTrue(big.length > 200_000);
        HttpResponse<String> declared = send(request("big-1", "").POST(HttpRequest.BodyPublishers.ofByteArray(big)));
        HttpResponse<String> chunked = send(request("big-2", "")
                .POST(HttpRequest.BodyPublishers.ofInputStream(() -> new ByteArrayInputStream(big))));
        for (HttpResponse<String> r : List.of(declared, chunked)) {
            assertEquals(413, r.statusCode(), r.body());
            assertEquals("application/json", r.headers().firstValue("Content-Type").orElse(null));
            assertTrue(r.body().startsWith("{\"error\":\"body larger than"), r.body());
        }
        assertEquals(0, gate().getBytesInFlight(), "every reservation is released");
        assertEquals(200, post("small", batch(1, "/ok")).statusCode());
    }

    private IngestGate gate() {
        return context.getRegistry().lookupByNameAndType("ingestGate", IngestGate.class);
    }
}
