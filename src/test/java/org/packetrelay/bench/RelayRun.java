package org.packetrelay.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * The packaged jar run as a user would: {@code java -Xmx256m -XX:+UseParallelGC -XX:+ExitOnOutOfMemoryError -jar packet-relay.jar} in a
 * fresh folder holding a copy of routes/, replaying one capture file (sniffer role only: it exits when done). Measures
 * wall time (start, the "Capturing on" log line, the "Replay complete" line, exit), and samples the process's memory
 * (VmRSS, VmHWM) and CPU time from /proc every 50 ms.
 */
final class RelayRun {
    static final List<String> JVM_ARGS = List.of("-Xmx256m", "-XX:+UseParallelGC", "-XX:+ExitOnOutOfMemoryError");
    private static final long CLK_TCK = 100; // USER_HZ on Linux
    private static final Pattern SPOOLED = Pattern.compile("Spooled \\S+: (\\d+) packets");

    final String label;
    final Path workDir;
    final Path logsDir;
    final Path stdoutFile;
    final Path stderrFile;
    final List<String> command = new ArrayList<>();
    int exitCode = Integer.MIN_VALUE;
    long startNanos;
    volatile long capturingNanos;
    /** The same instant as epoch milliseconds (to match JFR event times). */
    volatile long capturingEpochMs;
    volatile long replayCompleteNanos;
    long exitNanos;
    volatile long maxRssKb = -1;
    volatile long hwmKb = -1;
    volatile long cpuTicks = -1;
    final List<String> logLines = new ArrayList<>();
    /** Each "Spooled <file>: N packets" line: when it was read (System.nanoTime) and N. */
    final List<long[]> spooled = new ArrayList<>();
    /** CPU ticks the whole machine spent busy during the run (all cores), from /proc/stat. */
    long machineBusyTicks = -1;

    private RelayRun(String label, Path workDir) {
        this.label = label;
        this.workDir = workDir;
        this.logsDir = workDir.resolve("logs");
        this.stdoutFile = workDir.resolve("stdout.log");
        this.stderrFile = workDir.resolve("stderr.log");
    }

    static Path projectDir() {
        return Paths.get(System.getProperty("project.dir", ".")).toAbsolutePath().normalize();
    }

    static Path jar() {
        return Paths.get(System.getProperty("relay.jar", projectDir().resolve("target/packet-relay.jar").toString()))
                .toAbsolutePath();
    }

    /** Runs the jar to its end (or kills it after {@code timeoutSeconds}). */
    static RelayRun run(String label, Path parent, Path pcap, Map<String, String> extraSettings, long timeoutSeconds)
            throws Exception {
        return run(label, parent, jar(), pcap, extraSettings, List.of(), timeoutSeconds);
    }

    /** The same with another jar (an earlier build) and more JVM options (a JFR recording). */
    static RelayRun run(String label, Path parent, Path jar, Path pcap, Map<String, String> extraSettings, List<String> jvmArgs,
                        long timeoutSeconds) throws Exception {
        Files.createDirectories(parent);
        Path work = Files.createTempDirectory(parent, "relay-" + label.replaceAll("[^A-Za-z0-9]+", "-") + "-");
        Files.createDirectories(work.resolve("routes"));
        // bench.routes: a glob of the route files to copy (default every one, as a user's routes/ folder holds)
        PathMatcher routes = FileSystems.getDefault().getPathMatcher("glob:" + System.getProperty("bench.routes", "*"));
        // an earlier build runs with the routes/ folder beside it, when there is one (its beans are its own)
        Path routesDir = Files.isDirectory(jar.resolveSibling("routes")) && !jar.equals(jar()) ? jar.resolveSibling("routes")
                : projectDir().resolve("routes");
        try (Stream<Path> s = Files.list(routesDir)) {
            for (Path p : s.filter(x -> routes.matches(x.getFileName())).toList()) {
                Files.copy(p, work.resolve("routes").resolve(p.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        RelayRun r = new RelayRun(label, work);
        Map<String, String> settings = new LinkedHashMap<>();
        settings.put("relay.roles", "sniffer");
        settings.put("sniffer.file", pcap.toAbsolutePath().toString());
        settings.put("relay.logs-dir", r.logsDir.toString());
        settings.putAll(extraSettings);
        settings.putIfAbsent("camel.management.port", "0"); // no management server: nothing collides on 9876
        r.command.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        r.command.addAll(JVM_ARGS);
        r.command.addAll(jvmArgs);
        settings.forEach((k, v) -> r.command.add("-D" + k + "=" + v));
        r.command.add("-jar");
        r.command.add(jar.toString());
        r.execute(timeoutSeconds);
        return r;
    }

    private void execute(long timeoutSeconds) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile())
                .redirectError(stderrFile.toFile());
        // settings may come from the environment too: the bench's figures must not depend on the caller's shell
        pb.environment().keySet().removeIf(k -> k.startsWith("RELAY_") || k.startsWith("SNIFFER_")
                                                 || k.startsWith("SENDER_") || k.startsWith("RECEIVER_")
                                                 || k.startsWith("CAMEL_") || k.equals("JAVA_TOOL_OPTIONS")
                                                 || k.equals("JDK_JAVA_OPTIONS"));
        long busyBefore = machineBusyTicks();
        startNanos = System.nanoTime();
        Process p = pb.start();
        long pid = p.pid();
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                 Writer out = Files.newBufferedWriter(stdoutFile, StandardCharsets.UTF_8)) {
                String line;
                while ((line = in.readLine()) != null) {
                    long now = System.nanoTime();
                    if (capturingNanos == 0 && line.contains("Capturing on")) {
                        capturingNanos = now;
                        capturingEpochMs = System.currentTimeMillis();
                    }
                    if (replayCompleteNanos == 0 && line.contains("Replay complete")) {
                        replayCompleteNanos = now;
                    }
                    Matcher m = SPOOLED.matcher(line);
                    if (m.find()) {
                        synchronized (spooled) {
                            spooled.add(new long[] {now, Long.parseLong(m.group(1))});
                        }
                    }
                    out.write(line);
                    out.write('\n');
                    synchronized (logLines) {
                        logLines.add(line);
                    }
                }
            } catch (IOException e) {
                // the process went away
            }
        }, "bench-relay-stdout");
        reader.setDaemon(true);
        reader.start();
        Thread sampler = new Thread(() -> {
            Path status = Paths.get("/proc", Long.toString(pid), "status");
            Path stat = Paths.get("/proc", Long.toString(pid), "stat");
            while (p.isAlive()) {
                sample(status, stat);
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "bench-relay-rss");
        sampler.setDaemon(true);
        sampler.start();
        boolean ended = p.waitFor(timeoutSeconds, TimeUnit.SECONDS);
        exitNanos = System.nanoTime();
        long busyAfter = machineBusyTicks();
        if (busyBefore >= 0 && busyAfter >= 0) {
            machineBusyTicks = busyAfter - busyBefore;
        }
        if (!ended) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
        sampler.join(2000);
        reader.join(5000);
        exitCode = ended ? p.exitValue() : Integer.MIN_VALUE;
    }

    private void sample(Path status, Path stat) {
        try {
            for (String line : Files.readAllLines(status, StandardCharsets.US_ASCII)) {
                if (line.startsWith("VmRSS:")) {
                    maxRssKb = Math.max(maxRssKb, kb(line));
                } else if (line.startsWith("VmHWM:")) {
                    hwmKb = Math.max(hwmKb, kb(line));
                }
            }
            String s = Files.readString(stat, StandardCharsets.US_ASCII);
            String[] f = s.substring(s.lastIndexOf(')') + 2).trim().split(" ");
            // after the comm: state(0) ... utime(11) stime(12)
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
            cpuTicks = Math.max(cpuTicks, ticks);
        } catch (IOException | RuntimeException e) {
            // gone (or a zombie without memory lines): keep what was read before
        }
    }

    /** user + nice + system + irq + softirq + steal of the "cpu" line of /proc/stat, or -1. */
    static long machineBusyTicks() {
        try {
            String cpu = Files.readAllLines(Paths.get("/proc/stat"), StandardCharsets.US_ASCII).get(0);
            String[] f = cpu.trim().split("\\s+");
            long busy = 0;
            for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
                busy += Long.parseLong(f[i]);
            }
            return busy;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** CPU seconds used on this machine during the run by anything but the relay process (other work skews figures). */
    double otherCpuSeconds() {
        return machineBusyTicks < 0 || cpuTicks < 0 ? Double.NaN : Math.max(0, machineBusyTicks - cpuTicks) / (double) CLK_TCK;
    }

    private static long kb(String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }

    boolean timedOut() {
        return exitCode == Integer.MIN_VALUE;
    }

    double totalSeconds() {
        return (exitNanos - startNanos) / 1e9;
    }

    /** Start to the "Capturing on" line (JVM + Camel start-up), or NaN when it was not seen. */
    double startupSeconds() {
        return capturingNanos == 0 ? Double.NaN : (capturingNanos - startNanos) / 1e9;
    }

    /** The "Capturing on" line to exit (replay, last spool file, Camel shutdown, JVM exit). */
    double replaySeconds() {
        return capturingNanos == 0 ? Double.NaN : (exitNanos - capturingNanos) / 1e9;
    }

    /**
     * Packets per second from the "Capturing on" line to the "Replay complete" one (logged once the last spool file is
     * complete: every packet read, decoded, written and forced): start-up and shutdown left out, JIT warm-up in.
     */
    double capturePacketsPerSecond(long packets) {
        return capturingNanos == 0 || replayCompleteNanos == 0 ? Double.NaN : packets / ((replayCompleteNanos - capturingNanos) / 1e9);
    }

    /** The "Replay complete" line to exit (Camel shutdown and JVM exit). */
    double shutdownSeconds() {
        return replayCompleteNanos == 0 ? Double.NaN : (exitNanos - replayCompleteNanos) / 1e9;
    }

    /**
     * Packets per second between the first and the last spool file (files 2..n over the time between their log
     * lines): the steady rate, without JVM start-up, JIT warm-up of the first file, and shutdown; NaN for under 3 files.
     */
    double steadyPacketsPerSecond() {
        synchronized (spooled) {
            if (spooled.size() < 3) {
                return Double.NaN;
            }
            long packets = 0;
            for (int i = 1; i < spooled.size(); i++) {
                packets += spooled.get(i)[1];
            }
            return packets / ((spooled.get(spooled.size() - 1)[0] - spooled.get(0)[0]) / 1e9);
        }
    }

    double cpuSeconds() {
        return cpuTicks < 0 ? Double.NaN : cpuTicks / (double) CLK_TCK;
    }

    /** The peak resident set: the larger of the last VmHWM read and the largest VmRSS sampled, in MiB. */
    double peakRssMiB() {
        return Math.max(hwmKb, maxRssKb) / 1024.0;
    }

    List<String> log() {
        synchronized (logLines) {
            return new ArrayList<>(logLines);
        }
    }

    String tail() {
        List<String> l = log();
        String err;
        try {
            err = Files.exists(stderrFile) ? Files.readString(stderrFile) : "";
        } catch (IOException e) {
            err = e.toString();
        }
        return String.join("\n", l.subList(Math.max(0, l.size() - 40), l.size())) + "\nstderr: "
               + err.substring(Math.max(0, err.length() - 3000));
    }
}
