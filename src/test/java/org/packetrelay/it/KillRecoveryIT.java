package org.packetrelay.it;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.packetrelay.testing.RelayProcess;
import org.packetrelay.testing.SpoolFiles;
import org.packetrelay.testing.Traffic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * kill -9 at random moments while the sniffer spools live traffic: a marked .csv is always complete, and the next
 * start deals with every leftover (no .part and no unmarked .csv remain).
 */
class KillRecoveryIT {

    /** The pcap endpoint's default micro-batch size (capture.yaml does not set it). */
    static final int BATCH_SIZE = 4096;

    @Test
    void killNineNeverLeavesAnIncompleteMarkedFile() throws Exception {
        Path dir = RelayProcess.newWorkDir("kill9");
        Path pending = dir.resolve("logs/pending_upload");
        int port = Traffic.freePort();
        Map<String, String> settings = Map.of(
                "relay.roles", "sniffer",
                "sniffer.interfaces", "lo",
                "sniffer.filter", "udp port " + port,
                // a file completes every second and the next one opens with the next micro-batch: a .part exists
                // nearly all the time, so the kills land on one (a small per-file cap would complete each file at once)
                "sniffer.save-interval", "1");
        AtomicBoolean sending = new AtomicBoolean(true);
        Thread traffic = new Thread(() -> {
            byte[] payload = "kill-nine-payload-0123456789".getBytes(StandardCharsets.US_ASCII);
            while (sending.get()) {
                try {
                    Traffic.udp("127.0.0.1", port, 200, payload);
                    Thread.sleep(5);
                } catch (Exception e) {
                    return;
                }
            }
        });
        traffic.start();
        Random random = new Random(42);
        int leftoversSeen = 0;
        try {
            for (int round = 0; round < 5; round++) {
                try (RelayProcess p = RelayProcess.start(dir, settings)) {
                    p.awaitLog("Spooled", 60);
                    Thread.sleep(200 + random.nextInt(1500));
                    p.kill9();
                }
                // after the kill, whatever is marked ready is complete (the parser checks every row's 44 cells)
                for (Path f : SpoolFiles.readyFiles(pending)) {
                    SpoolFiles.rowsOf(f);
                }
                try (Stream<Path> s = Files.list(pending)) {
                    leftoversSeen += (int) s.filter(x -> x.toString().endsWith(".part")).count();
                }
            }
        } finally {
            sending.set(false);
            traffic.join();
        }
        // a last, clean start: recovery deals with every leftover, then a graceful stop (SIGTERM) flushes
        try (RelayProcess p = RelayProcess.start(dir, settings)) {
            p.awaitLog("Capturing on", 60);
            int code = p.term(60);
            assertTrue(code == 0 || code == 143, "graceful stop, exit " + code);
            assertTrue(p.out().contains("Capture stopped"), p.tail());
        }
        try (Stream<Path> s = Files.list(pending)) {
            List<String> names = s.map(x -> x.getFileName().toString()).sorted().toList();
            assertFalse(names.stream().anyMatch(n -> n.endsWith(".part")), "no temp file left: " + names);
            for (String n : names) {
                if (n.endsWith(".csv")) {
                    assertTrue(names.contains(n + ".ready"), n + " has its marker");
                    assertFalse(SpoolFiles.rowsOf(pending.resolve(n)).isEmpty(), n + " holds rows");
                }
            }
        }
        long rows = SpoolFiles.rows(pending).size();
        assertTrue(rows > 0, "rows spooled");
        System.out.println("kill -9 test: " + rows + " rows in " + SpoolFiles.readyFiles(pending).size()
                           + " files; .part leftovers seen after kills: " + leftoversSeen);
        // the kills landed while a file was being written (else recovery of a .part was never tested here)
        assertTrue(leftoversSeen > 0, "no kill left a .part file behind");
    }

    /**
     * A kill -9 loses at most the micro-batch being filled and those being decoded (one per decode thread, one per
     * core): rows go to the .part file as each micro-batch is through the route. The bound is in packets, from the
     * batch settings; the time it stands for is only printed (it depends on the machine's load).
     */
    @Test
    void killNineLosesAtMostTheMicroBatchesInFlight() throws Exception {
        Path dir = RelayProcess.newWorkDir("kill9-loss");
        Path pending = dir.resolve("logs/pending_upload");
        int port = Traffic.freePort();
        // save-interval 30 s: a design that keeps the rows in memory until the file is written would lose them all
        Map<String, String> settings = Map.of("relay.roles", "sniffer", "sniffer.interfaces", "lo",
                "sniffer.filter", "udp port " + port, "sniffer.save-interval", "30");
        int perTick = 100; // 100 datagrams every 10 ms: up to 10,000 packets/s, enough for twice the bound in 6 s
        AtomicLong sent = new AtomicLong();
        AtomicBoolean sending = new AtomicBoolean(true);
        long sentAtKill;
        try (RelayProcess p = RelayProcess.start(dir, settings)) {
            p.awaitLog("Capturing on", 60);
            Thread traffic = new Thread(() -> {
                byte[] payload = "loss".getBytes(StandardCharsets.US_ASCII);
                while (sending.get()) {
                    try {
                        Traffic.udp("127.0.0.1", port, perTick, payload);
                        sent.addAndGet(perTick);
                        Thread.sleep(10);
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            traffic.start();
            Thread.sleep(6000);
            sentAtKill = sent.get();
            p.kill9();
            sending.set(false);
            traffic.join();
        }
        long rate = sentAtKill / 6;
        // the next start completes what the killed process left
        try (RelayProcess p = RelayProcess.start(dir, settings)) {
            p.awaitLog("Capturing on", 60);
            int code = p.term(60);
            assertTrue(code == 0 || code == 143, "exit " + code);
            assertTrue(p.out().contains("Recovered"), p.tail());
        }
        long recovered = SpoolFiles.rows(pending).stream().filter(r -> String.valueOf(port).equals(r.get("dst_port"))).count();
        long lost = sentAtKill - recovered;
        long bound = (long) BATCH_SIZE * (1 + Runtime.getRuntime().availableProcessors());
        System.out.printf("kill -9 durability: %d packets sent before the kill (%d/s), %d recovered, %d lost (%.0f ms of traffic);"
                          + " bound %d packets (a micro-batch of %d filling + one being decoded per core)%n",
                sentAtKill, rate, recovered, lost, lost * 1000.0 / Math.max(1, rate), bound, BATCH_SIZE);
        assertTrue(recovered > 0, "rows recovered");
        assertTrue(sentAtKill > 2 * bound, "enough traffic for the bound to mean something: " + sentAtKill);
        assertTrue(lost <= bound, "lost " + lost + " of " + sentAtKill + " packets, more than the micro-batches in flight (" + bound + ")");
    }
}
