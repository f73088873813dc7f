package org.packetrelay.it;

import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.packetrelay.testing.RelayProcess;
import org.packetrelay.testing.SpoolFiles;
import org.packetrelay.testing.Traffic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sniffer on a small tmpfs with a spool cap, under steady live traffic: it hits the cap (drops, counts, says
 * so, health DOWN), resumes when files leave the spool, prunes processed/ first when the disk fills up, then drops
 * on the full disk and resumes when space returns. At the end every captured packet is accounted for: rows in
 * complete spool files + rows the test took away + packets counted as dropped = packets captured.
 */
class SpoolFullIT {
    private static final int PORT = 31013;
    private static final long MB = 1024 * 1024;

    @Test
    void fullSpoolAndFullDiskDropCountedAndResume() throws Exception {
        Path dir = RelayProcess.newWorkDir("spoolfull");
        Path logs = dir.resolve("logs");
        Files.createDirectories(logs);
        run("mount", "-t", "tmpfs", "-o", "size=8m,mode=700", "tmpfs", logs.toString());
        try {
            check(dir, logs);
        } finally {
            run("umount", "-l", logs.toString());
        }
    }

    private void check(Path dir, Path logs) throws Exception {
        Path pending = logs.resolve("pending_upload");
        Path processed = logs.resolve("processed");
        Files.createDirectories(processed);
        for (int i = 0; i < 2; i++) { // already uploaded files, pruning is on: they go first when the disk fills
            Files.write(processed.resolve("packets_20200101_000000_00" + i + ".csv"), new byte[(int) (MB / 2)]);
        }
        int mgmt = Traffic.freePort();
        AtomicBoolean sending = new AtomicBoolean(true);
        AtomicLong sent = new AtomicLong();
        Thread traffic = new Thread(() -> {
            byte[] payload = "spool-full-payload-0123456789-abcdefghijklmnopqrstuvwxyz".getBytes(StandardCharsets.US_ASCII);
            while (sending.get()) {
                try {
                    Traffic.udp("127.0.0.1", PORT, 50, payload); // about 5,000 packets/s
                    sent.addAndGet(50);
                    Thread.sleep(10);
                } catch (Exception e) {
                    return;
                }
            }
        });
        long removedRows = 0;
        HttpClient http = HttpClient.newHttpClient();
        try (RelayProcess p = RelayProcess.start(dir, Map.of(
                "relay.roles", "sniffer",
                "sniffer.interfaces", "lo",
                "sniffer.filter", "udp port " + PORT,
                "sniffer.save-interval", "1",
                "sniffer.max-packets-per-file", "2000",
                "sniffer.max-spool-mb", "5",
                "sniffer.min-free-mb", "0",
                "sender.prune-after-days", "1",
                "camel.management.port", String.valueOf(mgmt)))) {
            p.awaitLog("Capturing on", 60);
            traffic.start();

            // 1. the cap: dropping starts, is logged with its reason, counted, and health says so
            awaitCount(p, "Spool full: the spool (pending_upload/ and failed_uploads/) holds", 1, 60);
            assertTrue(p.isAlive());
            String health = get(http, mgmt, "/observe/health");
            assertTrue(health.contains("DOWN") && health.contains("spool full"), health);
            String metrics = get(http, mgmt, "/observe/metrics");
            Matcher m = Pattern.compile("packet_relay_packets_dropped_spool_total[^\\n]* ([0-9.E]+)\\n").matcher(metrics);
            assertTrue(m.find() && Double.parseDouble(m.group(1)) > 0, "dropped counter in the metrics");

            // 2. a sender takes the files away: writing resumes by itself
            removedRows += takeAway(pending);
            awaitCount(p, "Spool has room again", 1, 30);

            // 3. the disk fills up: processed/ is pruned first, then packets are dropped, the sniffer stays up
            fill(logs.resolve("filler"));
            awaitCount(p, "Disk nearly full: deleted the", 1, 30);
            assertEquals(List.of(), list(processed), "processed/ pruned to make room");
            int diskFull = diskFull(p.out());
            fill(logs.resolve("filler2")); // what the pruning freed is full again too
            long end = System.currentTimeMillis() + 30_000;
            while (diskFull(p.out()) == diskFull) {
                assertTrue(System.currentTimeMillis() < end && p.isAlive(), "dropping on the full disk: " + p.tail());
                Thread.sleep(100);
            }
            for (Path f : SpoolFiles.readyFiles(pending)) {
                SpoolFiles.rowsOf(f); // every marked file is whole, also on the full disk
            }

            // 4. space returns: writing resumes
            int resumed = count(p.out(), "Spool has room again");
            Files.delete(logs.resolve("filler"));
            Files.delete(logs.resolve("filler2"));
            removedRows += takeAway(pending);
            awaitCount(p, "Spool has room again", resumed + 1, 30);
            Thread.sleep(1500);
            sending.set(false);
            traffic.join();
            Thread.sleep(1000);
            int code = p.term(60);
            assertTrue(code == 0 || code == 143, "graceful stop, exit " + code + ": " + p.tail());

            // every packet is accounted for
            Matcher c = Pattern.compile("Capture stopped: captured=(\\d+) .*droppedSpoolFull=(\\d+)").matcher(p.out());
            assertTrue(c.find(), p.tail());
            long captured = Long.parseLong(c.group(1));
            long dropped = Long.parseLong(c.group(2));
            List<String> names = list(pending);
            assertFalse(names.stream().anyMatch(n -> n.endsWith(".part")), "no temp file left: " + names);
            long rows = 0;
            for (String n : names) {
                if (n.endsWith(".csv")) {
                    assertTrue(names.contains(n + ".ready"), n + " has its marker");
                    rows += SpoolFiles.rowsOf(pending.resolve(n)).size();
                }
            }
            System.out.printf("spool full: sent %d, captured %d, in spool files %d + taken away %d, dropped %d%n", sent.get(),
                    captured, rows, removedRows, dropped);
            assertTrue(dropped > 0, "packets were dropped");
            assertTrue(rows + removedRows > 0);
            assertEquals(captured, rows + removedRows + dropped, "spooled + dropped = captured");
        } finally {
            sending.set(false);
            if (traffic.isAlive()) {
                traffic.join();
            }
        }
    }

    /** Removes the ready files (as an upload would), returning their rows. */
    private static long takeAway(Path pending) throws IOException {
        long rows = 0;
        for (Path f : SpoolFiles.readyFiles(pending)) {
            rows += SpoolFiles.rowsOf(f).size();
            Files.delete(f.resolveSibling(f.getFileName() + ".ready"));
            Files.delete(f);
        }
        return rows;
    }

    /** Writes until the file system is full. */
    private static void fill(Path filler) throws IOException {
        byte[] block = new byte[64 * 1024];
        try (OutputStream out = Files.newOutputStream(filler)) {
            while (true) {
                out.write(block);
            }
        } catch (IOException full) {
            if (!String.valueOf(full.getMessage()).contains("No space left")) {
                throw full;
            }
        }
    }

    private static List<String> list(Path dir) throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(x -> x.getFileName().toString()).sorted().toList();
        }
    }

    private static void awaitCount(RelayProcess p, String text, int times, long seconds) throws Exception {
        long end = System.currentTimeMillis() + seconds * 1000;
        while (count(p.out(), text) < times) {
            if (System.currentTimeMillis() > end || !p.isAlive()) {
                throw new AssertionError("expected '" + text + "' " + times + " times in the log: " + p.tail());
            }
            Thread.sleep(100);
        }
    }

    private static int diskFull(String log) {
        return count(log, "Spool full: cannot write") + count(log, "Spool full: the disk of");
    }

    private static int count(String s, String text) {
        int n = 0;
        for (int i = s.indexOf(text); i >= 0; i = s.indexOf(text, i + 1)) {
            n++;
        }
        return n;
    }

    private static String get(HttpClient http, int port, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString()).body();
    }

    private static void run(String... cmd) throws Exception {
        Process proc = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(proc.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (proc.waitFor() != 0) {
            throw new AssertionError(String.join(" ", cmd) + " failed (the test needs root to mount a tmpfs): " + out);
        }
    }
}
