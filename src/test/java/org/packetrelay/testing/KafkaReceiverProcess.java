package org.packetrelay.testing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The jar as a receiver (role receiver alone) storing into a PostgreSQL test server and consuming batches from a
 * Kafka test broker, on ports of its own: HTTP ingest on {@link #port}, health and metrics on {@link #managementPort}.
 * The consumer leaves its group 6 s after it stops heartbeating (a killed receiver's partitions move on quickly).
 */
public final class KafkaReceiverProcess {
    public final int port;
    public final int managementPort;
    public final Map<String, String> settings = new HashMap<>();

    public KafkaReceiverProcess(PostgresServer pg, String jdbcUrl, KafkaBroker broker, String topic) throws Exception {
        port = Traffic.freePort();
        managementPort = Traffic.freePort();
        settings.put("relay.roles", "receiver");
        settings.put("receiver.port", String.valueOf(port));
        settings.put("camel.management.port", String.valueOf(managementPort));
        settings.put("receiver.jdbc-url", jdbcUrl);
        settings.put("receiver.jdbc-user", PostgresServer.USER);
        settings.put("receiver.jdbc-password", PostgresServer.PASSWORD);
        settings.put("receiver.kafka.brokers", broker.bootstrap());
        settings.put("receiver.kafka.topic", topic);
        settings.put("camel.component.kafka.session-timeout-ms", "6000");
        settings.put("camel.component.kafka.heartbeat-interval-ms", "1000");
    }

    /** Starts it in {@code dir} (a {@link RelayProcess#newWorkDir} folder) and waits until Camel has started. */
    public RelayProcess start(Path dir) throws Exception {
        RelayProcess p = RelayProcess.start(dir, settings, List.of("-Xmx256m", "-XX:+UseParallelGC", "-XX:+ExitOnOutOfMemoryError"), List.of());
        p.awaitLog("(packet-relay) started", 90);
        return p;
    }

    /** A counter of /observe/metrics (Prometheus text), 0 when it is not there yet. */
    public long metric(String name) throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/observe/metrics")).build(),
                HttpResponse.BodyHandlers.ofString());
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + "(\\{[^}]*\\})? ([0-9.E+]+)$").matcher(r.body());
        return m.find() ? (long) Double.parseDouble(m.group(2)) : 0;
    }
}
