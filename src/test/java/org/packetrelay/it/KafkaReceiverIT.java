package org.packetrelay.it;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.packetrelay.testing.Batches;
import org.packetrelay.testing.KafkaBroker;
import org.packetrelay.testing.KafkaReceiverProcess;
import org.packetrelay.testing.KafkaRecords;
import org.packetrelay.testing.PostgresServer;
import org.packetrelay.testing.RelayProcess;
import org.packetrelay.testing.Traffic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The receiver (the jar as a process) consuming batches from a real Kafka broker and storing them into a real
 * PostgreSQL: every batch sent is in the database once, whatever is redelivered, killed or down in between.
 */
class KafkaReceiverIT {
    private static final AtomicInteger TOPICS = new AtomicInteger();
    static KafkaBroker broker;
    static PostgresServer pg;

    @BeforeAll
    static void start() throws Exception {
        broker = KafkaBroker.inProcess();
        pg = PostgresServer.create();
    }

    @AfterAll
    static void stop() throws Exception {
        if (broker != null) {
            broker.close();
        }
        if (pg != null) {
            pg.close();
        }
    }

    /** A topic and a database of the test's own. */
    private static String fresh(String name, int partitions) throws Exception {
        String topic = name + "-" + TOPICS.incrementAndGet();
        broker.createTopic(topic, partitions);
        broker.createTopic(topic + ".dead", 1);
        return topic;
    }

    private static void await(String what, long seconds, RelayProcess p, Check check) throws Exception {
        long end = System.currentTimeMillis() + seconds * 1000;
        while (!check.ok()) {
            if (System.currentTimeMillis() > end) {
                throw new AssertionError(what + " not within " + seconds + " s; receiver log: " + (p == null ? "" : p.tail()));
            }
            if (p != null && !p.isAlive()) {
                throw new AssertionError("the receiver exited while waiting for " + what + ": " + p.tail());
            }
            Thread.sleep(200);
        }
    }

    interface Check {
        boolean ok() throws Exception;
    }

    private static long sum(Map<Integer, Long> offsets) {
        return offsets.values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * 40 batches over 3 partitions from 4 hosts, 5 of them published twice (a sender's redelivery), and one POST
     * beside: each record is stored once, every offset is committed, and the metrics count the batches.
     */
    @Test
    void batchesFromKafkaAreStoredOnceInPostgresBesideHttp() throws Exception {
        String topic = fresh("e2e", 3);
        String url = pg.createDatabase("e2e");
        KafkaReceiverProcess receiver = new KafkaReceiverProcess(pg, url, broker, topic);
        Map<Integer, Integer> sent = new TreeMap<>();
        try (KafkaRecords kafka = new KafkaRecords(broker.bootstrap());
             RelayProcess p = receiver.start(RelayProcess.newWorkDir("kafka-e2e"))) {
            for (int b = 0; b < 40; b++) {
                int n = 1 + (b * 37) % 120;
                sent.put(b, n);
                kafka.publishBatch(topic, "host-" + b % 4, "host-" + b % 4 + ":packets_" + b + ".csv:0", Batches.json(b, n), n, "packets_" + b + ".csv");
                if (b % 8 == 0) {
                    kafka.publishBatch(topic, "host-" + b % 4, "host-" + b % 4 + ":packets_" + b + ".csv:0", Batches.json(b, n), n, "packets_" + b + ".csv");
                }
            }
            HttpResponse<String> post = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + receiver.port + "/ingest_packets"))
                    .header("Content-Type", "application/json").header("Idempotency-Key", "http-1000")
                    .POST(HttpRequest.BodyPublishers.ofString(Batches.json(1000, 3))).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, post.statusCode(), post.body());
            sent.put(1000, 3);
            long published = sum(kafka.endOffsets(topic));
            assertEquals(45, published);
            await("every offset committed", 60, p, () -> sum(kafka.committed("packet-relay", topic)) == published);
            Batches.assertStoredOnce(pg, url, sent);
            assertEquals(41, pg.queryLong(url, "SELECT COUNT(*) FROM ingest_batches"));
            assertEquals(45, receiver.metric("packet_relay_receiver_kafka_batches_total"));
            assertEquals(0, receiver.metric("packet_relay_receiver_kafka_dead_lettered_total"));
            assertTrue(kafka.readAll(topic + ".dead").isEmpty());
            assertFalse(p.out().contains("ERROR"), p.tail());
            assertFalse(p.out().contains(PostgresServer.PASSWORD), "the database password is not logged");
            assertTrue(pg.queryLong("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = 'e2e'") <= 4, "no more connections than the pool's 4");
        }
    }

    /**
     * A poison batch of each kind (a wrong type, broken JSON, no key, not UTF-8, a NUL the database cannot hold)
     * between good ones in one partition: each goes to the dead-letter topic with its reason and source, and the
     * good ones after it are stored; the partition's offset reaches its end.
     */
    @Test
    void poisonBatchesAreDeadLetteredAndTheFollowingStored() throws Exception {
        String topic = fresh("poison", 1);
        String url = pg.createDatabase("poison");
        KafkaReceiverProcess receiver = new KafkaReceiverProcess(pg, url, broker, topic);
        Map<Integer, Integer> sent = new TreeMap<>();
        String good = Batches.json(99, 2);
        Map<String, String> poison = new LinkedHashMap<>();
        poison.put("wrong-type", good.replace("\"length\":0", "\"length\":\"0\""));
        poison.put("broken-json", good.substring(0, good.length() - 3));
        poison.put("nul", good.replace("\"interface 'ä\\\" 99\"", "\"a\\u0000b\""));
        try (KafkaRecords kafka = new KafkaRecords(broker.bootstrap());
             RelayProcess p = receiver.start(RelayProcess.newWorkDir("kafka-poison"))) {
            int b = 0;
            for (Map.Entry<String, String> e : poison.entrySet()) {
                kafka.publishBatch(topic, "h", "good-" + b, Batches.json(b, 5), 5, "f");
                sent.put(b++, 5);
                kafka.publishBatch(topic, "h", e.getKey(), e.getValue(), 2, "f");
            }
            kafka.publishBatch(topic, "h", null, Batches.json(98, 1), 1, "f");
            kafka.publish(topic, "h", new byte[] { '[', '{', '"', 'h', 't', 't', 'p', '_', 'p', 'a', 't', 'h', '"', ':', '"', (byte) 0xC0, (byte) 0xAF, '"', '}', ']' },
                    Map.of("Idempotency-Key", "not-utf8", "Content-Type", "application/json"));
            for (int i = 0; i < 3; i++) {
                kafka.publishBatch(topic, "h", "good-" + b, Batches.json(b, 5), 5, "f");
                sent.put(b++, 5);
            }
            long published = sum(kafka.endOffsets(topic));
            await("every offset committed", 60, p, () -> sum(kafka.committed("packet-relay", topic)) == published);
            Batches.assertStoredOnce(pg, url, sent);
            List<ConsumerRecord<String, byte[]>> dead = kafka.readAll(topic + ".dead");
            Map<String, String> reasons = new TreeMap<>();
            for (ConsumerRecord<String, byte[]> r : dead) {
                String key = KafkaRecords.header(r, "Idempotency-Key");
                reasons.put(key == null ? "no-key" : key, KafkaRecords.header(r, "PacketRelay-Error"));
                assertEquals("h", r.key());
                assertTrue(KafkaRecords.header(r, "PacketRelay-Source").startsWith(topic + "/0/"), KafkaRecords.header(r, "PacketRelay-Source"));
                if ("broken-json".equals(key)) {
                    assertEquals(poison.get("broken-json"), new String(r.value(), StandardCharsets.UTF_8), "the batch as it was published");
                }
            }
            assertEquals(5, dead.size(), reasons.toString());
            assertTrue(reasons.get("wrong-type").startsWith("422 record 0: length must be an integer"), reasons.toString());
            assertTrue(reasons.get("broken-json").startsWith("422 malformed JSON"), reasons.toString());
            assertTrue(reasons.get("nul").contains("NUL character"), reasons.toString());
            assertTrue(reasons.get("no-key").contains("no Idempotency-Key"), reasons.toString());
            assertTrue(reasons.get("not-utf8").startsWith("422"), reasons.toString());
            assertEquals(5, receiver.metric("packet_relay_receiver_kafka_dead_lettered_total"));
            assertTrue(p.out().contains("can never be stored"), p.tail());
        }
    }
    /**
     * PostgreSQL stopped while batches keep arriving: nothing is committed while it is down (the receiver keeps
     * trying, and lives), and once it is back every batch is stored, none skipped, none twice.
     */
    @Test
    void databaseDownForAWhileThenBackSkipsNothing() throws Exception {
        String topic = fresh("outage", 2);
        String url = pg.createDatabase("outage");
        KafkaReceiverProcess receiver = new KafkaReceiverProcess(pg, url, broker, topic);
        Map<Integer, Integer> sent = new TreeMap<>();
        try (KafkaRecords kafka = new KafkaRecords(broker.bootstrap());
             RelayProcess p = receiver.start(RelayProcess.newWorkDir("kafka-outage"))) {
            for (int b = 0; b < 10; b++) {
                kafka.publishBatch(topic, "host-" + b % 3, "outage-" + b, Batches.json(b, 20), 20, "f" + b);
                sent.put(b, 20);
            }
            await("the first 10 batches committed", 60, p, () -> sum(kafka.committed("packet-relay", topic)) == 10);
            pg.stop();
            try {
                for (int b = 10; b < 30; b++) {
                    kafka.publishBatch(topic, "host-" + b % 3, "outage-" + b, Batches.json(b, 20), 20, "f" + b);
                    sent.put(b, 20);
                }
                Thread.sleep(12_000);
                assertEquals(10, sum(kafka.committed("packet-relay", topic)), "nothing committed while the database is down");
                assertTrue(p.isAlive(), p.tail());
            } finally {
                pg.start();
            }
            await("every offset committed after the outage", 150, p, () -> sum(kafka.committed("packet-relay", topic)) == 30);
            Batches.assertStoredOnce(pg, url, sent);
            assertEquals(0, receiver.metric("packet_relay_receiver_kafka_dead_lettered_total"));
            assertTrue(p.out().contains("Database connection lost"), p.tail());
            assertTrue(p.out().contains("Will seek consumer to offset"), "the outage outlasted the redeliveries in place: " + p.tail());
        }
    }

    /**
     * kill -9 of the receiver while a batch's transaction is open in PostgreSQL (seen in pg_stat_activity), then a
     * new receiver in the same group: the open transaction is gone, the batch is read again from the committed
     * offset, and every record is stored once.
     */
    @Test
    void kill9OfAReceiverMidBatchThenRestartStoresEverythingOnce() throws Exception {
        String topic = fresh("kill", 2);
        String db = "kill";
        String url = pg.createDatabase(db);
        KafkaReceiverProcess receiver = new KafkaReceiverProcess(pg, url, broker, topic);
        Map<Integer, Integer> sent = new TreeMap<>();
        try (KafkaRecords kafka = new KafkaRecords(broker.bootstrap())) {
            for (int b = 0; b < 30; b++) {
                kafka.publishBatch(topic, "host-" + b % 5, "kill-" + b, Batches.json(b, 1000), 1000, "f" + b);
                sent.put(b, 1000);
            }
            try (RelayProcess p = receiver.start(RelayProcess.newWorkDir("kafka-kill"))) {
                String inFlight = "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = '" + db + "' AND xact_start IS NOT NULL"
                                  + " AND query LIKE 'INSERT INTO packets%'";
                await("a batch's transaction open", 120, p, () -> pg.queryLong(inFlight) > 0);
                p.kill9();
            }
            await("the killed receiver's transaction ended", 30, null,
                    () -> pg.queryLong("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = '" + db + "' AND xact_start IS NOT NULL") == 0);
            long storedAtKill = pg.queryLong(url, "SELECT COUNT(*) FROM packets");
            assertTrue(storedAtKill < 30_000, "killed before the end: " + storedAtKill + " records stored");
            assertEquals(storedAtKill, 1000 * pg.queryLong(url, "SELECT COUNT(*) FROM ingest_batches"),
                    "only whole batches, each with its key: nothing of the open transaction was kept");
            try (RelayProcess p = receiver.start(RelayProcess.newWorkDir("kafka-kill-restart"))) {
                await("every offset committed after the restart", 120, p, () -> sum(kafka.committed("packet-relay", topic)) == 30);
            }
            Batches.assertStoredOnce(pg, url, sent);
        }
    }

    /**
     * Two receivers in one group on a topic of 4 partitions, the first with two consumer threads
     * (receiver.kafka.consumers=2): all three consumers are assigned partitions and both receivers store batches;
     * every record is in the shared database once.
     */
    @Test
    void twoReceiversInOneGroupShareThePartitions() throws Exception {
        String topic = fresh("pair", 4);
        String url = pg.createDatabase("pair");
        KafkaReceiverProcess first = new KafkaReceiverProcess(pg, url, broker, topic);
        KafkaReceiverProcess second = new KafkaReceiverProcess(pg, url, broker, topic);
        first.settings.put("receiver.kafka.consumers", "2");
        Map<Integer, Integer> sent = new TreeMap<>();
        try (KafkaRecords kafka = new KafkaRecords(broker.bootstrap());
             RelayProcess a = first.start(RelayProcess.newWorkDir("kafka-pair-a"));
             RelayProcess b = second.start(RelayProcess.newWorkDir("kafka-pair-b"))) {
            await("three consumers sharing the 4 partitions", 60, a, () -> {
                Map<String, List<Integer>> m = kafka.members("packet-relay", topic);
                return m.size() == 3 && m.values().stream().allMatch(l -> !l.isEmpty())
                       && m.values().stream().mapToInt(List::size).sum() == 4;
            });
            for (int n = 0; n < 64; n++) {
                kafka.publishBatch(topic, "host-" + n % 16, "pair-" + n, Batches.json(n, 100), 100, "f" + n);
                sent.put(n, 100);
            }
            await("every offset committed", 90, b, () -> sum(kafka.committed("packet-relay", topic)) == 64);
            long byA = first.metric("packet_relay_receiver_kafka_batches_total");
            long byB = second.metric("packet_relay_receiver_kafka_batches_total");
            assertTrue(byA > 0 && byB > 0, "batches stored by each receiver: " + byA + " and " + byB);
            assertTrue(byA + byB >= 64, byA + " + " + byB);
            Batches.assertStoredOnce(pg, url, sent);
        }
    }
    /** No broker to be reached: health is DOWN naming the Kafka consumer, and the HTTP ingest stores all the same. */
    @Test
    void unreachableBrokersMakeHealthDownAndHttpKeepsStoring() throws Exception {
        String url = pg.createDatabase("nobroker");
        KafkaReceiverProcess receiver = new KafkaReceiverProcess(pg, url, broker, "packets");
        receiver.settings.put("receiver.kafka.brokers", "127.0.0.1:" + Traffic.freePort());
        HttpClient http = HttpClient.newHttpClient();
        try (RelayProcess p = receiver.start(RelayProcess.newWorkDir("kafka-nobroker"))) {
            HttpRequest health = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + receiver.managementPort + "/observe/health")).build();
            await("health DOWN for the consumer", 60, p, () -> {
                HttpResponse<String> h = http.send(health, HttpResponse.BodyHandlers.ofString());
                return h.statusCode() == 503 && h.body().contains("receiver-kafka");
            });
            HttpResponse<String> post = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + receiver.port + "/ingest_packets"))
                    .header("Content-Type", "application/json").header("Idempotency-Key", "http-1")
                    .POST(HttpRequest.BodyPublishers.ofString(Batches.json(1, 4))).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, post.statusCode(), post.body());
            Batches.assertStoredOnce(pg, url, Map.of(1, 4));
        }
    }
}
