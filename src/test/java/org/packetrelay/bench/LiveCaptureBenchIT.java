package org.packetrelay.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.packetrelay.testing.RelayProcess;
import org.packetrelay.testing.SpoolFiles;

/**
 * Live capture beside tcpdump (`make bench`): the bench's own loopback traffic, its destination MAC set to a mark, is
 * replayed on lo by tcpreplay at top speed, once to warm up and once measured, while the jar (sniffer role, capturing
 * on lo) and {@code tcpdump -w /dev/null} both capture with the filter {@code ether dst <mark>}; then at
 * {@code bench.live-pps} (250,000) packets/s for {@code bench.live-seconds} (10) while the jar's RSS is sampled.
 * Prints what each captured of the warm replay (the jar's count is its spool rows, tcpdump's its "packets captured"
 * on SIGUSR1) and the peak RSS; asserts only that every packet the jar counted is a spool row.
 */
@Tag("bench")
class LiveCaptureBenchIT {
    static final String MARK = "02:50:4b:42:45:4e";
    static final int PACKETS = Integer.getInteger("bench.live-packets", 500_000);
    static final int PPS = Integer.getInteger("bench.live-pps", 250_000);
    static final int SECONDS = Integer.getInteger("bench.live-seconds", 10);

    /** An earlier build to compare with (make bench BENCH_PREVIOUS_JAR=...), or empty. */
    static final String PREVIOUS_JAR = System.getProperty("bench.previous-jar", "");

    @Test
    void liveCaptureKeepsUpWithTcpdumpAtTcpreplayTopSpeed() throws Exception {
        Path pcap = RelayProcess.newWorkDir("live-bench-pcap").resolve("marked.pcap");
        List<LoopbackCapture.Packet> captured;
        int dlt;
        try (BenchTraffic traffic = new BenchTraffic()) {
            traffic.open();
            try (LoopbackCapture capture = LoopbackCapture.start(traffic.filter(), 50_000)) {
                dlt = capture.dlt();
                traffic.run(1);
                traffic.close();
                captured = capture.stop(300);
            }
        }
        assertEquals(1, dlt, "Ethernet on lo");
        List<LoopbackCapture.Packet> marked = new ArrayList<>();
        byte[] mac = mac(MARK);
        for (LoopbackCapture.Packet p : captured) {
            byte[] d = p.data().clone();
            System.arraycopy(mac, 0, d, 0, 6); // the kernel drops them after capture: nothing answers them
            marked.add(new LoopbackCapture.Packet(d, p.epochNanos(), p.originalLength()));
        }
        PcapFileWriter.write(pcap, dlt, marked, PACKETS);
        StringBuilder report = new StringBuilder();
        if (!PREVIOUS_JAR.isEmpty()) {
            report.append(run("previous jar (" + PREVIOUS_JAR + ")", Path.of(PREVIOUS_JAR), pcap));
        }
        report.append(run("the jar", null, pcap));
        System.out.print(report);
        Files.writeString(RelayProcess.projectDir().resolve("target/bench/live-capture-bench.txt"), report);
    }

    /** One jar (null: the build's) beside tcpdump; the report's lines. */
    private static String run(String name, Path jar, Path pcap) throws Exception {
        Path dir = RelayProcess.newWorkDir("live-bench");
        if (jar != null) {
            Files.copy(jar, dir.resolve("packet-relay.jar")); // a jar in the work folder is the one RelayProcess runs
            Path routes = jar.resolveSibling("routes"); // an earlier build runs with the routes beside it, if any
            if (Files.isDirectory(routes)) {
                try (Stream<Path> s = Files.list(routes)) {
                    for (Path r : s.toList()) {
                        Files.copy(r, dir.resolve("routes").resolve(r.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
        }
        String filter = "ether dst " + MARK;
        Path pending = dir.resolve("logs/pending_upload");
        try (RelayProcess relay = RelayProcess.start(dir, Map.of("relay.roles", "sniffer", "sniffer.interfaces", "lo",
                "sniffer.filter", filter, "sniffer.save-interval", "1"), RelayRun.JVM_ARGS, List.of())) {
            relay.awaitLog("Capturing on lo", 60);
            Process tcpdump = new ProcessBuilder("tcpdump", "-i", "lo", "-B", "16384", "-w", "/dev/null", filter)
                    .redirectErrorStream(true).redirectOutput(dir.resolve("tcpdump.log").toFile()).start();
            Thread.sleep(1500); // tcpdump prints "listening on lo" when ready; give it the time to open
            try {
                long[] warmup = replay(dir, pcap, "--topspeed");
                long rowsWarm = settle(pending);
                long dumpWarm = tcpdumpCount(tcpdump, dir);
                long[] top = replay(dir, pcap, "--topspeed");
                long rows = settle(pending) - rowsWarm;
                long dump = tcpdumpCount(tcpdump, dir) - dumpWarm;
                // then a steady rate for a while, with the jar's memory sampled
                long[] rss = new long[2];
                Thread sampler = new Thread(() -> {
                    while (relay.isAlive() && !Thread.currentThread().isInterrupted()) {
                        long[] s = memory(relay.pid());
                        rss[0] = Math.max(rss[0], s[0]);
                        rss[1] = Math.max(rss[1], s[1]);
                        try {
                            Thread.sleep(100);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }, "live-bench-rss");
                sampler.start();
                long[] steady = replay(dir, pcap, "--pps=" + PPS, "--loop=0", "--duration=" + SECONDS);
                long rowsSteady = settle(pending) - rowsWarm - rows;
                long dumpSteady = tcpdumpCount(tcpdump, dir) - dumpWarm - dump;
                sampler.interrupt();
                sampler.join();
                int code = relay.term(60);
                assertTrue(code == 0 || code == 143, "exit " + code + ": " + relay.tail());
                String stopped = relay.out().lines().filter(l -> l.contains("Capture stopped:")).findFirst().orElse("");
                long capturedTotal = number(stopped, "captured=(\\d+)");
                long kernel = number(stopped, "droppedByKernel=(\\d+)");
                long total = rows(pending);
                String report = String.format(Locale.ROOT, """
                        live capture on lo, %s (%d cores, load average %s), filter '%s', %d packets replayed by tcpreplay each time
                          warm-up at top speed: sent %d (%d packets/s)
                          measured at top speed: sent %d (%d packets/s); tcpdump -w /dev/null captured %d; the jar %d = %.2f %% of tcpdump's
                          %d s at %d packets/s: sent %d (%d packets/s); tcpdump %d; the jar %d = %.2f %% of tcpdump's; peak RSS %.0f MiB (VmHWM), %.0f MiB (VmRSS sampled)
                          over all: captured %d, dropped by the kernel %d, spool rows %d
                        """, name, Runtime.getRuntime().availableProcessors(), Files.readString(Path.of("/proc/loadavg")).trim(), filter,
                        PACKETS, warmup[0], warmup[1], top[0], top[1], dump, rows, 100.0 * rows / Math.max(1, dump), SECONDS, PPS, steady[0],
                        steady[1], dumpSteady, rowsSteady, 100.0 * rowsSteady / Math.max(1, dumpSteady), rss[0] / 1024.0, rss[1] / 1024.0,
                        capturedTotal, kernel, total);
                assertEquals(capturedTotal, total, name + ": every packet the jar counted is a spool row");
                SpoolFiles.deleteTree(dir.resolve("logs"));
                return report;
            } finally {
                tcpdump.destroy();
                tcpdump.waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** tcpreplay on lo with {@code options}; the packets it sent and its rate (packets/s). */
    private static long[] replay(Path dir, Path pcap, String... options) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("tcpreplay", "--intf1=lo"));
        cmd.addAll(List.of(options));
        cmd.add(pcap.toString());
        Path log = dir.resolve("tcpreplay.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(p.waitFor(600, TimeUnit.SECONDS), "tcpreplay did not end");
        String out = Files.readString(log);
        assertEquals(0, p.exitValue(), out);
        return new long[] {number(out, "Successful packets:\\s+(\\d+)"), (long) Double.parseDouble(text(out, "Rated: .*?([\\d.]+) pps"))};
    }

    private static String text(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertTrue(m.find(), regex + " in " + text);
        return m.group(1);
    }

    /** The spool's rows once no new row came for 3 s (files complete every second). */
    private static long settle(Path pending) throws Exception {
        long last = -1;
        long stableSince = System.nanoTime();
        while (true) {
            Thread.sleep(500);
            long n = rows(pending);
            if (n != last) {
                last = n;
                stableSince = System.nanoTime();
            } else if (System.nanoTime() - stableSince > 3_000_000_000L) {
                return n;
            }
        }
    }

    /** Rows in the spool files (complete or .part): their lines less the header, counted without parsing. */
    private static long rows(Path pending) throws IOException {
        if (!Files.isDirectory(pending)) {
            return 0;
        }
        long rows = 0;
        byte[] buf = new byte[1 << 16];
        try (Stream<Path> files = Files.list(pending)) {
            for (Path f : files.filter(f -> f.toString().endsWith(".csv") || f.toString().endsWith(".part")).toList()) {
                long lines = 0;
                try (InputStream in = Files.newInputStream(f)) {
                    for (int n; (n = in.read(buf)) > 0; ) {
                        for (int i = 0; i < n; i++) {
                            if (buf[i] == '\n') {
                                lines++;
                            }
                        }
                    }
                } catch (NoSuchFileException e) {
                    continue; // a .part renamed meanwhile: counted under its new name on the next look
                }
                rows += Math.max(0, lines - 1);
            }
        }
        return rows;
    }

    /** tcpdump's "N packets captured" so far (it prints its statistics on SIGUSR1). */
    private static long tcpdumpCount(Process tcpdump, Path dir) throws Exception {
        Path log = dir.resolve("tcpdump.log");
        long before = Files.readString(log).lines().filter(l -> l.contains("packets captured")).count();
        new ProcessBuilder("kill", "-USR1", Long.toString(tcpdump.pid())).start().waitFor();
        long end = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < end) {
            List<String> lines = Files.readString(log).lines().filter(l -> l.contains("packets captured")).toList();
            if (lines.size() > before) {
                return number(lines.get(lines.size() - 1), "(\\d+) packets captured");
            }
            Thread.sleep(100);
        }
        throw new AssertionError("tcpdump printed no statistics: " + Files.readString(log));
    }

    /** {VmHWM, VmRSS} in KiB. */
    private static long[] memory(long pid) {
        long[] m = new long[2];
        try {
            for (String l : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (l.startsWith("VmHWM:")) {
                    m[0] = Long.parseLong(l.replaceAll("[^0-9]", ""));
                } else if (l.startsWith("VmRSS:")) {
                    m[1] = Long.parseLong(l.replaceAll("[^0-9]", ""));
                }
            }
        } catch (Exception e) {
            // gone
        }
        return m;
    }

    private static long number(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        assertTrue(m.find(), regex + " in " + text);
        return Long.parseLong(m.group(1));
    }

    private static byte[] mac(String text) {
        String[] p = text.split(":");
        byte[] b = new byte[6];
        for (int i = 0; i < 6; i++) {
            b[i] = (byte) Integer.parseInt(p[i], 16);
        }
        return b;
    }
}
