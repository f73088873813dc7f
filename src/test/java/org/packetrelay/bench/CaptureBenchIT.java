package org.packetrelay.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.packetrelay.catalog.Field;
import org.pcap4j.core.Pcaps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The capture benchmark (`make bench`): captures real loopback traffic that it makes itself, writes a pcap of
 * {@code bench.packets} packets (default 2,400,000) by repeating it, and replays that file side by side with its
 * baselines, in the same run on the same machine: {@code tcpdump -w /dev/null} (libpcap reading the file: the I/O
 * limit), {@code tcpdump -nn} (text output), an earlier build of the jar ({@code bench.previous-jar}, when given), and
 * the jar as a separate process with default settings. For each jar: packets/s net of start-up (the run minus a
 * 1-packet run), steady (between the first and the last spool file), the CPU it used and how many cores that is, peak
 * RSS; and, from a JFR recording of one more run, the CPU per packet of each stage (read, decode, CSV, route, write).
 * Checks that every packet is a row of a ready spool file; asserts correctness only, never a timing.
 *
 * <p>System properties: {@code bench.packets} (2400000), {@code bench.timeout} (600 s per run), {@code bench.keep}
 * (false: spool files are removed once counted), {@code bench.jar-runs} (5, alternating between the jars: the fastest gives the time, the medians and run-by-run ratios are printed, the largest
 * peak RSS the memory), {@code bench.previous-jar} (a jar to compare with; it runs with the {@code routes/} folder beside it, if any), {@code bench.reuse-pcap} (false: reuse
 * the pcap of an earlier run when it has the packets), {@code bench.routes} (glob of routes/ files to copy).
 */
@Tag("bench")
class CaptureBenchIT {
    private static final long PACKETS = Long.getLong("bench.packets", 2_400_000L);
    private static final long TIMEOUT = Long.getLong("bench.timeout", 600L);
    private static final boolean KEEP = Boolean.getBoolean("bench.keep");
    private static final int JAR_RUNS = Math.max(1, Integer.getInteger("bench.jar-runs", 5));
    private static final String PREVIOUS_JAR = System.getProperty("bench.previous-jar", "");

    private final StringBuilder report = new StringBuilder();

    @Test
    void captureReplayThroughputAndMemory() throws Exception {
        Path benchDir = RelayRun.projectDir().resolve("target/bench");
        Files.createDirectories(benchDir);
        deleteOldRuns(benchDir);
        assertTrue(Files.isRegularFile(RelayRun.jar()), "the packaged jar " + RelayRun.jar() + " (mvn package) is needed");
        line("packet-relay capture benchmark  (%d cores, %s, %s, java %s, jar %s; load average at start %s)",
                Runtime.getRuntime().availableProcessors(), cpuModel(), System.getProperty("os.name") + " " + System.getProperty("os.arch"),
                System.getProperty("java.version"), RelayRun.jar().getFileName(), loadAverage());
        Path pcap = benchDir.resolve("capture-" + PACKETS + ".pcap");
        Path tiny = benchDir.resolve("capture-1.pcap");
        long pcapBytes = writePcap(pcap, tiny);
        line("");
        flush();

        // baselines and the jar, one after the other (never two at once: they would share the two cores)
        List<Row> rows = new ArrayList<>();
        rows.add(tool("tcpdump -w /dev/null (libpcap reads the file: the I/O limit)", benchDir, "tcpdump", "-r", pcap.toString(),
                "-w", "/dev/null"));
        rows.add(tool("tcpdump -nn (one text line per packet)", benchDir, "tcpdump", "-nn", "-r", pcap.toString()));
        List<Jar> jars = new ArrayList<>();
        if (!PREVIOUS_JAR.isEmpty()) {
            jars.add(new Jar("previous jar (" + PREVIOUS_JAR + ")", "previous", Path.of(PREVIOUS_JAR)));
        }
        Jar jar = new Jar("the jar", "jar", RelayRun.jar());
        jars.add(jar);
        runJars(jars, benchDir, pcap, tiny);
        for (Jar j : jars) {
            rows.add(new Row(j.name + ", net of start-up", PACKETS, j.netSeconds(), j.best.cpuSeconds() - j.fixed.cpuSeconds(),
                    j.peakRssMiB()));
            rows.add(new Row(j.name + ", 'Capturing on' to 'Replay complete', median", PACKETS, PACKETS / median(j.rates("replay")),
                    Double.NaN, Double.NaN));
            rows.add(new Row(j.name + ", steady (between spool files)", PACKETS, PACKETS / j.best.steadyPacketsPerSecond(), Double.NaN,
                    Double.NaN));
        }
        // where the jar's CPU goes: one more run, recorded by JFR (not timed: recording costs a little)
        Path jfr = benchDir.resolve("capture-replay.jfr");
        Files.deleteIfExists(jfr);
        RelayRun profiled = runJarOnce("jfr", RelayRun.jar(), benchDir, pcap, List.of("-XX:StartFlightRecording:filename=" + jfr
                                                                                      + ",settings=profile,dumponexit=true," + CaptureJfr.LOAD_OPTION));

        double jarRate = PACKETS / jar.netSeconds();
        line("%-72s %9s %9s %11s %10s %9s %10s", "what", "packets", "seconds", "packets/s", "vs the jar", "cores", "peak RSS");
        for (Row r : rows) {
            double rate = r.packets / r.seconds;
            line("%-72s %9d %9.2f %11.0f %10s %9s %10s", r.name, r.packets, r.seconds, rate,
                    String.format(Locale.ROOT, "%.2fx", rate / jarRate),
                    Double.isNaN(r.cpuSeconds) ? "-" : String.format(Locale.ROOT, "%.2f", r.cpuSeconds / r.seconds),
                    Double.isNaN(r.peakRssMiB) ? "-" : String.format(Locale.ROOT, "%.0f MiB", r.peakRssMiB));
        }
        line("");
        for (Jar j : jars) {
            line("%s, each run (packets/s):", j.name);
            for (String kind : Jar.KINDS) {
                line("  %-8s %s, median %.0f", kind, whole(j.rates(kind)), median(j.rates(kind)));
            }
        }
        if (jars.size() == 2) {
            line("the jar / the previous jar, run by run (each pair ran one after the other):");
            for (String kind : Jar.KINDS) {
                List<Double> r = new ArrayList<>();
                for (int i = 0; i < JAR_RUNS; i++) {
                    r.add(jar.rates(kind).get(i) / jars.get(0).rates(kind).get(i));
                }
                line("  %-8s %s, median %.2f", kind, ratios(r), median(r));
            }
        }
        line("");
        line("seconds: tools from start to exit (best of 2); a jar's net = its fastest run minus its 1-packet run (JVM and Camel"
             + " start-up and shutdown; two start-ups' noise); 'Capturing on' to 'Replay complete' = the same run's log lines (start-up"
             + " and shutdown left out, JIT warm-up in); steady = packets of spool files 2..n over the time between the first and the last"
             + " 'Spooled' line. cores = CPU seconds (user + system, all threads) / wall seconds of the same span. RSS: the"
             + " largest of max(VmHWM, VmRSS) sampled every 50 ms over the runs of that jar.");
        stages(jfr, profiled, jar.fixed);
        line("");
        for (Jar j : jars) {
            for (int i = 0; i < j.runs.size(); i++) {
                details(j.runs.get(i), j.spools.get(i), j.runs.get(i) == j.best);
            }
            details(j.fixed, Spool.check(j.fixed.logsDir), false);
        }
        line("load average at the end: %s. Figures taken while other work ran on this machine are not comparable:"
             + " see 'CPU used by everything else' above.", loadAverage());
        line("");
        line("jar log, fastest default run (excerpt):");
        for (String x : excerpt(jar.best.log())) {
            line("  %s", x);
        }
        flush();
        Files.writeString(benchDir.resolve("capture-bench.txt"), report.toString());

        // correctness (never timing)
        for (Jar j : jars) {
            for (int i = 0; i < j.runs.size(); i++) {
                assertSpool(j.runs.get(i), j.spools.get(i), PACKETS);
            }
            assertSpool(j.fixed, Spool.check(j.fixed.logsDir), 1);
        }
        assertSpool(profiled, Spool.check(profiled.logsDir), PACKETS);
        for (Row r : rows) {
            assertTrue(r.seconds > 0 && !Double.isNaN(r.seconds), r.name + ": no time measured");
        }
        if (!KEEP) {
            deleteTree(profiled.logsDir); // the timed runs' spools went as soon as they were counted (runJars)
        }
    }

    private static void assertSpool(RelayRun r, Spool s, long expectedRows) {
        assertFalse(r.timedOut(), r.label + ": no exit within " + TIMEOUT + " s: " + r.tail());
        assertEquals(0, r.exitCode, r.label + ": exit code; " + r.tail());
        assertTrue(s.files > 0, r.label + ": no spool file in " + s.dir);
        assertEquals(List.of(), s.withoutMarker, r.label + ": .csv files without their .ready marker");
        assertEquals(List.of(), s.parts, r.label + ": .part files left");
        assertEquals(List.of(), s.badHeader, r.label + ": files whose first line is not the CSV header");
        assertEquals(expectedRows, s.rows, r.label + ": rows in the spool files vs packets in the pcap");
        assertEquals(List.of(), s.outOfOrder, r.label + ": files whose rows are not in capture order");
    }

    /** The pcap of {@code PACKETS} packets from the bench's own loopback traffic (and a 1-packet one); its size. */
    private long writePcap(Path pcap, Path tiny) throws Exception {
        if (Boolean.getBoolean("bench.reuse-pcap") && Files.isRegularFile(pcap) && Files.isRegularFile(tiny)) {
            line("pcap:    %s (%.1f MB), reused from an earlier run", pcap, Files.size(pcap) / 1e6);
            return Files.size(pcap);
        }
        long t0 = System.nanoTime();
        List<LoopbackCapture.Packet> captured;
        int dlt;
        String captureStats;
        List<String> trafficNotes;
        try (BenchTraffic traffic = new BenchTraffic()) {
            traffic.open();
            try (LoopbackCapture capture = LoopbackCapture.start(traffic.filter(), 50_000)) {
                dlt = capture.dlt();
                traffic.run(1);
                traffic.close(); // servers stop: their connections' FINs are captured too
                captured = capture.stop(300);
                captureStats = capture.statsLine();
            }
            trafficNotes = traffic.notes();
        }
        double captureSeconds = (System.nanoTime() - t0) / 1e9;
        assertTrue(captured.size() >= 1000, "captured only " + captured.size() + " packets on lo");
        long capturedBytes = captured.stream().mapToLong(p -> p.data().length).sum();
        PcapFileWriter.Written file = PcapFileWriter.write(pcap, dlt, captured, PACKETS);
        PcapFileWriter.write(tiny, dlt, captured.subList(0, 1), 1);
        line("capture: %d distinct packets (%.1f KB, mean %d bytes) captured on lo in %.1f s, linktype %d, libpcap %s; %s",
                captured.size(), capturedBytes / 1e3, capturedBytes / captured.size(), captureSeconds, dlt, Pcaps.libVersion(),
                captureStats);
        line("         %s", mix(captured));
        for (String n : trafficNotes) {
            line("         note: %s", n);
        }
        line("pcap:    %s: %d packets, %.1f MB (the capture repeated %.1f times, timestamps increasing)", pcap, file.packets(),
                file.bytes() / 1e6, file.packets() / (double) captured.size());
        return file.bytes();
    }

    record Row(String name, long packets, double seconds, double cpuSeconds, double peakRssMiB) {
    }

    /** A command's best wall time of 2 runs (its output discarded), with its CPU time. */
    private Row tool(String name, Path dir, String... cmd) throws Exception {
        double best = Double.MAX_VALUE;
        double cpu = Double.NaN;
        for (int i = 0; i < 2; i++) {
            Path out = dir.resolve("tool.out");
            long busy0 = RelayRun.machineBusyTicks();
            long t0 = System.nanoTime();
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            assertTrue(p.waitFor(TIMEOUT, TimeUnit.SECONDS), name + " did not finish");
            double s = (System.nanoTime() - t0) / 1e9;
            assertEquals(0, p.exitValue(), name + ": " + tail(out));
            if (s < best) {
                best = s;
                // the tool's own CPU is not readable after it exits; the machine's busy time is close on an idle machine
                cpu = (RelayRun.machineBusyTicks() - busy0) / 100.0;
            }
            Files.deleteIfExists(out);
        }
        return new Row(name, PACKETS, best, cpu, Double.NaN);
    }

    private static String tail(Path f) throws IOException {
        String s = Files.readString(f);
        return s.substring(Math.max(0, s.length() - 2000));
    }

    /** The runs of one jar: a 1-packet run for the fixed cost, then {@code JAR_RUNS} runs on the big pcap. */
    static final class Jar {
        final String name;
        final String label;
        final Path file;
        RelayRun fixed;
        final List<RelayRun> runs = new ArrayList<>();
        final List<Spool> spools = new ArrayList<>();
        RelayRun best;

        double netSeconds() {
            return best.totalSeconds() - fixed.totalSeconds();
        }

        Jar(String name, String label, Path file) {
            this.name = name;
            this.label = label;
            this.file = file;
        }

        double peakRssMiB() {
            return runs.stream().mapToDouble(RelayRun::peakRssMiB).max().orElse(Double.NaN);
        }

        /** What {@link #rates} gives: net of the 1-packet run, 'Capturing on' to 'Replay complete', between spool files. */
        static final List<String> KINDS = List.of("net", "replay", "steady");

        /** Packets/s of each run, of one of {@link #KINDS}. */
        List<Double> rates(String kind) {
            return runs.stream().map(r -> switch (kind) {
                case "net" -> PACKETS / (r.totalSeconds() - fixed.totalSeconds());
                case "replay" -> r.capturePacketsPerSecond(PACKETS);
                default -> r.steadyPacketsPerSecond();
            }).toList();
        }
    }

    /**
     * Each jar's 1-packet run, then {@code JAR_RUNS} rounds of one run of each jar: alternating, so that a slow spell of
     * the machine (its speed varies by a third within minutes) falls on both and the run-by-run ratios hold.
     */
    private void runJars(List<Jar> jars, Path benchDir, Path pcap, Path tiny) throws Exception {
        for (Jar j : jars) {
            assertTrue(Files.isRegularFile(j.file), j.name + ": no such jar");
            j.fixed = runJarOnce(j.label + "-1-packet", j.file, benchDir, tiny, List.of());
        }
        for (int i = 1; i <= JAR_RUNS; i++) {
            for (Jar j : jars) {
                RelayRun r = runJarOnce(j.label + "-" + i, j.file, benchDir, pcap, List.of());
                j.runs.add(r);
                j.spools.add(Spool.check(r.logsDir));
                if (!KEEP) {
                    // counted: gone before the next run, so that runs do not pile up 500 MB each in the page cache and on disk
                    deleteTree(r.logsDir);
                }
                if (j.best == null || r.totalSeconds() < j.best.totalSeconds()) {
                    j.best = r;
                }
            }
        }
    }

    private static double median(List<Double> xs) {
        List<Double> sorted = xs.stream().sorted().toList();
        int n = sorted.size();
        return n % 2 == 1 ? sorted.get(n / 2) : (sorted.get(n / 2 - 1) + sorted.get(n / 2)) / 2;
    }

    private static String whole(List<Double> xs) {
        return xs.stream().map(x -> String.format(Locale.ROOT, "%.0f", x)).toList().toString();
    }

    private static String ratios(List<Double> xs) {
        return xs.stream().map(x -> String.format(Locale.ROOT, "%.2f", x)).toList().toString();
    }

    /** Runs a jar; a run that does not exit 0 ends the bench at once (its figures would mean nothing). */
    private RelayRun runJarOnce(String label, Path jarFile, Path benchDir, Path pcap, List<String> jvmArgs) throws Exception {
        RelayRun r = RelayRun.run(label, benchDir, jarFile, pcap, Map.of(), jvmArgs, TIMEOUT);
        if (r.timedOut() || r.exitCode != 0) {
            details(r, Spool.check(r.logsDir), false);
            flush();
            fail("jar run '" + label + "' " + (r.timedOut() ? "did not exit within " + TIMEOUT + " s" : "exited " + r.exitCode)
                 + "; log tail:\n" + r.tail());
        }
        return r;
    }

    /**
     * CPU per packet by stage after 'Capturing on', from the JFR run's per-thread CPU and Java samples (see
     * {@link CaptureJfr}); beside it the replay's CPU as the process counts it (the run's minus the 1-packet run's),
     * which also holds GC and what a thread used before 'Capturing on' and after its last JFR period.
     */
    private void stages(Path jfr, RelayRun r, RelayRun fixed) throws IOException {
        Map<String, Double> cpu = new LinkedHashMap<>(CaptureJfr.stages(jfr, r.capturingEpochMs));
        if (cpu.isEmpty()) {
            line("stages: no JFR recording at %s", jfr);
            return;
        }
        double writeWall = cpu.remove(CaptureJfr.WRITE_WALL);
        double measured = cpu.values().stream().mapToDouble(Double::doubleValue).sum();
        StringBuilder sb = new StringBuilder();
        StringBuilder shares = new StringBuilder();
        cpu.forEach((k, v) -> {
            sb.append(String.format(Locale.ROOT, "%s %.2f, ", k, v * 1e6 / PACKETS));
            shares.append(String.format(Locale.ROOT, "%s %.0f %%, ", k, 100.0 * v / Math.max(1e-9, measured)));
        });
        double replayCpu = r.cpuSeconds() - fixed.cpuSeconds();
        double replayWall = r.totalSeconds() - fixed.totalSeconds();
        line("CPU us per packet by stage (JFR per-thread CPU and Java samples of one more run of the jar, after 'Capturing on'):"
             + " %stotal %.2f us; the process's replay CPU (the run's minus the 1-packet run's, with GC) %.2f us: %.1f s in %.1f s,"
             + " %.2f cores", sb, measured * 1e6 / PACKETS, replayCpu * 1e6 / PACKETS, replayCpu, replayWall, replayCpu / replayWall);
        line("  shares: %s(read: the capture thread; decode, CSV, route, write: the decode threads' CPU, split by their Java"
             + " samples); the decode threads' wall time in write(2), waiting for a core included: %.2f us per packet", shares,
                writeWall * 1e6 / PACKETS);
    }

    // ------------------------------------------------------------------ the jar's spool

    /** What a replay left in its spool folder. */
    static final class Spool {
        Path dir;
        int files;
        long rows;
        long bytes;
        long maxRowsPerFile;
        List<String> withoutMarker = new ArrayList<>();
        List<String> parts = new ArrayList<>();
        List<String> badHeader = new ArrayList<>();
        List<String> others = new ArrayList<>();
        List<String> outOfOrder = new ArrayList<>();

        static Spool check(Path logsDir) throws IOException {
            Spool s = new Spool();
            s.dir = logsDir.resolve("pending_upload");
            if (!Files.isDirectory(logsDir)) {
                return s;
            }
            List<Path> all;
            try (Stream<Path> w = Files.walk(logsDir)) {
                all = w.filter(Files::isRegularFile).sorted().toList();
            }
            for (Path p : all) {
                String name = p.getFileName().toString();
                if (name.endsWith(".part") || name.contains(".part")) {
                    s.parts.add(logsDir.relativize(p).toString());
                } else if (name.endsWith(".csv") && p.getParent().equals(s.dir)) {
                    s.files++;
                    if (!Files.exists(p.resolveSibling(name + ".ready"))) {
                        s.withoutMarker.add(name);
                    }
                    long lines = 0;
                    String prev = null;
                    boolean ordered = true;
                    try (BufferedReader in = Files.newBufferedReader(p, StandardCharsets.UTF_8)) {
                        String l;
                        while ((l = in.readLine()) != null) {
                            if (lines++ == 0) {
                                if (!l.equals(Field.CSV_HEADER)) {
                                    s.badHeader.add(name);
                                }
                                continue;
                            }
                            // the bench's timestamps increase packet by packet: a row out of capture order shows here
                            String ts = l.substring(0, l.indexOf(','));
                            if (prev != null && (ts.length() < prev.length() || ts.length() == prev.length() && ts.compareTo(prev) <= 0)) {
                                ordered = false;
                            }
                            prev = ts;
                        }
                    }
                    s.bytes += Files.size(p);
                    if (!ordered) {
                        s.outOfOrder.add(name);
                    }
                    long rows = Math.max(0, lines - 1);
                    s.rows += rows;
                    s.maxRowsPerFile = Math.max(s.maxRowsPerFile, rows);
                } else if (!name.endsWith(".csv.ready")) {
                    s.others.add(logsDir.relativize(p).toString());
                }
            }
            return s;
        }
    }

    // ------------------------------------------------------------------ printing

    private void details(RelayRun r, Spool s, boolean best) {
        line("jar %-22s exit %s; %d spool files (max rows in a file %d, %.1f MB of CSV); start -> 'Capturing on' %.2f s,"
             + " -> 'Replay complete' %.2f s, -> exit %.2f s%s; CPU %.1f s (%.0f%% of one core over the run); VmHWM %.1f"
             + " MiB, max VmRSS sampled %.1f MiB; CPU used by everything else meanwhile %.1f s%s", r.label,
                r.timedOut() ? "TIMEOUT" : Integer.toString(r.exitCode), s.files, s.maxRowsPerFile, s.bytes / 1e6,
                r.startupSeconds(), r.replayCompleteNanos == 0 ? Double.NaN : (r.replayCompleteNanos - r.startNanos) / 1e9,
                r.totalSeconds(), best ? " (fastest)" : "", r.cpuSeconds(), 100 * r.cpuSeconds() / r.totalSeconds(),
                r.hwmKb / 1024.0, r.maxRssKb / 1024.0, r.otherCpuSeconds(),
                s.others.isEmpty() ? "" : "; other files: " + s.others);
        if (best) {
            line("    %s", String.join(" ", r.command));
            String routes;
            try (Stream<Path> files = Files.list(r.workDir.resolve("routes"))) {
                routes = files.map(x -> x.getFileName().toString()).sorted().toList().toString();
            } catch (IOException e) {
                routes = e.toString();
            }
            line("    work dir %s, routes/ %s", r.workDir, routes);
        }
    }

    /** The log lines that say where the time goes. */
    private static List<String> excerpt(List<String> log) {
        List<String> out = new ArrayList<>();
        for (String s : log) {
            if (s.contains("Capturing on") || s.contains("Spooled") || s.contains("Replay") || s.contains("WARN")
                || s.contains("ERROR") || s.contains("Capture stopped") || s.contains("started in")
                || s.contains("shutdown") && s.contains("Apache Camel") || s.contains("Exception")) {
                out.add(s.length() > 300 ? s.substring(0, 300) + "..." : s);
            }
        }
        return out.size() > 60 ? out.subList(0, 60) : out;
    }

    private static String mix(List<LoopbackCapture.Packet> packets) {
        int v4 = 0;
        int v6 = 0;
        int tcp = 0;
        int udp = 0;
        for (LoopbackCapture.Packet p : packets) {
            byte[] d = p.data();
            if (d.length < 14) {
                continue;
            }
            int type = ((d[12] & 0xff) << 8) | (d[13] & 0xff);
            int proto = -1;
            if (type == 0x0800 && d.length > 23) {
                v4++;
                proto = d[23] & 0xff;
            } else if (type == 0x86DD && d.length > 20) {
                v6++;
                proto = d[20] & 0xff;
            }
            if (proto == 6) {
                tcp++;
            } else if (proto == 17) {
                udp++;
            }
        }
        return String.format(Locale.ROOT, "mix: IPv4 %d, IPv6 %d; TCP %d, UDP %d (HTTP/1.1 on TCP; DNS and datagrams on UDP)",
                v4, v6, tcp, udp);
    }

    /** The CPU model from /proc/cpuinfo. */
    private static String cpuModel() {
        try {
            return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("cpu?");
        } catch (IOException e) {
            return "cpu?";
        }
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "n/a";
        }
    }

    private void line(String format, Object... args) {
        report.append(String.format(Locale.ROOT, format, args)).append('\n');
    }

    private int flushed;

    private void flush() {
        System.out.print(report.substring(flushed));
        System.out.flush();
        flushed = report.length();
    }

    private static void deleteOldRuns(Path benchDir) throws IOException {
        try (Stream<Path> s = Files.list(benchDir)) {
            for (Path p : s.filter(x -> x.getFileName().toString().startsWith("relay-")).toList()) {
                deleteTree(p);
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
