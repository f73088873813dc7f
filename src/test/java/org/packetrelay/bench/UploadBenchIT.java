package org.packetrelay.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.apache.hc.client5.http.classic.methods.HttpPost;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManagerBuilder;
import org.apache.hc.core5.http.ContentType;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.http.io.entity.EntityUtils;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.packetrelay.upload.SpoolTranscoder;
import org.slf4j.LoggerFactory;

import com.sun.management.OperatingSystemMXBean;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The upload benchmark (`make bench`). Makes a spool of {@code bench.upload.records} records (default 1,000,000) in
 * {@code bench.upload.files} ready files (default 10) of realistic rows ({@link UploadSpool}); runs the packaged jar as
 * a separate process with the sender role only ({@code java -Xmx256m -jar packet-relay.jar}, as a user would) once per
 * {@code sender.parallel-batches} value of {@code bench.upload.parallel} (default 1,4,8) against a local sink, for
 * {@code bench.upload.passes} passes over the spool (default 2: a fresh JVM with the spool as backlog, then the same
 * records again under other file names on the now JIT-warm JVM); waits until every file is in processed/ and stops it
 * with SIGTERM ({@link UploadRelayRun}). Checks that the sink got every record of every pass exactly once (each
 * Idempotency-Key once, no bad request) and that every file is in processed/. Prints a table: records, seconds from the
 * sink's first request to its last response and from the start, records/s, CSV and JSON MB/s, peak RSS, requests, the
 * relay's CPU (in all, per record, by thread group). It asserts correctness only, never a timing.
 *
 * <p>For where the time goes it also measures: the sinks alone (a raw keep-alive socket client); camel-http alone in
 * this JVM (prepared bodies through a direct: route with ProducerTemplate.asyncSend); the hot path in
 * process on one thread without HTTP ({@link UploadProfile}: the commons-csv + Jackson path it replaced, then
 * {@link SpoolTranscoder} skipping and writing batches, checked byte for byte against Jackson); and a JFR
 * profile of one more jar run ({@link UploadJfr}; parallel 4, against the JDK sink, which also counts the records in
 * every body).
 *
 * <p>The sink of the timed runs is nginx when it is installed (Debian's nginx-light; one worker: it costs about a tenth
 * of the CPU of the JDK HttpServer, see "HTTP alone"), checking statuses, keys and that each body was read whole from
 * its access log; else the JDK HttpServer in this JVM ({@link UploadSink}).
 *
 * <p>With {@code bench.upload.baseline} (a folder holding an earlier build: its routes/ and target/packet-relay.jar; {@code
 * make bench} builds one from {@code UPLOAD_BASELINE}), each run of this build is followed by the same passes through that
 * build, and the ratios of records/s, CPU per record and peak RSS are printed pass by pass.
 *
 * <p>System properties: {@code bench.upload.records} (1000000), {@code bench.upload.files} (10),
 * {@code bench.upload.parallel} (1,4,8), {@code bench.upload.passes} (2), {@code bench.upload.jfr} (true),
 * {@code bench.upload.sink} (auto, nginx or jdk), {@code bench.upload.profile} (true: HTTP alone and the in-process
 * profile), {@code bench.upload.xmx} (256m), {@code bench.upload.jvm-args} (more JVM options for the jar; default as make run: ParallelGC,
 * space-separated), {@code bench.upload.timeout} (300 s per jar run), {@code bench.keep} (false: the spool and the
 * relays' logs/ are removed at the end; the report stays in target/bench-upload/report.txt).
 */
@Tag("bench")
class UploadBenchIT {
    private static final long RECORDS = Long.getLong("bench.upload.records", 1_000_000L);
    private static final int FILES = Integer.getInteger("bench.upload.files", 10);
    private static final String PARALLEL = System.getProperty("bench.upload.parallel", "1,4,8");
    private static final int PASSES = Integer.getInteger("bench.upload.passes", 2);
    private static final boolean JFR = Boolean.parseBoolean(System.getProperty("bench.upload.jfr", "true"));
    private static final String SINK = System.getProperty("bench.upload.sink", "auto");
    private static final boolean PROFILE = Boolean.parseBoolean(System.getProperty("bench.upload.profile", "true"));
    private static final String XMX = System.getProperty("bench.upload.xmx", "256m");
    private static final String JVM_ARGS = System.getProperty("bench.upload.jvm-args", "-XX:+UseParallelGC -XX:+ExitOnOutOfMemoryError");
    private static final long TIMEOUT = Long.getLong("bench.upload.timeout", 300L);
    private static final boolean KEEP = Boolean.getBoolean("bench.keep");
    /** A folder holding an earlier build (its target/packet-relay.jar and routes/) to run beside this one, pass by pass. */
    private static final String BASELINE = System.getProperty("bench.upload.baseline", "");
    private static final int BATCH = 500; // sender.batch-size's default

    private final StringBuilder report = new StringBuilder();
    private final List<String> failures = new ArrayList<>();

    @Test
    void uploadThroughputAndMemory() throws Exception {
        Path projectDir = Paths.get(System.getProperty("project.dir", ".")).toAbsolutePath().normalize();
        Path jar = Paths.get(System.getProperty("relay.jar", projectDir.resolve("target/packet-relay.jar").toString())).toAbsolutePath();
        assertTrue(Files.isRegularFile(jar), "the packaged jar " + jar + " (mvn package) is needed");
        Path base = projectDir.resolve("target/bench-upload");
        deleteTree(base);
        Files.createDirectories(base);
        // the in-process Camel contexts of "camel-http alone": no INFO lines in the report
        ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger("org.apache.camel")).setLevel(ch.qos.logback.classic.Level.WARN);

        // 1. the spool, made once: every run gets hard links to it (the relay moves the files)
        int rowsPerFile = (int) ((RECORDS + FILES - 1) / FILES);
        long total = (long) rowsPerFile * FILES;
        long t0 = System.nanoTime();
        List<Path> spool = new UploadSpool().write(base.resolve("spool"), FILES, rowsPerFile);
        long csvBytes = 0;
        for (Path p : spool) {
            csvBytes += Files.size(p);
        }
        line("Upload benchmark: %,d records in %d spool files of %,d rows, %.1f MB of CSV (%.0f bytes/row), made in %.1f s",
                total, FILES, rowsPerFile, csvBytes / 1e6, (double) csvBytes / total, secs(t0));
        line("machine: %d cores, %s %s, load average %s; MB = 10^6 bytes", Runtime.getRuntime().availableProcessors(),
                System.getProperty("java.vm.name"), System.getProperty("java.version"), loadAverage());
        Path nginx = SINK.equals("jdk") ? null : UploadNginx.binary();
        if (SINK.equals("nginx") && nginx == null) {
            fail("bench.upload.sink=nginx but no nginx found (apt-get install nginx-light)");
        }
        line("sink of the timed jar runs: %s", nginx != null
                ? "nginx (" + nginx + "), one worker; records counted from the Idempotency-Keys of its access log"
                : "the JDK HttpServer in this JVM (no nginx: apt-get install nginx-light for a sink that takes less CPU)");

        try (UploadSink jdk = new UploadSink(16)) {
            if (PROFILE) {
                // 2. the sinks alone and camel-http alone, with prepared bodies; 3. the hot path in process
                line("");
                httpAlone(jdk, nginx, base, spool.get(0));
                line("");
                new UploadProfile(this::raw, total).run(spool, csvBytes);
            }

            // 4. the packaged jar
            line("");
            List<String> jvmArgs = new ArrayList<>(List.of("-Xmx" + XMX));
            for (String a : JVM_ARGS.trim().split("\\s+")) {
                if (!a.isEmpty()) {
                    jvmArgs.add(a);
                }
            }
            line("The packaged jar: java %s -jar packet-relay.jar, relay.roles=sender, batch-size %d, poll-interval 1 s; %d pass(es) of %,d records",
                    String.join(" ", jvmArgs), BATCH, PASSES, total);
            line("  pass 0: a fresh JVM, the spool waiting when it starts (wall: from the JVM's start); pass 1+: the same records again under");
            line("  other names once the pass before is in processed/, on the warm JVM (wall: from the drop, so up to 1 s of polling included)");
            line("  s, rec/s, MB/s: from the sink's first request to its last response of the pass; CSV MB/s = spool bytes read, JSON = bodies posted");
            line("  RSS: max VmRSS sampled in the pass, VmHWM at its end; relay CPU in that window, per record and in cores; others: CPU of");
            line("  all other processes of the machine in the window (other work on the machine skews the times, not the CPU per record)");
            String head = "  %-9s %-4s %-5s %9s %6s %6s %9s %9s %5s %5s %7s %7s %8s %7s %6s %5s %5s %6s";
            line(head, "parallel", "pass", "sink", "records", "s", "s", "rec/s", "rec/s", "CSV", "JSON", "max RSS", "VmHWM", "requests",
                    "relay", "relay", "relay", "sink", "others");
            line(head, "batches", "", "", "", "", "wall", "", "wall", "MB/s", "MB/s", "MB", "MB", "", "CPU s", "us/rec", "cores", "CPU s", "CPU s");
            List<UploadRelayRun> runs = new ArrayList<>();
            Path baseline = BASELINE.isBlank() ? null : Paths.get(BASELINE).toAbsolutePath();
            for (String p : PARALLEL.split(",")) {
                if (p.isBlank()) {
                    continue;
                }
                int parallel = Integer.parseInt(p.trim());
                UploadRelayRun.Sink sink = nginx != null ? nginxSink(nginx, base.resolve("nginx-p" + parallel)) : jdkSink(jdk);
                UploadRelayRun r = UploadRelayRun.run(jar, projectDir, base.resolve("relay-p" + parallel), spool, sink, parallel, false,
                        PASSES, jvmArgs, TIMEOUT);
                runs.add(r);
                printRun(r, csvBytes, total);
                if (baseline != null) {
                    // the same passes through the earlier build, right after: its figures beside these, and the ratios
                    UploadRelayRun.Sink bsink = nginx != null ? nginxSink(nginx, base.resolve("nginx-b" + parallel)) : jdkSink(jdk);
                    UploadRelayRun b = UploadRelayRun.run(baseline.resolve("target/packet-relay.jar"), baseline,
                            base.resolve("baseline-p" + parallel), spool, bsink, parallel, false, PASSES, jvmArgs, TIMEOUT);
                    b.label = "baseline";
                    runs.add(b);
                    printRun(b, csvBytes, total);
                    for (int i = 0; i < Math.min(r.passes.size(), b.passes.size()); i++) {
                        UploadRelayRun.Pass x = r.passes.get(i);
                        UploadRelayRun.Pass y = b.passes.get(i);
                        line("  %-9s %-4d this/baseline: records/s %.2f, relay CPU per record %.2f, peak RSS (VmHWM) %.2f", parallel, i,
                                (x.sink.records() / x.sink.seconds()) / (y.sink.records() / y.sink.seconds()),
                                (x.relayCpu / Math.max(1, x.sink.records())) / (y.relayCpu / Math.max(1, y.sink.records())),
                                (double) x.hwmKbAtDone / y.hwmKbAtDone);
                    }
                }
            }
            UploadRelayRun profiled = null;
            if (JFR) {
                profiled = UploadRelayRun.run(jar, projectDir, base.resolve("relay-p4-jfr"), spool, jdkSink(jdk), 4, true, PASSES, jvmArgs,
                        TIMEOUT);
                runs.add(profiled);
                printRun(profiled, csvBytes, total);
                line("  (+JFR: a profiling run against the JDK sink, which also counted the records inside every body: %s)",
                        profiled.passes.stream().map(x -> String.format(Locale.ROOT, "%,d", x.sink.bodyRecords())).toList());
            }
            line("");
            line("  the relay's CPU seconds in each pass's window by thread (/proc/<pid>/task every 200 ms): Camel = Camel's threads (this");
            line("  build: the upload split's pool, which reads the file (CSV -> JSON) and posts; the baseline: the file consumer and the");
            line("  ProducerTemplate threads); GC = the collector's threads; JIT = the C1/C2 compilers");
            String th = "  %-9s %-4s %7s %8s %8s %8s %8s %8s %8s %8s";
            line(th, "parallel", "pass", "window s", "user", "system", "Camel", "GC", "JIT", "JFR", "other");
            for (UploadRelayRun r : runs) {
                for (UploadRelayRun.Pass x : r.passes) {
                    double[] g = x.byGroup;
                    if (g != null) {
                        int n = UploadRelayRun.THREAD_GROUPS.length;
                        line("  %-9s %-4d %7.2f %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f %8.2f", r.parallel + (r.jfr ? " +JFR" : "") + (r.label.isEmpty() ? "" : " " + r.label), x.index, g[0],
                                g[1 + n], g[2 + n], g[1], g[2], g[3], g[4], g[5]);
                    }
                }
            }
            if (profiled != null && !profiled.passes.isEmpty()) {
                UploadRelayRun.Pass last = profiled.passes.get(profiled.passes.size() - 1);
                line("");
                line("Pass %d of the +JFR run:", last.index);
                UploadJfr.summarize(profiled.workDir.resolve("relay.jfr"), last.sink.firstMs(), last.sink.lastMs(), total, this::raw);
            }
            line("");
            line("load average at the end: %s; whole benchmark %.0f s", loadAverage(), secs(t0));
        } finally {
            Files.writeString(base.resolve("report.txt"), report.toString(), StandardCharsets.UTF_8);
            if (!KEEP) {
                deleteTree(base.resolve("spool"));
                try (Stream<Path> s = Files.list(base)) {
                    for (Path p : s.filter(x -> x.getFileName().toString().startsWith("relay-")).toList()) {
                        deleteTree(p.resolve("logs"));
                    }
                }
            }
        }
        if (!failures.isEmpty()) {
            fail(failures.size() + " check(s) failed:\n  " + String.join("\n  ", failures));
        }
    }

    // ------------------------------------------------------------------------------------------------ jar runs

    private void printRun(UploadRelayRun r, long csvBytes, long total) {
        for (UploadRelayRun.Pass x : r.passes) {
            UploadSinkLog.Result k = x.sink;
            double s = k.seconds();
            double others = x.machineCpu - x.relayCpu - k.cpuSeconds();
            line("  %-9s %-4d %-5s %,9d %6.2f %6.2f %,9.0f %,9.0f %5.1f %5.1f %7.0f %7.0f %,8d %7.1f %6.2f %5.2f %5.1f %6.1f",
                    r.parallel + (r.jfr ? " +JFR" : "") + (r.label.isEmpty() ? "" : " " + r.label), x.index, r.sinkName, k.records(), s, x.wallSeconds(), k.records() / s,
                    k.records() / x.wallSeconds(), csvBytes / s / 1e6, k.bodyBytes() / s / 1e6, x.maxRssKb / 1024.0, x.hwmKbAtDone / 1024.0,
                    k.requests(), x.relayCpu, x.relayCpu * 1e6 / Math.max(1, k.records()), x.relayCpu / s, k.cpuSeconds(), Math.max(0, others));
            checkSink(k, "parallel " + r.parallel + (r.jfr ? " (JFR)" : "") + " pass " + x.index, total, k.requests());
        }
        if (r.error != null || r.exit != 143 && r.exit != 0) {
            line("            ^ exit %d%s", r.exit, r.error == null ? "" : ": " + r.error);
        }
        String w = "parallel " + r.parallel + (r.jfr ? " (JFR)" : "");
        check(r.error == null, w + ": " + r.error + "; log: " + tail(r.workDir.resolve("stdout.log")) + tail(r.workDir.resolve("stderr.log")));
        check(r.passes.size() == PASSES, w + ": " + r.passes.size() + " passes, expected " + PASSES);
        check(r.processed == (long) PASSES * FILES && r.failedFiles == 0 && r.pendingLeft == 0,
                w + ": " + r.processed + " files in processed/, " + r.failedFiles + " in failed_uploads/, " + r.pendingLeft
                + " left in pending_upload/, expected " + (long) PASSES * FILES + ", 0, 0");
    }

    private void checkSink(UploadSinkLog.Result r, String what, long records, long requests) {
        check(r.problems().isEmpty(), what + ": " + r.problems().size() + " bad requests, e.g. " + first(r.problems()));
        check(r.records() == records && (r.bodyRecords() < 0 || r.bodyRecords() == records),
                what + ": the sink got " + r.records() + " records by key, " + r.bodyRecords() + " in bodies, expected " + records);
        check(r.requests() == requests && r.repeatedKeys() == 0 && r.distinctKeys() == requests,
                what + ": " + r.requests() + " requests, " + r.distinctKeys() + " keys, " + r.repeatedKeys() + " posted again, expected "
                + requests + ", " + requests + ", 0");
    }

    private static UploadRelayRun.Sink jdkSink(UploadSink s) {
        s.reset();
        long cpu0 = processCpuNanos();
        return new UploadRelayRun.Sink() {
            public String name() {
                return "JDK";
            }

            public String url() {
                return s.url();
            }

            public double cpuSeconds() {
                return (processCpuNanos() - cpu0) / 1e9;
            }

            public List<UploadSinkLog.Req> finish() {
                return s.requests();
            }
        };
    }

    private static UploadRelayRun.Sink nginxSink(Path nginx, Path dir) throws Exception {
        UploadNginx n = new UploadNginx(nginx, dir);
        return new UploadRelayRun.Sink() {
            public String name() {
                return "nginx";
            }

            public String url() {
                return n.url();
            }

            public double cpuSeconds() {
                return n.cpuSeconds();
            }

            public List<UploadSinkLog.Req> finish() throws Exception {
                return n.stop();
            }
        };
    }

    // ------------------------------------------------------------------------------------------------ HTTP alone

    private void httpAlone(UploadSink jdk, Path nginx, Path base, Path firstFile) throws Exception {
        byte[] body = firstBatchJson(firstFile, BATCH);
        line("HTTP alone: prepared bodies of %d records (%,d bytes, %.0f bytes/record), keep-alive; CPU s: this JVM + nginx (this JVM)",
                BATCH, body.length, body.length / (double) BATCH);
        String fmt = "  %-56s %,6d requests in %5.2f s = %,6.0f req/s, %,10.0f records/s, %5.0f MB/s, %4.1f CPU s%s";
        for (boolean useNginx : nginx != null ? new boolean[] {false, true} : new boolean[] {false}) {
            for (int conns : new int[] {1, 4}) {
                int reqs = useNginx ? 2000 : 1000;
                UploadRelayRun.Sink warm = useNginx ? nginxSink(nginx, base.resolve("nginx-warm")) : jdkSink(jdk);
                UploadSink.hammer("127.0.0.1", port(warm.url()), body, BATCH, conns, 400);
                warm.finish();
                UploadRelayRun.Sink sink = useNginx ? nginxSink(nginx, base.resolve("nginx-raw-" + conns)) : jdkSink(jdk);
                long cpu0 = processCpuNanos();
                double s = UploadSink.hammer("127.0.0.1", port(sink.url()), body, BATCH, conns, reqs);
                double cpu = (processCpuNanos() - cpu0) / 1e9;
                double sinkCpu = useNginx ? sink.cpuSeconds() : 0;
                UploadSinkLog.Result r = UploadSinkLog.summarize(sink.finish(), k -> true, sinkCpu);
                checkSink(r, sink.name() + " alone", (long) reqs * BATCH, reqs);
                line(fmt, sink.name() + " alone, raw socket client, " + conns + " connection" + (conns > 1 ? "s" : ""), reqs, s, reqs / s,
                        reqs * (double) BATCH / s, reqs * (double) body.length / s / 1e6, cpu + sinkCpu,
                        useNginx ? String.format(Locale.ROOT, " (%.1f)", cpu) : "");
            }
        }
        if (nginx != null) {
            // Apache HttpClient 5 (the client inside camel-http) without Camel: what Camel's exchange and route add
            for (int threads : new int[] {1, 4}) {
                int reqs = 2000;
                UploadRelayRun.Sink warm = nginxSink(nginx, base.resolve("nginx-warm"));
                httpClientAlone(warm.url(), body, BATCH, threads, 400, "warm");
                warm.finish();
                UploadRelayRun.Sink sink = nginxSink(nginx, base.resolve("nginx-hc-" + threads));
                long cpu0 = processCpuNanos();
                double s = httpClientAlone(sink.url(), body, BATCH, threads, reqs, "bench");
                double cpu = (processCpuNanos() - cpu0) / 1e9;
                double sinkCpu = sink.cpuSeconds();
                UploadSinkLog.Result r = UploadSinkLog.summarize(sink.finish(), k -> true, sinkCpu);
                checkSink(r, "HttpClient alone", (long) reqs * BATCH, reqs);
                line(fmt, "HttpClient 5 classic to nginx, " + threads + " thread" + (threads > 1 ? "s" : "") + ", " + BATCH + " rec/request",
                        reqs, s, reqs / s, reqs * (double) BATCH / s, reqs * (double) body.length / s / 1e6, cpu + sinkCpu,
                        String.format(Locale.ROOT, " (%.1f)", cpu));
            }
        }
        List<int[]> cases = new ArrayList<>(List.of(new int[] {1, BATCH, 2000}, new int[] {4, BATCH, 2000}, new int[] {8, BATCH, 2000}));
        cases.add(new int[] {4, BATCH * 4, 500}); // per request or per byte? the same records in bodies 4 times as large
        for (int[] c : cases) {
            int window = c[0];
            int records = c[1];
            int reqs = c[2];
            byte[] b = records == BATCH ? body : firstBatchJson(firstFile, records);
            UploadRelayRun.Sink warm = nginx != null ? nginxSink(nginx, base.resolve("nginx-warm")) : jdkSink(jdk);
            camelHttpAlone(warm.url(), b, records, window, 400, "warm");
            warm.finish();
            UploadRelayRun.Sink sink = nginx != null ? nginxSink(nginx, base.resolve("nginx-camel-" + window + "-" + records)) : jdkSink(jdk);
            long cpu0 = processCpuNanos();
            double s = camelHttpAlone(sink.url(), b, records, window, reqs, "bench");
            double cpu = (processCpuNanos() - cpu0) / 1e9;
            double sinkCpu = nginx != null ? sink.cpuSeconds() : 0;
            UploadSinkLog.Result r = UploadSinkLog.summarize(sink.finish(), k -> true, sinkCpu);
            checkSink(r, "camel-http alone", (long) reqs * records, reqs);
            line(fmt, "camel-http to " + sink.name() + ", asyncSend, window " + window + ", " + records + " rec/request", reqs, s, reqs / s,
                    reqs * (double) records / s, reqs * (double) b.length / s / 1e6, cpu + sinkCpu,
                    nginx != null ? String.format(Locale.ROOT, " (%.1f)", cpu) : "");
        }
    }

    private static int port(String url) {
        return Integer.parseInt(url.replaceAll("^http://[^:]+:(\\d+)/.*$", "$1"));
    }

    private static byte[] firstBatchJson(Path file, int n) throws Exception {
        SpoolTranscoder.Output out = new SpoolTranscoder.Output(1024 * n);
        out.put((byte) '[');
        try (SpoolTranscoder t = new SpoolTranscoder(file)) {
            for (int k = 0; k < n; k++) {
                int mark = out.size();
                if (k > 0) {
                    out.put((byte) ',');
                }
                if (!t.next(out)) {
                    out.truncate(mark);
                    break;
                }
            }
        }
        out.put((byte) ']');
        return out.toByteArray();
    }

    /** Apache HttpClient 5 classic, pooled keep-alive connections, {@code threads} threads POSTing {@code body}. */
    private static double httpClientAlone(String url, byte[] body, int records, int threads, int requests, String tag) throws Exception {
        var cm = PoolingHttpClientConnectionManagerBuilder.create()
                .setMaxConnTotal(threads).setMaxConnPerRoute(threads).build();
        try (var client = HttpClients.custom().setConnectionManager(cm).build()) {
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            AtomicInteger next = new AtomicInteger();
            long t0 = System.nanoTime();
            List<Future<?>> fs = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                fs.add(pool.submit(() -> {
                    int i;
                    while ((i = next.getAndIncrement()) < requests) {
                        var post = new HttpPost(url);
                        post.setHeader("Idempotency-Key", "hc-" + tag + ":" + i + "+" + records);
                        post.setEntity(new ByteArrayEntity(body,
                                ContentType.create("application/json")));
                        int code = client.execute(post, response -> {
                            EntityUtils.consume(response.getEntity());
                            return response.getCode();
                        });
                        if (code != 200) {
                            throw new IOException("HTTP " + code);
                        }
                    }
                    return null;
                }));
            }
            for (var f : fs) {
                f.get();
            }
            double s = (System.nanoTime() - t0) / 1e9;
            pool.shutdown();
            return s;
        }
    }

    /** camel-http in this JVM: {@code requests} POSTs of {@code body}, up to {@code window} in flight. */
    private static double camelHttpAlone(String url, byte[] body, int records, int window, int requests, String tag) throws Exception {
        try (CamelContext ctx = new DefaultCamelContext()) {
            ctx.addRoutes(new RouteBuilder() {
                @Override
                public void configure() {
                    from("direct:post").to(url + "?httpMethod=POST&throwExceptionOnFailure=true&skipResponseHeaders=false");
                }
            });
            ctx.start();
            ProducerTemplate t = ctx.createProducerTemplate();
            ArrayDeque<CompletableFuture<Exchange>> inFlight = new ArrayDeque<>();
            long t0 = System.nanoTime();
            for (int i = 0; i < requests; i++) {
                Exchange ex = new DefaultExchange(ctx);
                ex.getIn().setBody(body);
                ex.getIn().setHeader(Exchange.HTTP_METHOD, "POST");
                ex.getIn().setHeader(Exchange.CONTENT_TYPE, "application/json");
                ex.getIn().setHeader("Idempotency-Key", "camel-" + tag + ":" + i + "+" + records);
                inFlight.add(t.asyncSend("direct:post", ex));
                while (inFlight.size() >= window) {
                    Exchange done = inFlight.poll().join();
                    if (done.getException() != null) {
                        throw done.getException();
                    }
                }
            }
            while (!inFlight.isEmpty()) {
                Exchange done = inFlight.poll().join();
                if (done.getException() != null) {
                    throw done.getException();
                }
            }
            double s = (System.nanoTime() - t0) / 1e9;
            t.stop();
            return s;
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private void line(String fmt, Object... args) {
        raw(args.length == 0 ? fmt : String.format(Locale.ROOT, fmt, args));
    }

    private void raw(String s) {
        report.append(s).append('\n');
        System.out.println(s);
    }

    private void check(boolean ok, String what) {
        if (!ok) {
            failures.add(what);
            line("CHECK FAILED: %s", what);
        }
    }

    private static String first(List<String> l) {
        return l.isEmpty() ? "" : l.get(0);
    }

    private static double secs(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    private static long processCpuNanos() {
        return ((OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean()).getProcessCpuTime();
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Paths.get("/proc/loadavg")).trim().split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }

    private static String tail(Path f) {
        try {
            String s = Files.readString(f, StandardCharsets.UTF_8);
            return s.substring(Math.max(0, s.length() - 2000));
        } catch (IOException e) {
            return "";
        }
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path x : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(x);
            }
        }
    }
}
