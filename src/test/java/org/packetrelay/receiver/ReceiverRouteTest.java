package org.packetrelay.receiver;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Paths;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;

import org.apache.camel.BeanInject;
import org.apache.camel.CamelContext;
import org.apache.camel.test.main.junit5.CamelMainTest;
import org.junit.jupiter.api.Test;
import org.packetrelay.catalog.Field;
import org.packetrelay.catalog.PacketRecord;
import org.packetrelay.testing.SpoolFiles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The receiver routes from routes/receiver.yaml over real HTTP on 127.0.0.1, storing into a real H2 database:
 * valid batches are stored once per Idempotency-Key, anything malformed or over a limit gets a 4xx with a reason
 * and stores nothing.
 */
@CamelMainTest(propertyPlaceholderLocations = "file:application.properties",
               properties = {
                       "camel.main.routes-include-pattern=file:routes/receiver.yaml",
                       "relay.roles=receiver",
                       "relay.logs-dir=target/test-spool/receiver",
                       "receiver.port=47090",
                       "camel.management.enabled=false",
                       "receiver.jdbc-url=jdbc:h2:mem:receiver-test;DB_CLOSE_DELAY=-1",
                       "receiver.max-records-per-batch=100",
                       "receiver.max-string-length=1000",
                       "receiver.max-body-bytes=200000",
               })
class ReceiverRouteTest {
    static final String URL = "http://127.0.0.1:47090/ingest_packets";
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

    private static HttpResponse<String> post(String key, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(URL)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (key != null) {
            b.header("Idempotency-Key", key);
        }
        return HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
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

        HttpResponse<String> health = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:47090/health")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertEquals(200, health.statusCode());
        assertEquals("{\"status\":\"UP\",\"records\":3}", health.body());
    }

    /** A stopped or suspended receiver is a transient failure for senders (503 + Retry-After), never a 404. */
    @Test
    void stoppedOrSuspendedReceiverAnswers503WithRetryAfter() throws Exception {
        String body = batch(2, "/outage");
        try {
            context.getRouteController().stopRoute("receiver");
            HttpResponse<String> stopped = post("outage-1", body);
            assertEquals(503, stopped.statusCode(), "stopped route: " + stopped.body());
            assertEquals("5", stopped.headers().firstValue("Retry-After").orElse(null));
            HttpResponse<String> get = HTTP.send(HttpRequest.newBuilder(URI.create(URL)).build(), HttpResponse.BodyHandlers.ofString());
            assertTrue(get.statusCode() != 503, "only the route's method (POST) gets the 503, GET: " + get.statusCode());
            context.getRouteController().startRoute("receiver");
            HttpResponse<String> started = post("outage-1", body);
            assertEquals(200, started.statusCode(), started.body());
            assertEquals(2, rows(" WHERE idempotency_key = 'outage-1'"));

            context.getRouteController().suspendRoute("receiver");
            HttpResponse<String> suspended = post("outage-2", body);
            assertEquals(503, suspended.statusCode(), "suspended route: " + suspended.body());
            assertEquals("5", suspended.headers().firstValue("Retry-After").orElse(null));
            context.getRouteController().resumeRoute("receiver");
            assertEquals(200, post("outage-2", body).statusCode());
            assertEquals(2, rows(" WHERE idempotency_key = 'outage-2'"));
        } finally {
            context.getRouteController().startRoute("receiver");
            // the other test counts every row of the shared in-memory database
            try (Connection c = DriverManager.getConnection("jdbc:h2:mem:receiver-test;DB_CLOSE_DELAY=-1");
                 Statement st = c.createStatement()) {
                st.executeUpdate("DELETE FROM packets WHERE idempotency_key LIKE 'outage-%'");
                st.executeUpdate("DELETE FROM ingest_batches WHERE idempotency_key LIKE 'outage-%'");
            }
        }
    }
}
