package org.packetrelay.soak;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.packetrelay.bench.BenchTraffic;
import org.packetrelay.bench.LoopbackCapture;
import org.packetrelay.bench.PcapFileWriter;
import org.packetrelay.testing.RelayProcess;
import org.packetrelay.testing.Traffic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Soak under load ({@code make soak}; not part of {@code make test}): the jar with all roles in one process captures
 * loopback traffic that tcpreplay replays at {@code soak.pps} packets/s for {@code soak.minutes}, while the
 * {@code receiver} route is stopped and started several times over JMX. The replayed packets carry a destination
 * MAC of their own ({@link #MARK}): the relay's BPF filter selects them and nothing else, and the kernel drops them
 * after capture (not addressed to this host), so nothing answers them. At the end, with the capture stopped and
 * the spool drained: every packet libpcap delivered is in the database exactly once, RSS stayed under
 * {@link #RSS_BOUND_MIB} MiB, and open fds and threads did not grow beyond their level after warm-up.
 */
@Tag("soak")
class SoakIT {
    static final String MARK = "02:50:4b:53:4f:4b";
    static final byte[] MARK_BYTES = {0x02, 0x50, 0x4b, 0x53, 0x4f, 0x4b};
    static final int RECEIVER_PORT = freePort();
    static final int MANAGEMENT_PORT = freePort();
    static final int JMX_PORT = freePort();
    static final long RSS_BOUND_MIB = 512;
    static final int FD_SLACK = 10;
    static final int THREAD_SLACK = 5;
    static final List<String> JVM_ARGS = List.of("-Xmx256m", "-XX:+UseParallelGC", "-XX:+ExitOnOutOfMemoryError",
            "-Dcom.sun.management.jmxremote.port=" + JMX_PORT, "-Dcom.sun.management.jmxremote.rmi.port=" + JMX_PORT,
            "-Dcom.sun.management.jmxremote.host=127.0.0.1", "-Djava.rmi.server.hostname=127.0.0.1",
            "-Dcom.sun.management.jmxremote.authenticate=false", "-Dcom.sun.management.jmxremote.ssl=false");

    /** One /proc sample of the relay. */
    record Sample(long atMillis, long rssKb, long hwmKb, int fds, int threads) {
    }

    /** One receiver outage: when it began (s into the replay) and how long the route was stopped. */
    record Outage(double atSeconds, double seconds) {
    }

    private final List<Sample> samples = new CopyOnWriteArrayList<>();
    private final List<Outage> outages = new ArrayList<>();

    @Test
    void exactlyOnceAndBoundedUnderLoadWithReceiverOutages() throws Exception {
        double minutes = Double.parseDouble(System.getProperty("soak.minutes", "10"));
        int pps = Integer.parseInt(System.getProperty("soak.pps", "12000"));
        int seconds = (int) Math.round(minutes * 60);
        Path dir = RelayProcess.newWorkDir("soak");
        Path pcap = dir.resolve("soak.pcap");
        int distinct = writeTrafficPcap(pcap);

        Map<String, String> settings = new HashMap<>();
        settings.put("sniffer.interfaces", "lo");
        settings.put("sniffer.filter", "ether dst " + MARK);
        settings.put("sniffer.save-interval", "5");
        settings.put("receiver.port", String.valueOf(RECEIVER_PORT));
        settings.put("sender.url", "http://127.0.0.1:" + RECEIVER_PORT + "/ingest_packets");
        settings.put("camel.management.port", String.valueOf(MANAGEMENT_PORT));
        // retries give up within an outage (2 + 4 s): files go to failed_uploads/ and resume from there every 10 s
        settings.put("sender.retry-delay", "2");
        settings.put("sender.max-retries", "2");
        settings.put("sender.failed-retry-interval", "10");
        settings.put("relay.summary-interval", "30");
        long started = System.currentTimeMillis();
        try (RelayProcess relay = RelayProcess.start(dir, settings, JVM_ARGS, List.of())) {
            relay.awaitLog("Capturing on lo", 60);
            Thread sampler = new Thread(() -> sample(relay.pid()), "soak-sampler");
            sampler.setDaemon(true);
            sampler.start();
            String replay;
            String captureStopped;
            long warmupEnd;
            Map<String, Double> metrics;
            JMXServiceURL url = new JMXServiceURL("service:jmx:rmi:///jndi/rmi://127.0.0.1:" + JMX_PORT + "/jmxrmi");
            try (JMXConnector jmx = JMXConnectorFactory.connect(url)) {
                MBeanServerConnection mbs = jmx.getMBeanServerConnection();
                ObjectName receiver = route(mbs, "receiver");
                ObjectName capture = route(mbs, "capture");

                // replay for the duration while the receiver goes away and comes back
                Process tcpreplay = new ProcessBuilder("tcpreplay", "--intf1=lo", "--pps=" + pps, "--loop=0",
                        "--duration=" + seconds, pcap.toString())
                        .redirectErrorStream(true).redirectOutput(dir.resolve("tcpreplay.log").toFile()).start();
                long t0 = System.currentTimeMillis();
                int n = Math.max(2, Math.min(6, seconds / 90));
                int[] lengths = {10, 15, 20};
                warmupEnd = 0;
                for (int i = 0; i < n; i++) {
                    long at = t0 + (long) (i + 1) * seconds * 1000 / (n + 1);
                    sleepUntil(at, tcpreplay);
                    if (!tcpreplay.isAlive()) {
                        break;
                    }
                    long down = System.currentTimeMillis();
                    mbs.invoke(receiver, "stop", null, null);
                    Thread.sleep(lengths[i % lengths.length] * 1000L);
                    mbs.invoke(receiver, "start", null, null);
                    long up = System.currentTimeMillis();
                    assertEquals("Started", mbs.getAttribute(receiver, "State"));
                    outages.add(new Outage((down - t0) / 1000.0, (up - down) / 1000.0));
                    if (i == 0) {
                        warmupEnd = up + 15_000; // thread pools a failure or a retry needs exist by then
                    }
                }
                assertTrue(tcpreplay.waitFor(seconds + 120L, TimeUnit.SECONDS), "tcpreplay did not end");
                replay = Files.readString(dir.resolve("tcpreplay.log"));
                assertEquals(0, tcpreplay.exitValue(), "tcpreplay failed: " + replay);
                Thread.sleep(2000);
                // stop the capture: the last packets are spooled and "Capture stopped: captured=..." is logged
                mbs.invoke(capture, "stop", null, null);
                relay.awaitLog("Capture stopped:", 60);
                captureStopped = line(relay.out(), "Capture stopped:");
                awaitDrained(dir.resolve("logs"), relay, 600 + seconds);
                Thread.sleep(5000); // idle: what is still open now stays open
                metrics = metrics();
            }
            Sample end = probe(relay.pid());
            int code = relay.term(120);
            assertTrue(code == 0 || code == 143, "exit " + code + ": " + relay.tail());
            long elapsed = System.currentTimeMillis() - started;

            long sent = number(replay, "Successful packets:\\s+(\\d+)");
            long captured = number(captureStopped, "captured=(\\d+)");
            long kernelDrops = number(captureStopped, "droppedByKernel=(\\d+)");
            long ifDrops = number(captureStopped, "droppedByInterface=(\\d+)");
            long spoolDrops = number(captureStopped, "droppedSpoolFull=(\\d+)");
            long[] db = database(dir.resolve("logs/ingest"));
            long warmEnd = warmupEnd;
            List<Sample> warm = samples.stream().filter(s -> s.atMillis() <= warmEnd).toList();
            int warmFds = warm.stream().mapToInt(Sample::fds).max().orElse(0);
            int warmThreads = warm.stream().mapToInt(Sample::threads).max().orElse(0);
            int startFds = samples.get(0).fds();
            int startThreads = samples.get(0).threads();
            long rssMin = samples.stream().mapToLong(Sample::rssKb).min().orElse(0);
            long rssMax = samples.stream().mapToLong(Sample::rssKb).max().orElse(0);
            long hwm = Math.max(end.hwmKb(), samples.stream().mapToLong(Sample::hwmKb).max().orElse(0));

            StringBuilder t = new StringBuilder("\npacket-relay soak figures\n");
            row(t, "load", String.format(Locale.ROOT, "%d s of tcpreplay at %d packets/s on lo (%d distinct packets looped), %d cores, load average at end %s",
                    seconds, pps, distinct, Runtime.getRuntime().availableProcessors(), loadAverage()));
            row(t, "packets sent (tcpreplay)", String.valueOf(sent));
            row(t, "packets captured (libpcap)", captured + "  (dropped by kernel " + kernelDrops + ", by interface " + ifDrops
                                                  + ", spool full " + spoolDrops + ")");
            row(t, "rows stored (database)", db[0] + "  (distinct packets " + db[1] + ", rows in ingest_batches " + db[2]
                                              + ", batches " + db[3] + ")");
            StringBuilder o = new StringBuilder();
            for (Outage x : outages) {
                o.append(String.format(Locale.ROOT, "%s%.1f s at %.0f s", o.length() == 0 ? "" : ", ", x.seconds(), x.atSeconds()));
            }
            row(t, "receiver outages", outages.size() + ": " + o);
            row(t, "failed upload attempts", String.format(Locale.ROOT, "%.0f batches retried, %.0f files to failed_uploads, %.0f files uploaded",
                    metrics.getOrDefault("packet_relay_batches_retried_total", -1.0),
                    metrics.getOrDefault("packet_relay_files_failed_total", -1.0),
                    metrics.getOrDefault("packet_relay_files_processed_total", -1.0)));
            row(t, "RSS", String.format(Locale.ROOT, "min %.0f MiB, max %.0f MiB, peak (VmHWM) %.0f MiB; bound %d MiB",
                    rssMin / 1024.0, rssMax / 1024.0, hwm / 1024.0, RSS_BOUND_MIB));
            row(t, "open fds", "start " + startFds + ", after warm-up (max) " + warmFds + ", end " + end.fds());
            row(t, "threads", "start " + startThreads + ", after warm-up (max) " + warmThreads + ", end " + end.threads());
            row(t, "duration", String.format(Locale.ROOT, "%.1f min (start to exit, %d samples)", elapsed / 60_000.0, samples.size()));
            System.out.println(t);
            Files.createDirectories(RelayProcess.projectDir().resolve("target/soak"));
            Files.writeString(RelayProcess.projectDir().resolve("target/soak/figures.txt"), t.toString());

            assertTrue(captured > 0, "nothing captured: " + relay.tail());
            assertEquals(sent, captured + kernelDrops + ifDrops, "libpcap saw every packet tcpreplay sent (captured + dropped)");
            assertTrue(metrics.getOrDefault("packet_relay_batches_retried_total", 0.0) > 0, "the sender saw the outages");
            assertEquals(0, spoolDrops, "no packet dropped for a full spool");
            assertEquals(captured, db[0], "every packet libpcap delivered is stored");
            assertEquals(db[0], db[1], "no packet is stored twice");
            assertEquals(db[0], db[2], "the batches' record counts add up to the rows");
            assertTrue(hwm < RSS_BOUND_MIB * 1024, "peak RSS " + hwm / 1024 + " MiB");
            assertTrue(end.fds() <= warmFds + FD_SLACK, "open fds grew: " + warmFds + " after warm-up, " + end.fds() + " at the end");
            assertTrue(end.threads() <= warmThreads + THREAD_SLACK,
                    "threads grew: " + warmThreads + " after warm-up, " + end.threads() + " at the end");
        }
    }

    /** Our own loopback traffic, captured, its destination MAC set to {@link #MARK}; returns how many packets. */
    private static int writeTrafficPcap(Path pcap) throws Exception {
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
        assertEquals(1, dlt, "lo is Ethernet (DLT_EN10MB) here");
        assertTrue(captured.size() >= 1000, "captured only " + captured.size() + " packets of our traffic on lo");
        List<LoopbackCapture.Packet> marked = new ArrayList<>();
        for (LoopbackCapture.Packet p : captured) {
            byte[] d = p.data().clone();
            System.arraycopy(MARK_BYTES, 0, d, 0, 6);
            marked.add(new LoopbackCapture.Packet(d, p.epochNanos(), p.originalLength()));
        }
        PcapFileWriter.write(pcap, dlt, marked, marked.size());
        return marked.size();
    }

    private void sample(long pid) {
        while (true) {
            try {
                samples.add(probe(pid));
                Thread.sleep(2000);
            } catch (IOException | RuntimeException e) {
                return; // the process is gone
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static Sample probe(long pid) throws IOException {
        String status = Files.readString(Path.of("/proc/" + pid + "/status"));
        int fds;
        try (Stream<Path> s = Files.list(Path.of("/proc/" + pid + "/fd"))) {
            fds = (int) s.count();
        }
        return new Sample(System.currentTimeMillis(), number(status, "VmRSS:\\s+(\\d+)"), number(status, "VmHWM:\\s+(\\d+)"),
                fds, (int) number(status, "Threads:\\s+(\\d+)"));
    }

    private static ObjectName route(MBeanServerConnection mbs, String id) throws Exception {
        for (ObjectName on : mbs.queryNames(new ObjectName("org.apache.camel:type=routes,*"), null)) {
            if (id.equals(mbs.getAttribute(on, "RouteId"))) {
                return on;
            }
        }
        throw new AssertionError("no route " + id + " over JMX");
    }

    /** Until pending_upload/ and failed_uploads/ hold no file; a permanent failure (.error) fails at once. */
    private static void awaitDrained(Path logs, RelayProcess relay, long seconds) throws Exception {
        long end = System.currentTimeMillis() + seconds * 1000;
        while (true) {
            List<Path> left = new ArrayList<>();
            for (String d : List.of("pending_upload", "failed_uploads")) {
                Path p = logs.resolve(d);
                if (Files.isDirectory(p)) {
                    try (Stream<Path> s = Files.list(p)) {
                        s.filter(Files::isRegularFile).forEach(left::add);
                    }
                }
            }
            for (Path p : left) {
                if (p.toString().endsWith(".error")) {
                    throw new AssertionError("permanent upload failure " + p + ": " + Files.readString(p));
                }
            }
            if (left.isEmpty()) {
                return;
            }
            assertTrue(relay.isAlive(), "relay exited: " + relay.tail());
            assertTrue(System.currentTimeMillis() < end, "spool not drained within " + seconds + " s: " + left);
            Thread.sleep(1000);
        }
    }

    private static Map<String, Double> metrics() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                URI.create("http://127.0.0.1:" + MANAGEMENT_PORT + "/observe/metrics")).build(), HttpResponse.BodyHandlers.ofString());
        Map<String, Double> m = new HashMap<>();
        for (String l : r.body().split("\n")) {
            String[] kv = l.split(" ");
            if (l.startsWith("packet_relay_") && kv.length == 2) {
                m.put(kv[0], Double.parseDouble(kv[1]));
            }
        }
        return m;
    }

    /** Rows, distinct packets, sum of ingest_batches.records, batches: read-only, after the relay exited. */
    private static long[] database(Path h2) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:h2:file:" + h2.toAbsolutePath() + ";ACCESS_MODE_DATA=r");
             Statement st = c.createStatement()) {
            long[] r = new long[4];
            r[0] = single(st, "SELECT COUNT(*) FROM packets");
            // a packet: its capture time and what it carries; a packet stored twice (under any key) repeats all of it
            r[1] = single(st, "SELECT COUNT(*) FROM (SELECT DISTINCT \"timestamp\", \"length\", \"src_ip\", \"dst_ip\", \"protocol\","
                              + " \"src_port\", \"dst_port\", \"seq\", \"ack\", \"tcp_flags\", \"payload_length\", \"community_id\" FROM packets)");
            r[2] = single(st, "SELECT COALESCE(SUM(records), 0) FROM ingest_batches");
            r[3] = single(st, "SELECT COUNT(*) FROM ingest_batches");
            return r;
        }
    }

    private static long single(Statement st, String sql) throws Exception {
        try (ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void sleepUntil(long at, Process p) throws InterruptedException {
        while (System.currentTimeMillis() < at && p.isAlive()) {
            Thread.sleep(Math.min(500, Math.max(1, at - System.currentTimeMillis())));
        }
    }

    private static String line(String text, String start) {
        return text.lines().filter(l -> l.contains(start)).reduce((a, b) -> b).orElseThrow();
    }

    private static long number(String text, String regex) {
        Matcher m = Pattern.compile(regex).matcher(text);
        if (!m.find()) {
            throw new AssertionError("no " + regex + " in: " + text);
        }
        return Long.parseLong(m.group(1));
    }

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg"), StandardCharsets.US_ASCII).trim().split(" ", 4)[0];
        } catch (IOException e) {
            return "n/a";
        }
    }

    private static int freePort() {
        try {
            return Traffic.freePort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static void row(StringBuilder t, String what, String value) {
        t.append(String.format(Locale.ROOT, "  %-28s %s%n", what, value));
    }
}
