package org.packetrelay.bench;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.stream.Stream;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.packetrelay.catalog.Field;
import org.packetrelay.catalog.PacketRecord;
import org.packetrelay.decode.PacketDecoder;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.Pcaps;
import org.pcap4j.core.RawPacketListener;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The capture benchmark (`make bench`): captures real loopback traffic that it makes itself, writes a pcap of
 * {@code bench.packets} packets (default 1,500,000, so that JIT warm-up does not dominate) by repeating it, replays that file with the packaged jar as a separate
 * process (default settings, then sniffer.max-packets-per-file=200000) measuring time and peak RSS, checks that every
 * packet is a row of a ready spool file, and measures the decoder + CSV alone in-process for comparison. Prints a
 * table; it asserts correctness only, never a timing.
 *
 * <p>System properties: {@code bench.packets} (1500000), {@code bench.repeats} (3: in-process passes, best kept),
 * {@code bench.timeout} (600 s per jar run), {@code bench.keep} (false: the spool files are removed once counted),
 * {@code bench.jar-runs} (2: runs of each jar configuration; the fastest gives the time, the largest peak RSS the memory),
 * {@code bench.routes} (a glob of the files of routes/ to copy into the jar's working folder; default every one).
 */
@Tag("bench")
class CaptureBenchIT {
    private static final long PACKETS = Long.getLong("bench.packets", 1_500_000L);
    private static final int REPEATS = Integer.getInteger("bench.repeats", 3);
    private static final long TIMEOUT = Long.getLong("bench.timeout", 600L);
    private static final boolean KEEP = Boolean.getBoolean("bench.keep");
    private static final int JAR_RUNS = Math.max(1, Integer.getInteger("bench.jar-runs", 2));
    private static final int LARGE_FILE_CAP = 200_000;

    private final StringBuilder report = new StringBuilder();

    @Test
    void captureReplayThroughputAndMemory() throws Exception {
        Path benchDir = RelayRun.projectDir().resolve("target/bench");
        Files.createDirectories(benchDir);
        deleteOldRuns(benchDir);
        assertTrue(Files.isRegularFile(RelayRun.jar()), "the packaged jar " + RelayRun.jar() + " (mvn package) is needed");

        // 1. a capture of our own traffic, written out as a pcap of PACKETS packets
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
        Path pcap = benchDir.resolve("capture-" + PACKETS + ".pcap");
        PcapFileWriter.Written file = PcapFileWriter.write(pcap, dlt, captured, PACKETS);
        Path tiny = benchDir.resolve("capture-1.pcap");
        PcapFileWriter.write(tiny, dlt, captured.subList(0, 1), 1);

        line("packet-relay capture benchmark  (%d cores, %s, java %s, jar %s; load average at start %s)",
                Runtime.getRuntime().availableProcessors(), System.getProperty("os.name") + " " + System.getProperty("os.arch"),
                System.getProperty("java.version"), RelayRun.jar().getFileName(), loadAverage());
        line("capture: %d distinct packets (%.1f KB, mean %d bytes) captured on lo in %.1f s, linktype %d, libpcap %s;"
             + " %s", captured.size(), capturedBytes / 1e3, capturedBytes / captured.size(), captureSeconds, dlt,
                Pcaps.libVersion(), captureStats);
        line("         %s", mix(captured));
        for (String n : trafficNotes) {
            line("         note: %s", n);
        }
        line("pcap:    %s: %d packets, %.1f MB (the capture repeated %.1f times, timestamps increasing)", pcap,
                file.packets(), file.bytes() / 1e6, file.packets() / (double) captured.size());
        line("");
        flush();

        // 2. in-process, one thread, no Camel: where the time goes
        List<Loop> loops = new ArrayList<>();
        long busy0 = RelayRun.machineBusyTicks();
        long wall0 = System.nanoTime();
        Loop cold = measureLoop(pcap, Mode.DECODE_CSV); // warm-up (JIT); shown too: the jar's replay runs cold
        for (Mode m : Mode.values()) {
            Loop best = null;
            for (int i = 0; i < REPEATS; i++) {
                Loop l = measureLoop(pcap, m);
                if (best == null || l.nanos < best.nanos) {
                    best = l;
                }
            }
            loops.add(best);
        }
        double inProcessBusyCores = (RelayRun.machineBusyTicks() - busy0) / 100.0 / ((System.nanoTime() - wall0) / 1e9);

        // 3. the jar, as a user runs it: a 1-packet pcap for the fixed cost, then the big pcap with two file caps.
        // Each is run bench.jar-runs times: the fastest run gives the time (the first run after a build pays for cold
        // caches; other work on the machine only ever slows a run down), the largest peak RSS of all runs the memory.
        String defaultCap = defaultMaxPacketsPerFile();
        Jar fixed = runJar("1-packet", benchDir, tiny, Map.of(), 1);
        Jar byDefault = runJar("default", benchDir, pcap, Map.of(), PACKETS);
        Jar large = runJar("per-file-" + LARGE_FILE_CAP, benchDir, pcap,
                Map.of("sniffer.max-packets-per-file", Integer.toString(LARGE_FILE_CAP)), PACKETS);

        // 4. the table
        line("%-62s %8s %9s %11s %11s %10s %12s", "benchmark", "packets", "seconds", "packets/s", "MB/s(pcap)",
                "MB/s(csv)", "peak RSS MB");
        jarRow("jar fixed cost: 1-packet pcap (whole run)", fixed, 1, file.bytes(), 0, false);
        for (Object[] run : new Object[][] {{byDefault, defaultCap + "/file (default)"}, {large, LARGE_FILE_CAP + "/file"}}) {
            Jar j = (Jar) run[0];
            String name = "capture replay (jar), " + run[1];
            jarRow(name + ", raw", j, PACKETS, file.bytes(), 0, true);
            jarRow(name + ", net", j, PACKETS, file.bytes(), fixed.best.totalSeconds(), true);
            jarRow(name + ", 'Capturing on'->exit", j, PACKETS, file.bytes(), j.best.startupSeconds(), true);
        }
        List<Loop> shown = new ArrayList<>(loops);
        shown.add(cold);
        for (Loop l : shown) {
            double s = l.nanos / 1e9;
            line("%-62s %8d %9.3f %11.0f %11.1f %10s %12s",
                    "in-process 1 thread: " + l.mode.label + (l == cold ? " (1st pass, cold)" : ""), l.packets, s,
                    l.packets / s, file.bytes() / 1e6 / s,
                    l.csvChars > 0 ? String.format(Locale.ROOT, "%.1f", l.csvChars / 1e6 / s) : "-", "-");
        }
        line("");
        line("seconds: jar raw = process start to exit (fastest of %d runs); net = raw minus the 1-packet run (JVM +"
             + " Camel start-up and shutdown); 'Capturing on'->exit = from that log line (replay, last spool file,"
             + " shutdown); in-process = best of %d passes after a warm-up pass (also shown: the jar's replay runs cold)."
             + " MB = 10^6 bytes; RSS in MiB: the largest over the runs of max(VmHWM, VmRSS) sampled every 50 ms.",
                JAR_RUNS, REPEATS);
        line("");
        for (Jar j : List.of(fixed, byDefault, large)) {
            for (int i = 0; i < j.runs.size(); i++) {
                details(j.runs.get(i), j.spools.get(i), j.runs.get(i) == j.best);
            }
        }
        for (Loop l : loops) {
            if (l.decodeExceptions > 0 || l.decodeErrors > 0) {
                line("in-process %s: %d decoder exceptions, %d rows with decode_error (first: %s)", l.mode.label,
                        l.decodeExceptions, l.decodeErrors, l.firstProblem);
            }
        }
        line("in-process passes: the machine was busy %.2f cores on average (1.0 = this bench alone)", inProcessBusyCores);
        line("load average at the end: %s. Figures taken while other work ran on this machine are not comparable:"
             + " see 'CPU used by everything else' above.", loadAverage());
        line("");
        line("jar log, default run (excerpt):");
        for (String s : excerpt(byDefault.best.log())) {
            line("  %s", s);
        }
        flush();
        Files.writeString(benchDir.resolve("capture-bench.txt"), report.toString());

        // 5. correctness (never timing)
        for (Jar j : List.of(fixed, byDefault, large)) {
            for (int i = 0; i < j.runs.size(); i++) {
                RelayRun r = j.runs.get(i);
                Spool s = j.spools.get(i);
                assertFalse(r.timedOut(), r.label + ": no exit within " + TIMEOUT + " s: " + r.tail());
                assertEquals(0, r.exitCode, r.label + ": exit code; " + r.tail());
                assertTrue(s.files > 0, r.label + ": no spool file in " + s.dir);
                assertEquals(List.of(), s.withoutMarker, r.label + ": .csv files without their .ready marker");
                assertEquals(List.of(), s.parts, r.label + ": .part files left");
                assertEquals(List.of(), s.badHeader, r.label + ": files whose first line is not the CSV header");
                assertEquals(j.expectedRows, s.rows, r.label + ": rows in the spool files vs packets in the pcap");
            }
        }
        for (Loop l : loops) {
            assertEquals(PACKETS, l.packets, "pcap4j read back every packet of the pcap (" + l.mode.label + ")");
        }
        if (!KEEP) {
            for (Jar j : List.of(byDefault, large)) {
                for (RelayRun r : j.runs) {
                    deleteTree(r.logsDir);
                }
            }
        }
    }

    /** The runs of one jar configuration. */
    static final class Jar {
        final List<RelayRun> runs = new ArrayList<>();
        final List<Spool> spools = new ArrayList<>();
        long expectedRows;
        RelayRun best;

        double peakRssMiB() {
            return runs.stream().mapToDouble(RelayRun::peakRssMiB).max().orElse(Double.NaN);
        }

        Spool bestSpool() {
            return spools.get(runs.indexOf(best));
        }
    }

    private Jar runJar(String label, Path benchDir, Path pcap, Map<String, String> settings, long expectedRows)
            throws Exception {
        Jar j = new Jar();
        j.expectedRows = expectedRows;
        for (int i = 1; i <= JAR_RUNS; i++) {
            RelayRun r = runJarOnce(JAR_RUNS == 1 ? label : label + "-" + i, benchDir, pcap, settings);
            j.runs.add(r);
            j.spools.add(Spool.check(r.logsDir));
            if (j.best == null || r.totalSeconds() < j.best.totalSeconds()) {
                j.best = r;
            }
        }
        return j;
    }

    /** Runs the jar; a run that does not exit 0 ends the bench at once (its figures would mean nothing). */
    private RelayRun runJarOnce(String label, Path benchDir, Path pcap, Map<String, String> settings) throws Exception {
        RelayRun r = RelayRun.run(label, benchDir, pcap, settings, TIMEOUT);
        if (r.timedOut() || r.exitCode != 0) {
            details(r, Spool.check(r.logsDir), false);
            flush();
            fail("jar run '" + label + "' " + (r.timedOut() ? "did not exit within " + TIMEOUT + " s" : "exited " + r.exitCode)
                 + "; log tail:\n" + r.tail());
        }
        return r;
    }

    // ------------------------------------------------------------------ in-process loops

    enum Mode {
        BARE("pcap4j loop only"),
        HEADER("pcap4j loop + timestamp/orig len"),
        DECODE("+ PacketDecoder.decode"),
        DECODE_CSV("+ decode + appendCsv");

        final String label;

        Mode(String label) {
            this.label = label;
        }
    }

    static final class Loop {
        Mode mode;
        long packets;
        long nanos;
        long csvChars;
        long decodeExceptions;
        long decodeErrors;
        String firstProblem;
        long sink;
    }

    private static Loop measureLoop(Path pcap, Mode mode) throws Exception {
        Loop l = new Loop();
        l.mode = mode;
        PacketDecoder decoder = new PacketDecoder();
        PacketRecord record = new PacketRecord();
        org.packetrelay.catalog.CsvBytes sb = new org.packetrelay.catalog.CsvBytes(1 << 21);
        PcapHandle h = Pcaps.openOffline(pcap.toString(), PcapHandle.TimestampPrecision.MICRO);
        try {
            int dlt = h.getDlt().value();
            RawPacketListener listener = data -> {
                l.packets++;
                if (mode == Mode.BARE) {
                    l.sink += data.length;
                    return;
                }
                Timestamp ts = h.getTimestamp();
                Integer orig = h.getOriginalLength();
                long nanos = Math.floorDiv(ts.getTime(), 1000L) * 1_000_000_000L + ts.getNanos();
                int origLen = orig == null ? data.length : orig;
                if (mode == Mode.HEADER) {
                    l.sink += nanos + origLen;
                    return;
                }
                try {
                    decoder.decode(dlt, data, origLen, nanos, 6, "lo", record);
                } catch (RuntimeException e) {
                    if (l.decodeExceptions++ == 0) {
                        l.firstProblem = e.toString();
                    }
                    return;
                }
                if (record.has(Field.DECODE_ERROR) && l.decodeErrors++ == 0 && l.firstProblem == null) {
                    l.firstProblem = record.getString(Field.DECODE_ERROR);
                }
                if (mode == Mode.DECODE) {
                    return;
                }
                record.appendCsv(sb);
                if (l.packets % 1000 == 0) {
                    l.csvChars += sb.length();
                    sb.setLength(0);
                }
            };
            long t0 = System.nanoTime();
            h.loop(-1, listener);
            l.nanos = System.nanoTime() - t0;
            l.csvChars += sb.length();
        } finally {
            h.close();
        }
        return l;
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
            byte[] header = (Field.CSV_HEADER + "\n").getBytes(StandardCharsets.UTF_8);
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
                    byte[] first = new byte[header.length];
                    int firstLen = 0;
                    byte[] buf = new byte[1 << 16];
                    try (InputStream in = Files.newInputStream(p)) {
                        int n;
                        while ((n = in.read(buf)) > 0) {
                            if (firstLen < first.length) {
                                int k = Math.min(n, first.length - firstLen);
                                System.arraycopy(buf, 0, first, firstLen, k);
                                firstLen += k;
                            }
                            for (int i = 0; i < n; i++) {
                                if (buf[i] == '\n') {
                                    lines++;
                                }
                            }
                            s.bytes += n;
                        }
                    }
                    if (firstLen < header.length || !java.util.Arrays.equals(first, header)) {
                        s.badHeader.add(name);
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

    private void jarRow(String name, Jar j, long packets, long pcapBytes, double minusSeconds, boolean rates) {
        double secs = j.best.totalSeconds() - minusSeconds;
        long csvBytes = j.bestSpool().bytes;
        line("%-62s %8d %9.3f %11s %11s %10s %12.1f", name, packets, secs,
                rates ? String.format(Locale.ROOT, "%.0f", packets / secs) : "-",
                rates ? String.format(Locale.ROOT, "%.1f", pcapBytes / 1e6 / secs) : "-",
                rates ? String.format(Locale.ROOT, "%.1f", csvBytes / 1e6 / secs) : "-", j.peakRssMiB());
    }

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

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "n/a";
        }
    }

    private static String defaultMaxPacketsPerFile() {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(RelayRun.projectDir().resolve("application.properties"))) {
            p.load(r);
        } catch (IOException e) {
            return "?";
        }
        return p.getProperty("sniffer.max-packets-per-file", "?");
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
