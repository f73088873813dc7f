package org.packetrelay.it;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;

import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.packetrelay.testing.KafkaBroker;
import org.packetrelay.testing.KafkaReceiverProcess;
import org.packetrelay.testing.KafkaRecords;
import org.packetrelay.testing.PostgresServer;
import org.packetrelay.testing.RelayProcess;
import org.packetrelay.testing.SpoolFiles;
import org.packetrelay.testing.Traffic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sender publishing to Kafka (sender.url kafka:<topic>), into a receiver that stores into PostgreSQL: end to end
 * from captured packets; a kill -9 of the sender mid-file; the broker stopped for longer than the producer's delivery
 * timeout, then started again; a record too large for the topic, split like a 413. Each checks the rows stored
 * against what was spooled: none lost, none twice.
 */
class KafkaSenderIT {
    private static final String FILE = "packets_20260101_000000_000.csv";
    static PostgresServer pg;

    @BeforeAll
    static void database() throws Exception {
        pg = PostgresServer.create();
    }

    @AfterAll
    static void stopDatabase() throws Exception {
        pg.close();
    }

    private static Map<String, String> sender(KafkaBroker broker, String topic, String... more) {
        Map<String, String> m = new HashMap<>(Map.of("relay.roles", "sender", "sender.url", "kafka:" + topic, "sender.kafka.brokers",
                broker.bootstrap(), "sender.poll-interval", "1", "sender.retry-delay", "1", "sender.host-id", "kafka-host-1",
                "sender.auth-token", "never-in-kafka"));
        for (int i = 0; i < more.length; i += 2) {
            m.put(more[i], more[i + 1]);
        }
        return m;
    }

    private static void await(BooleanSupplier done, long ms, String what, RelayProcess... ps) throws Exception {
        long end = System.currentTimeMillis() + ms;
        while (!done.getAsBoolean() && System.currentTimeMillis() < end) {
            Thread.sleep(100);
        }
        StringBuilder tails = new StringBuilder();
        for (RelayProcess p : ps) {
            tails.append(p.tail());
        }
        assertTrue(done.getAsBoolean(), "timed out waiting for " + what + ": " + tails);
    }

    private static long rows(String db) {
        try {
            return pg.queryLong(db, "SELECT count(*) FROM packets");
        } catch (Exception e) {
            return -1; // not created yet
        }
    }

    /** The writeReady rows (community_id row-N) in database {@code db}: all {@code n}, each once. */
    private static void assertAllOnce(String db, int n) throws Exception {
        assertEquals(n, pg.queryLong(db, "SELECT count(*) FROM packets"), "rows stored");
        assertEquals(n, pg.queryLong(db, "SELECT count(DISTINCT community_id) FROM packets"), "no row twice");
    }

    @Test
    void capturedPacketsGoThroughKafkaIntoPostgresExactlyOnce() throws Exception {
        String db = pg.createDatabase("e2e");
        int port = Traffic.freePort();
        try (KafkaBroker broker = KafkaBroker.inProcess(); KafkaRecords kafka = new KafkaRecords(broker.bootstrap())) {
            broker.createTopic("packets", 3);
            Path hostDir = RelayProcess.newWorkDir("kafka-e2e-host");
            Map<String, String> host = sender(broker, "packets", "relay.roles", "sniffer,sender", "sniffer.interfaces", "lo",
                    "sniffer.filter", "udp port " + port, "sniffer.save-interval", "1");
            KafkaReceiverProcess receiver = new KafkaReceiverProcess(pg, db, broker, "packets");
            try (RelayProcess r = receiver.start(RelayProcess.newWorkDir("kafka-e2e-receiver"));
                 RelayProcess h = RelayProcess.start(hostDir, host)) {
                h.awaitLog("Capturing on lo", 60);
                for (int i = 0; i < 20; i++) {
                    Traffic.udp("127.0.0.1", port, 100, ("burst " + i).getBytes(StandardCharsets.US_ASCII));
                }
                // every spooled packet: wait until the last file is in processed/, then for the database
                Path processed = hostDir.resolve("logs/processed");
                await(() -> SpoolFiles.rowsQuietly(processed) == 2000, 60_000, "2,000 rows spooled and sent", h, r);
                await(() -> rows(db) == 2000, 60_000, "2,000 rows stored", h, r);
                assertEquals(2000, pg.queryLong(db, "SELECT count(*) FROM packets WHERE dst_port = " + port));
                assertEquals(2000, pg.queryLong(db, "SELECT count(DISTINCT (timestamp, src_port)) FROM packets"), "no row twice");
            }
            List<ConsumerRecord<String, byte[]>> records = kafka.readAll("packets");
            assertFalse(records.isEmpty());
            for (ConsumerRecord<String, byte[]> rec : records) {
                assertEquals("kafka-host-1", rec.key(), "keyed by the host id: one host's batches stay in one partition");
                assertTrue(KafkaRecords.header(rec, "Idempotency-Key").startsWith("kafka-host-1:packets_"), "key header");
                assertEquals("application/json", KafkaRecords.header(rec, "Content-Type"));
                assertTrue(KafkaRecords.header(rec, "PacketRelay-File").startsWith("packets_"));
                assertEquals(new String(rec.value(), StandardCharsets.UTF_8).split("\"timestamp\"").length - 1,
                        Integer.parseInt(KafkaRecords.header(rec, "PacketRelay-Records")), "the record count");
                assertNull(KafkaRecords.header(rec, "Authorization"), "never the bearer token");
            }
            assertEquals(1, records.stream().map(ConsumerRecord::partition).distinct().count(), "one partition for one host");
        }
    }

    @Test
    void killNineOfTheSenderMidFileLosesNothingAndStoresNothingTwice() throws Exception {
        String db = pg.createDatabase("killsender");
        int rows = 60_000;
        try (KafkaBroker broker = KafkaBroker.inProcess(); KafkaRecords kafka = new KafkaRecords(broker.bootstrap())) {
            broker.createTopic("packets", 2);
            Path dir = RelayProcess.newWorkDir("kafka-kill-sender");
            SpoolFiles.writeReady(dir.resolve("logs/pending_upload"), FILE, rows);
            Map<String, String> settings = sender(broker, "packets", "sender.parallel-batches", "1");
            try (RelayProcess s = RelayProcess.start(dir, settings)) {
                await(() -> total(kafka) >= 10, 60_000, "the first batches in Kafka", s);
                s.kill9();
            }
            long atKill = total(kafka);
            assertTrue(atKill < rows / 500, "killed mid-file: " + atKill + " batches in Kafka");
            KafkaReceiverProcess receiver = new KafkaReceiverProcess(pg, db, broker, "packets");
            try (RelayProcess r = receiver.start(RelayProcess.newWorkDir("kafka-kill-sender-receiver"));
                 RelayProcess s = RelayProcess.start(dir, settings)) {
                await(() -> Files.exists(dir.resolve("logs/processed/" + FILE)), 120_000, "the file sent after the restart", s, r);
                await(() -> rows(db) == rows, 60_000, rows + " rows stored", s, r);
                assertTrue(s.out().contains("resumed at row"), "resumed at the checkpoint: " + s.tail());
            }
            assertAllOnce(db, rows);
            long batches = kafka.readAll("packets").stream().map(rec -> KafkaRecords.header(rec, "Idempotency-Key")).distinct().count();
            assertEquals(rows / 500, batches, "each batch under its own key; any sent twice under the same one");
        }
    }

    @Test
    void theBrokerDownLongerThanTheDeliveryTimeoutThenBack() throws Exception {
        String db = pg.createDatabase("brokerdown");
        int rows = 5_000;
        Path brokerDir = RelayProcess.newWorkDir("kafka-broker-process");
        try (KafkaBroker broker = KafkaBroker.process(brokerDir)) {
            broker.createTopic("packets", 1);
            Path dir = RelayProcess.newWorkDir("kafka-broker-down");
            // delivery timeout 3 s (sender.timeout), one redelivery, failed_uploads/ retried every 2 s
            Map<String, String> settings = sender(broker, "packets", "sender.timeout", "3", "sender.max-retries", "1",
                    "sender.failed-retry-interval", "2");
            KafkaReceiverProcess receiver = new KafkaReceiverProcess(pg, db, broker, "packets");
            try (RelayProcess r = receiver.start(RelayProcess.newWorkDir("kafka-broker-down-receiver"));
                 RelayProcess s = RelayProcess.start(dir, settings)) {
                broker.stop();
                SpoolFiles.writeReady(dir.resolve("logs/pending_upload"), FILE, rows);
                // down for well over the delivery timeout: the file fails, goes to failed_uploads/ and is tried again
                await(() -> s.outQuietly().contains("will be retried from failed_uploads/"), 60_000, "a transient failure", s);
                Thread.sleep(10_000); // the outage: a length, not a synchronisation
                assertTrue(Files.exists(dir.resolve("logs/failed_uploads/" + FILE)) || Files.exists(dir.resolve("logs/pending_upload/" + FILE)),
                        "still spooled while the broker is down");
                assertFalse(Files.exists(dir.resolve("logs/failed_uploads/" + FILE + ".error")), "transient: no .error");
                broker.start();
                await(() -> Files.exists(dir.resolve("logs/processed/" + FILE)), 120_000, "sent once the broker is back", s, r);
                await(() -> rows(db) == rows, 60_000, rows + " rows stored", s, r);
            }
            assertAllOnce(db, rows);
        }
    }

    @Test
    void aRecordTooLargeForTheTopicIsSplitLikeA413() throws Exception {
        String db = pg.createDatabase("toolarge");
        int rows = 2_000;
        try (KafkaBroker broker = KafkaBroker.inProcess(); KafkaRecords kafka = new KafkaRecords(broker.bootstrap())) {
            // the topic takes at most 8 KB a record: a batch of 500 rows (about 100 KB of JSON, far less in lz4) is split
            broker.admin().createTopics(List.of(new NewTopic("small", 1, (short) 1).configs(Map.of("max.message.bytes", "8192"))))
                    .all().get();
            Path dir = RelayProcess.newWorkDir("kafka-too-large");
            SpoolFiles.writeReady(dir.resolve("logs/pending_upload"), FILE, rows);
            KafkaReceiverProcess receiver = new KafkaReceiverProcess(pg, db, broker, "small");
            try (RelayProcess r = receiver.start(RelayProcess.newWorkDir("kafka-too-large-receiver"));
                 RelayProcess s = RelayProcess.start(dir, sender(broker, "small"))) {
                await(() -> Files.exists(dir.resolve("logs/processed/" + FILE)), 120_000, "sent in halves", s, r);
                await(() -> rows(db) == rows, 60_000, rows + " rows stored", s, r);
            }
            assertAllOnce(db, rows);
            List<String> keys = kafka.readAll("small").stream().map(rec -> KafkaRecords.header(rec, "Idempotency-Key")).toList();
            assertTrue(keys.stream().noneMatch(k -> k.endsWith(":0+500")), "no whole batch fitted: " + keys);
            assertTrue(keys.stream().anyMatch(k -> k.endsWith(":0+250") || k.endsWith(":0+125") || k.endsWith(":0+62")), keys.toString());
        }
    }

    private static long total(KafkaRecords kafka) {
        try {
            return kafka.endOffsets("packets").values().stream().mapToLong(Long::longValue).sum();
        } catch (Exception e) {
            return 0;
        }
    }
}
