package org.packetrelay.testing;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ConsumerGroupDescription;
import org.apache.kafka.clients.admin.MemberDescription;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * The clients' side of a test broker: publish batches as the relay's sender does, read a topic back, and look at
 * a consumer group's committed offsets and members.
 * <p>
 * A batch record (see the README, "Scaling out"): value the typed JSON array exactly as the HTTP POST body (UTF-8),
 * key the sender's host id, headers {@code Idempotency-Key}, {@code PacketRelay-Records} (decimal),
 * {@code Content-Type: application/json} and {@code PacketRelay-File}, all UTF-8.
 */
public final class KafkaRecords implements AutoCloseable {
    public static final String IDEMPOTENCY_KEY = "Idempotency-Key";
    public static final String RECORDS = "PacketRelay-Records";
    public static final String FILE = "PacketRelay-File";

    private final String bootstrap;
    private final KafkaProducer<String, byte[]> producer;

    /** A producer as the sender's: acks=all, idempotent, lz4. */
    public KafkaRecords(String bootstrap) {
        this.bootstrap = bootstrap;
        Map<String, Object> p = new HashMap<>();
        p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 33_554_432);
        p.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        p.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        producer = new KafkaProducer<>(p);
    }

    /** Publishes one batch record as the sender does and waits for the broker's ack. */
    public RecordMetadata publishBatch(String topic, String hostId, String idempotencyKey, String json, int records, String file)
            throws Exception {
        ProducerRecord<String, byte[]> r = new ProducerRecord<>(topic, hostId, json.getBytes(StandardCharsets.UTF_8));
        if (idempotencyKey != null) {
            r.headers().add(IDEMPOTENCY_KEY, utf8(idempotencyKey));
        }
        r.headers().add(RECORDS, utf8(Integer.toString(records)));
        r.headers().add("Content-Type", utf8("application/json"));
        r.headers().add(FILE, utf8(file));
        return producer.send(r).get(60, TimeUnit.SECONDS);
    }

    /** Publishes any record (for malformed ones: headers as given, values UTF-8). */
    public RecordMetadata publish(String topic, String key, byte[] value, Map<String, String> headers) throws Exception {
        ProducerRecord<String, byte[]> r = new ProducerRecord<>(topic, key, value);
        headers.forEach((k, v) -> r.headers().add(k, utf8(v)));
        return producer.send(r).get(60, TimeUnit.SECONDS);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A header's value as text, null when absent. */
    public static String header(ConsumerRecord<?, ?> r, String name) {
        Header h = r.headers().lastHeader(name);
        return h == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    /** Every record in the topic now, read from the beginning of each partition without a consumer group. */
    public List<ConsumerRecord<String, byte[]>> readAll(String topic) throws Exception {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        List<ConsumerRecord<String, byte[]>> all = new ArrayList<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(c)) {
            List<TopicPartition> partitions = partitions(topic);
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, Duration.ofSeconds(30));
            long deadline = System.currentTimeMillis() + 60_000;
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                if (System.currentTimeMillis() > deadline) {
                    throw new AssertionError("could not read " + topic + " to its end offsets " + end + " within 60 s");
                }
                consumer.poll(Duration.ofMillis(200)).forEach(all::add);
            }
        }
        return all;
    }

    private List<TopicPartition> partitions(String topic) throws Exception {
        try (Admin admin = admin()) {
            TopicDescription d = admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic);
            return d.partitions().stream().map(p -> new TopicPartition(topic, p.partition())).toList();
        }
    }

    /** The group's committed offset per partition of the topic (a partition without a commit is left out). */
    public Map<Integer, Long> committed(String group, String topic) throws Exception {
        Map<Integer, Long> out = new HashMap<>();
        try (Admin admin = admin()) {
            Map<TopicPartition, OffsetAndMetadata> offsets = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                    .get(30, TimeUnit.SECONDS);
            offsets.forEach((tp, o) -> {
                if (tp.topic().equals(topic) && o != null) {
                    out.put(tp.partition(), o.offset());
                }
            });
        }
        return out;
    }

    /** The end offset of each partition (records published so far). */
    public Map<Integer, Long> endOffsets(String topic) throws Exception {
        Map<Integer, Long> out = new HashMap<>();
        try (Admin admin = admin()) {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            for (TopicPartition tp : partitions(topic)) {
                latest.put(tp, OffsetSpec.latest());
            }
            admin.listOffsets(latest).all().get(30, TimeUnit.SECONDS).forEach((tp, r) -> out.put(tp.partition(), r.offset()));
        }
        return out;
    }

    /** The partitions of the topic assigned to each member (client id) of the group now. */
    public Map<String, List<Integer>> members(String group, String topic) throws Exception {
        Map<String, List<Integer>> out = new HashMap<>();
        try (Admin admin = admin()) {
            ConsumerGroupDescription d = admin.describeConsumerGroups(List.of(group)).all().get(30, TimeUnit.SECONDS).get(group);
            for (MemberDescription m : d.members()) {
                out.put(m.clientId() + "@" + m.host() + "/" + m.consumerId(), m.assignment().topicPartitions().stream()
                        .filter(tp -> tp.topic().equals(topic)).map(TopicPartition::partition).sorted().toList());
            }
        }
        return out;
    }

    private Admin admin() {
        return Admin.create(Map.of("bootstrap.servers", bootstrap));
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(10));
    }
}
