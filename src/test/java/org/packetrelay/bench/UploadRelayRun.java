package org.packetrelay.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The packaged jar run as a user would, sender role only: {@code java -Xmx.. -jar packet-relay.jar} in a fresh folder
 * holding a copy of routes/, with the spool's files hard-linked into logs/pending_upload/ (with their markers) before
 * it starts. Pass 0 is that backlog, read by a fresh JVM; each further pass drops the same files again under other
 * names (another date in the name, so other Idempotency-Keys) once the previous pass is all in processed/, so it runs
 * on a JIT-warm JVM. Stops the process with SIGTERM after the last pass.
 *
 * <p>Every 50 ms it samples the process's VmRSS, its CPU ticks and the whole machine's busy ticks; every 200 ms the
 * CPU ticks of each of its threads (/proc/&lt;pid&gt;/task; a thread that ended keeps its last count), grouped as
 * {@link #THREAD_GROUPS}. The windows of a pass (its sink's first request to last response) are cut from those.
 */
final class UploadRelayRun {
    static final String[] THREAD_GROUPS = {"Camel", "GC", "JIT", "JFR", "other"};
    private static final long CLK_TCK = 100;

    /** The sink of a run. */
    interface Sink {
        String name();

        String url();

        /** CPU seconds the sink used so far. */
        double cpuSeconds();

        /** Every request it got; ends the sink. */
        List<UploadSinkLog.Req> finish() throws Exception;
    }

    /** One pass: one copy of the spool, uploaded. */
    static final class Pass {
        int index;
        long droppedMs;
        long doneMs = -1;
        long hwmKbAtDone = -1;
        double sinkCpuAtDrop;
        double sinkCpuAtDone;
        UploadSinkLog.Result sink;
        double relayCpu = Double.NaN;
        double machineCpu = Double.NaN;
        long maxRssKb = -1;
        /** window seconds, then CPU seconds per THREAD_GROUPS, then user, system. */
        double[] byGroup;

        double wallSeconds() {
            return (doneMs - droppedMs) / 1000.0;
        }
    }

    final int parallel;
    final boolean jfr;
    final String sinkName;
    final Path workDir;
    final Path logs;
    final List<Pass> passes = new ArrayList<>();
    int exit = Integer.MIN_VALUE;
    /** "" for this build, "baseline" for the earlier one run beside it. */
    String label = "";
    String error;
    long processed;
    long failedFiles;
    long pendingLeft;
    /** [epoch ms, relay ticks, machine busy ticks, VmRSS kB] */
    private final List<long[]> samples = Collections.synchronizedList(new ArrayList<>());
    /** [epoch ms, ticks per THREAD_GROUPS..., user ticks, system ticks] */
    private final List<long[]> threadSamples = Collections.synchronizedList(new ArrayList<>());

    private UploadRelayRun(int parallel, boolean jfr, String sinkName, Path workDir) {
        this.parallel = parallel;
        this.jfr = jfr;
        this.sinkName = sinkName;
        this.workDir = workDir;
        this.logs = workDir.resolve("logs");
    }

    /** The spool file of pass {@code pass}: the master's name with the date 2024060(pass+1). */
    static String passName(Path master, int pass) {
        return master.getFileName().toString().replace("_20240601_", "_2024060" + (pass + 1) + "_");
    }

    /** Whether an Idempotency-Key (host:file:first+count) belongs to pass {@code pass}. */
    static boolean inPass(String key, int pass) {
        return key.contains(":packets_2024060" + (pass + 1) + "_");
    }

    static UploadRelayRun run(Path jar, Path projectDir, Path workDir, List<Path> spool, Sink sink, int parallel, boolean jfr,
                              int passCount, List<String> jvmArgs, long timeoutSeconds) throws Exception {
        UploadRelayRun r = new UploadRelayRun(parallel, jfr, sink.name(), workDir);
        Files.createDirectories(workDir.resolve("routes"));
        try (Stream<Path> s = Files.list(projectDir.resolve("routes"))) {
            for (Path p : s.toList()) {
                Files.copy(p, workDir.resolve("routes").resolve(p.getFileName()));
            }
        }
        Path pending = r.logs.resolve("pending_upload");
        Path processedDir = r.logs.resolve("processed");
        Files.createDirectories(pending);
        List<String> cmd = new ArrayList<>();
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmArgs);
        if (jfr) {
            cmd.add("-XX:StartFlightRecording=filename=" + workDir.resolve("relay.jfr") + ",settings=profile,dumponexit=true");
        }
        cmd.add("-Drelay.roles=sender");
        cmd.add("-Drelay.logs-dir=" + r.logs);
        cmd.add("-Dsender.url=" + sink.url());
        cmd.add("-Dsender.poll-interval=1");
        cmd.add("-Dsender.parallel-batches=" + parallel);
        cmd.add("-Dcamel.management.port=0"); // no management server: nothing collides on 9876
        cmd.add("-jar");
        cmd.add(jar.toString());
        Files.writeString(workDir.resolve("command.txt"), String.join(" ", cmd) + "\n");

        Pass first = r.drop(spool, pending, 0, sink);
        Process proc = new ProcessBuilder(cmd).directory(workDir.toFile())
                .redirectOutput(workDir.resolve("stdout.log").toFile())
                .redirectError(workDir.resolve("stderr.log").toFile()).start();
        first.droppedMs = System.currentTimeMillis();
        long pid = proc.pid();
        Thread sampler = new Thread(() -> r.sample(proc, pid), "relay-sampler");
        sampler.setDaemon(true);
        sampler.start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds);
        try {
            for (int p = 0; p < passCount && r.error == null; p++) {
                Pass pass = p == 0 ? first : r.drop(spool, pending, p, sink);
                long want = (long) (p + 1) * spool.size();
                while (true) {
                    long done = countCsv(processedDir);
                    if (done >= want) {
                        pass.doneMs = System.currentTimeMillis();
                        pass.sinkCpuAtDone = sink.cpuSeconds();
                        long[] m = memory(pid);
                        pass.hwmKbAtDone = m == null ? -1 : m[1];
                        break;
                    }
                    if (countCsv(r.logs.resolve("failed_uploads")) > 0) {
                        r.error = "a file went to failed_uploads/ in pass " + p;
                        break;
                    }
                    if (!proc.isAlive()) {
                        r.error = "the relay exited (" + proc.exitValue() + ") in pass " + p;
                        break;
                    }
                    if (System.nanoTime() > deadline) {
                        r.error = "not done within " + timeoutSeconds + " s (" + done + " of " + want + " files processed)";
                        break;
                    }
                    Thread.sleep(50);
                }
            }
        } finally {
            proc.destroy(); // SIGTERM
            if (!proc.waitFor(60, TimeUnit.SECONDS)) {
                proc.destroyForcibly();
                proc.waitFor(10, TimeUnit.SECONDS);
                r.error = (r.error == null ? "" : r.error + "; ") + "did not stop within 60 s of SIGTERM";
            }
            sampler.interrupt();
            sampler.join(1000);
        }
        r.exit = proc.exitValue();
        List<UploadSinkLog.Req> reqs = sink.finish();
        for (Pass pass : r.passes) {
            int i = pass.index;
            pass.sink = UploadSinkLog.summarize(reqs, k -> inPass(k, i), pass.sinkCpuAtDone - pass.sinkCpuAtDrop);
            r.window(pass);
        }
        r.processed = countCsv(processedDir);
        r.failedFiles = countCsv(r.logs.resolve("failed_uploads"));
        r.pendingLeft = countCsv(pending);
        return r;
    }

    /** Links the spool into pending_upload/ under the names of pass {@code p}, then the markers. */
    private Pass drop(List<Path> spool, Path pending, int p, Sink sink) throws IOException {
        for (Path f : spool) {
            Files.createLink(pending.resolve(passName(f, p)), f);
        }
        for (Path f : spool) {
            Files.createFile(pending.resolve(passName(f, p) + ".ready"));
        }
        Pass pass = new Pass();
        pass.index = p;
        pass.droppedMs = System.currentTimeMillis();
        pass.sinkCpuAtDrop = sink.cpuSeconds();
        passes.add(pass);
        return pass;
    }

    private void sample(Process proc, long pid) {
        Map<String, long[]> threads = new HashMap<>();
        int n = 0;
        while (proc.isAlive()) {
            long[] m = memory(pid);
            long ticks = cpuTicks(pid);
            if (m != null && ticks >= 0) {
                samples.add(new long[] {System.currentTimeMillis(), ticks, machineBusyTicks(), m[0]});
            }
            if (n++ % 4 == 0) {
                long[] g = threadGroupTicks(pid, threads);
                if (g != null) {
                    threadSamples.add(g);
                }
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    /** Cuts the pass's window (first request to last response) from the samples. */
    private void window(Pass pass) {
        long from = pass.sink.firstMs();
        long to = pass.sink.lastMs();
        long[] a = sampleAt(samples, from);
        long[] b = sampleAt(samples, to);
        if (a != null && b != null && b[0] > a[0]) {
            pass.relayCpu = (b[1] - a[1]) / (double) CLK_TCK;
            pass.machineCpu = (b[2] - a[2]) / (double) CLK_TCK;
        }
        synchronized (samples) {
            for (long[] s : samples) {
                if (s[0] >= pass.droppedMs && s[0] <= Math.max(to, pass.doneMs)) {
                    pass.maxRssKb = Math.max(pass.maxRssKb, s[3]);
                }
            }
        }
        long[] ga = sampleAt(threadSamples, from);
        long[] gb = sampleAt(threadSamples, to);
        if (ga != null && gb != null && gb[0] > ga[0]) {
            pass.byGroup = new double[ga.length];
            pass.byGroup[0] = (gb[0] - ga[0]) / 1000.0;
            for (int i = 1; i < ga.length; i++) {
                pass.byGroup[i] = (gb[i] - ga[i]) / (double) CLK_TCK;
            }
        }
    }

    /** OS thread names (15 characters at most) to THREAD_GROUPS. */
    private static int threadGroup(String comm) {
        if (comm.startsWith("Camel")) {
            return 0;
        }
        if (comm.startsWith("GC ") || comm.startsWith("G1 ") || comm.startsWith("VM Periodic") || comm.equals("VM Thread")) {
            return 1;
        }
        if (comm.startsWith("C1 ") || comm.startsWith("C2 ")) {
            return 2;
        }
        if (comm.startsWith("JFR")) {
            return 3;
        }
        return 4;
    }

    /** The CPU ticks of every thread seen so far (an ended thread keeps its last count), by group. */
    private static long[] threadGroupTicks(long pid, Map<String, long[]> threads) {
        try (Stream<Path> tasks = Files.list(Paths.get("/proc/" + pid + "/task"))) {
            for (Path t : tasks.toList()) {
                try {
                    String s = Files.readString(t.resolve("stat"));
                    String comm = s.substring(s.indexOf('(') + 1, s.lastIndexOf(')'));
                    String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
                    threads.put(t.getFileName().toString(), new long[] {threadGroup(comm), Long.parseLong(f[11]), Long.parseLong(f[12])});
                } catch (IOException | RuntimeException e) {
                    // the thread ended
                }
            }
        } catch (IOException | UncheckedIOException e) {
            return null;
        }
        long[] out = new long[1 + THREAD_GROUPS.length + 2];
        out[0] = System.currentTimeMillis();
        for (long[] t : threads.values()) {
            out[1 + (int) t[0]] += t[1] + t[2];
            out[1 + THREAD_GROUPS.length] += t[1];
            out[2 + THREAD_GROUPS.length] += t[2];
        }
        return out;
    }

    /** The sample nearest to {@code ms}. */
    private static long[] sampleAt(List<long[]> samples, long ms) {
        long[] best = null;
        synchronized (samples) {
            for (long[] s : samples) {
                if (best == null || Math.abs(s[0] - ms) < Math.abs(best[0] - ms)) {
                    best = s;
                }
            }
        }
        return best;
    }

    /** [VmRSS kB, VmHWM kB] of a process, or null once it is gone. */
    static long[] memory(long pid) {
        try {
            long rss = -1;
            long hwm = -1;
            for (String l : Files.readAllLines(Paths.get("/proc/" + pid + "/status"))) {
                if (l.startsWith("VmRSS:")) {
                    rss = Long.parseLong(l.replaceAll("\\D+", ""));
                } else if (l.startsWith("VmHWM:")) {
                    hwm = Long.parseLong(l.replaceAll("\\D+", ""));
                }
            }
            return new long[] {rss, hwm};
        } catch (IOException | UncheckedIOException | NumberFormatException e) {
            return null;
        }
    }

    /** utime + stime of a process, in clock ticks, or -1. */
    static long cpuTicks(long pid) {
        try {
            String s = Files.readString(Paths.get("/proc/" + pid + "/stat"));
            String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /** Busy ticks of the whole machine (all cores) from /proc/stat. */
    static long machineBusyTicks() {
        try {
            for (String l : Files.readAllLines(Paths.get("/proc/stat"))) {
                if (l.startsWith("cpu ")) {
                    String[] f = l.trim().split("\\s+");
                    long busy = 0;
                    for (int i = 1; i < f.length && i <= 8; i++) {
                        if (i != 4 && i != 5) {
                            busy += Long.parseLong(f[i]);
                        }
                    }
                    return busy;
                }
            }
        } catch (IOException | RuntimeException e) {
            // below
        }
        return -1;
    }

    static long countCsv(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".csv")).count();
        }
    }
}
