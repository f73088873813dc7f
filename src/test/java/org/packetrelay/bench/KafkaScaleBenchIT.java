package org.packetrelay.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.packetrelay.testing.KafkaBroker;
import org.packetrelay.testing.KafkaReceiverProcess;
import org.packetrelay.testing.PostgresServer;
import org.packetrelay.testing.RelayProcess;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The scale-out benchmark (`make bench`): {@code bench.kafka.hosts} senders (default 4: distinct host ids, each a spool
 * of {@code bench.kafka.records} realistic rows, default 200,000) publish through one Kafka broker (a process; topic of
 * {@code bench.kafka.partitions} partitions, default 4) to receivers storing into PostgreSQL, first one receiver, then
 * two in one group (a fresh topic and database each time). Every process is the packaged jar (or the broker) with make
 * run's JVM options. It prints records/s end to end (from the senders' start to the last row in the database),
 * records/s of each receiver, the broker's, senders' and receivers' peak RSS, and how the figure changes from 1 to 2
 * receivers. It asserts every record stored exactly once, never a time.
 */
@Tag("bench")
class KafkaScaleBenchIT {
    private static final int HOSTS = Integer.getInteger("bench.kafka.hosts", 4);
    private static final int RECORDS = Integer.getInteger("bench.kafka.records", 200_000);
    private static final int PARTITIONS = Integer.getInteger("bench.kafka.partitions", 4);
    private static final List<String> JVM = List.of("-Xmx256m", "-XX:+UseParallelGC", "-XX:+ExitOnOutOfMemoryError");

    @Test
    void hostsThroughKafkaIntoPostgres() throws Exception {
        Path base = Paths.get(System.getProperty("project.dir", ".")).toAbsolutePath().resolve("target/bench-kafka");
        deleteTree(base);
        Files.createDirectories(base);
        int files = Math.max(1, RECORDS / 100_000);
        List<Path> spool = new UploadSpool().write(base.resolve("spool"), files, RECORDS / files);
        StringBuilder report = new StringBuilder();
        line(report, "Scale-out benchmark: %d hosts x %,d records (%d spool files each) through Kafka (%d partitions) into PostgreSQL 15; "
                     + "machine: %d cores; every JVM -Xmx256m ParallelGC", HOSTS, RECORDS, files, PARTITIONS,
                Runtime.getRuntime().availableProcessors());
        line(report, "  %-9s %10s %7s %10s %-28s %9s %11s %12s", "receivers", "records", "s", "records/s", "records/s per receiver",
                "broker MB", "senders MB", "receivers MB");
        double[] rates = new double[3];
        try (PostgresServer pg = PostgresServer.create(); KafkaBroker broker = KafkaBroker.process(base.resolve("broker"))) {
            for (int receivers = 1; receivers <= 2; receivers++) {
                String topic = "bench-r" + receivers;
                broker.createTopic(topic, PARTITIONS);
                String db = pg.createDatabase("bench_r" + receivers);
                List<KafkaReceiverProcess> rs = new ArrayList<>();
                List<RelayProcess> running = new ArrayList<>();
                try {
                    for (int i = 0; i < receivers; i++) {
                        KafkaReceiverProcess r = new KafkaReceiverProcess(pg, db, broker, topic);
                        rs.add(r);
                        running.add(r.start(RelayProcess.newWorkDir("bench-receiver-" + receivers + "-" + i)));
                    }
                    long t0 = System.nanoTime();
                    List<RelayProcess> senders = new ArrayList<>();
                    for (int h = 0; h < HOSTS; h++) {
                        Path dir = RelayProcess.newWorkDir("bench-host-" + receivers + "-" + h);
                        Path pending = dir.resolve("logs/pending_upload");
                        Files.createDirectories(pending);
                        for (Path f : spool) {
                            Files.createLink(pending.resolve(f.getFileName()), f);
                            Files.createFile(pending.resolve(f.getFileName() + ".ready"));
                        }
                        Map<String, String> s = new HashMap<>(Map.of("relay.roles", "sender", "sender.url", "kafka:" + topic,
                                "sender.kafka.brokers", broker.bootstrap(), "sender.host-id", "bench-host-" + h, "sender.poll-interval", "1"));
                        RelayProcess p = RelayProcess.start(dir, s, JVM, List.of());
                        senders.add(p);
                        running.add(p);
                    }
                    long total = (long) HOSTS * RECORDS;
                    long end = System.currentTimeMillis() + 900_000;
                    long stored = 0;
                    while (stored < total && System.currentTimeMillis() < end) {
                        Thread.sleep(200);
                        stored = count(pg, db);
                    }
                    double secs = (System.nanoTime() - t0) / 1e9;
                    assertEquals(total, stored, "every record stored");
                    assertEquals(total / 500, pg.queryLong(db, "SELECT count(DISTINCT idempotency_key) FROM packets"),
                            "every batch of 500 under its own key, so none twice");
                    StringBuilder per = new StringBuilder();
                    for (KafkaReceiverProcess r : rs) {
                        per.append(String.format(Locale.ROOT, "%,.0f ", r.metric("packet_relay_receiver_records_stored_total") / secs));
                    }
                    long senderMb = senders.stream().mapToLong(p -> hwmKb(p.pid())).max().orElse(0) / 1024;
                    long receiverMb = running.stream().filter(p -> !senders.contains(p)).mapToLong(p -> hwmKb(p.pid())).max().orElse(0) / 1024;
                    rates[receivers] = total / secs;
                    line(report, "  %-9d %,10d %7.1f %,10.0f %-28s %9d %11d %12d", receivers, total, secs, total / secs, per.toString().trim(),
                            hwmKb(broker.pid()) / 1024, senderMb, receiverMb);
                } finally {
                    for (RelayProcess p : running) {
                        p.close();
                    }
                }
            }
        }
        line(report, "  2 receivers / 1 receiver: %.2f of the records/s (peak RSS is VmHWM: the most of each kind of process)",
                rates[2] / rates[1]);
        Files.writeString(base.resolve("report.txt"), report.toString());
        System.out.println(report);
    }

    private static long count(PostgresServer pg, String db) {
        try {
            return pg.queryLong(db, "SELECT count(*) FROM packets");
        } catch (Exception e) {
            return 0;
        }
    }

    private static long hwmKb(long pid) {
        try {
            for (String l : Files.readAllLines(Paths.get("/proc/" + pid + "/status"))) {
                if (l.startsWith("VmHWM:")) {
                    return Long.parseLong(l.replaceAll("\\D+", ""));
                }
            }
        } catch (Exception e) {
            // gone
        }
        return 0;
    }

    private static void line(StringBuilder sb, String fmt, Object... args) {
        sb.append(String.format(Locale.ROOT, fmt, args)).append('\n');
    }

    private static void deleteTree(Path dir) throws Exception {
        if (Files.exists(dir)) {
            try (var s = Files.walk(dir)) {
                s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
