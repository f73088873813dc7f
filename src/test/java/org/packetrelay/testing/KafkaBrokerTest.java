package org.packetrelay.testing;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The test broker itself: both modes take batches and give them back; a process broker survives SIGTERM and kill -9. */
class KafkaBrokerTest {

    @Test
    void inProcessBrokerStoresAndReturnsBatches() throws Exception {
        try (KafkaBroker broker = KafkaBroker.inProcess(); KafkaRecords kafka = new KafkaRecords(broker.bootstrap())) {
            assertTrue(broker.bootstrap().startsWith("127.0.0.1:"), broker.bootstrap());
            broker.createTopic("t", 3);
            broker.createTopic("t", 3);
            kafka.publishBatch("t", "host-a", "key-1", "[]", 0, "packets_1.csv");
            kafka.publishBatch("t", "host-b", "key-2", "[{}]", 1, "packets_2.csv");
            List<ConsumerRecord<String, byte[]>> all = kafka.readAll("t");
            assertEquals(2, all.size());
            ConsumerRecord<String, byte[]> b = all.stream().filter(r -> "host-b".equals(r.key())).findFirst().orElseThrow();
            assertEquals("[{}]", new String(b.value(), StandardCharsets.UTF_8));
            assertEquals("key-2", KafkaRecords.header(b, "Idempotency-Key"));
            assertEquals("1", KafkaRecords.header(b, "PacketRelay-Records"));
            assertEquals("application/json", KafkaRecords.header(b, "Content-Type"));
            assertEquals("packets_2.csv", KafkaRecords.header(b, "PacketRelay-File"));
            assertEquals(2L, kafka.endOffsets("t").values().stream().mapToLong(Long::longValue).sum());
        }
    }

    @Test
    void processBrokerKeepsItsLogThroughSigtermAndKill9() throws Exception {
        Path dir = RelayProcess.projectDir().resolve("target/it-work/kafka-broker-" + System.nanoTime());
        try (KafkaBroker broker = KafkaBroker.process(dir)) {
            int port = broker.port();
            assertTrue(port < 32768, "port " + port + " is in the ephemeral range");
            broker.createTopic("t", 2);
            try (KafkaRecords kafka = new KafkaRecords(broker.bootstrap())) {
                kafka.publishBatch("t", "h", "k1", "[]", 0, "f1");
            }
            broker.kill9();
            assertFalse(broker.isRunning());
            broker.start();
            assertEquals(port, broker.port());
            try (KafkaRecords kafka = new KafkaRecords(broker.bootstrap())) {
                kafka.publishBatch("t", "h", "k2", "[]", 0, "f2");
                assertEquals(2, kafka.readAll("t").size());
            }
            broker.stop();
            assertFalse(broker.isRunning());
            broker.start();
            try (KafkaRecords kafka = new KafkaRecords(broker.bootstrap())) {
                assertEquals(List.of("k1", "k2"), kafka.readAll("t").stream().map(r -> KafkaRecords.header(r, "Idempotency-Key")).sorted().toList());
                assertEquals(Map.of(), kafka.committed("nobody", "t"));
            }
        }
    }
}
