package org.packetrelay.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.packetrelay.testing.DebPackage;
import org.packetrelay.testing.RelayProcess;
import org.packetrelay.testing.Traffic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Memory of the Debian package's launcher (`make bench`): peak RSS of the sender alone uploading a backlog of
 * {@code bench.package.records} records (default 2,400,000) to a sink, beside the same upload by {@code java -jar}
 * without -Xmx (the README's old two-process recipe) in the same run; and of all roles in one process through the
 * launcher, replaying a capture of {@code bench.package.packets} packets (default 1,000,000) into the spool, uploading
 * and storing them in the embedded receiver's H2 database. The launcher runs from the unpacked package as root and
 * drops to nobody, as it does for root on a host. RSS is VmRSS sampled every 50 ms and VmHWM at the end. Asserts
 * only that every record arrived.
 */
@Tag("bench")
class PackageMemoryBenchIT {
    private static final long RECORDS = Long.getLong("bench.package.records", 2_400_000L);
    private static final long PACKETS = Long.getLong("bench.package.packets", 1_000_000L);
    private static final int FILES = 24;
    private final StringBuilder report = new StringBuilder();

    /** One run's figures. */
    private record Figures(String what, long records, double seconds, long maxRssKb, long hwmKb) {
    }

    @Test
    void packagedJvmOptionsKeepTheSenderAndAllRolesBounded() throws Exception {
        Path base = RelayProcess.projectDir().resolve("target/bench-package");
        DebPackage.run(RelayProcess.projectDir(), "rm", "-rf", base.toString());
        Files.createDirectories(base);
        Path deb = DebPackage.build();
        Path root = base.resolve("root");
        DebPackage.run(base, "dpkg-deb", "-x", deb.toString(), root.toString());
        String launcher = root.resolve("usr/bin/packet-relay").toString();
        String options = DebPackage.environmentFile(root.resolve("etc/default/packet-relay")).get("JAVA_OPTS");
        int rows = (int) ((RECORDS + FILES - 1) / FILES);
        List<Path> spool = new UploadSpool().write(base.resolve("spool"), FILES, rows);
        long total = (long) rows * FILES;
        DebPackage.run(base, "chown", "-R", "nobody:nogroup", base.toString());
        line("Package memory: %,d records in %d spool files; the package's JAVA_OPTS: %s", total, FILES, options);
        line("  %-58s %10s %7s %9s %9s", "run", "records", "s", "max RSS", "VmHWM");

        List<Figures> all = new ArrayList<>();
        try (UploadSink sink = new UploadSink(16)) {
            // the README's former recipe: java -jar without a heap bound
            Path plain = runDir(base, "plain-java", spool);
            Files.copy(RelayProcess.jar(), plain.resolve("packet-relay.jar"));
            DebPackage.run(base, "cp", "-r", RelayProcess.projectDir().resolve("routes").toString(), plain.toString());
            List<String> javaJar = List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups",
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Drelay.roles=sender",
                    "-Drelay.logs-dir=logs", "-Dsender.url=" + sink.url(), "-Dsender.poll-interval=1",
                    "-Dcamel.management.port=" + Traffic.freePort(), "-jar", "packet-relay.jar");
            all.add(measure("sender, java -jar without -Xmx (README before)", plain, plain, javaJar, Map.of("PATH", System.getenv("PATH")),
                    total, () -> processed(plain.resolve("logs"))));

            // the package's launcher, sender role as packet-relay-sender.service runs it
            Path pkg = runDir(base, "package-sender", spool);
            List<String> sender = List.of(launcher, "-Drelay.roles=sender", "-Dsender.url=" + sink.url(), "-Dsender.poll-interval=1",
                    "-Dcamel.management.port=" + Traffic.freePort());
            all.add(measure("sender, the package's launcher", pkg, base, sender, launcherEnv(pkg.resolve("logs")), total,
                    () -> processed(pkg.resolve("logs"))));
        }

        // all roles in one process: a replay into the spool, uploaded to the embedded receiver, stored in H2
        Path pcap = capture(base.resolve("capture.pcap"));
        DebPackage.run(base, "chown", "nobody:nogroup", pcap.toString());
        Path allRoles = Files.createDirectories(base.resolve("package-all-roles"));
        Path logs = Files.createDirectories(allRoles.resolve("logs"));
        DebPackage.run(base, "chown", "-R", "nobody:nogroup", allRoles.toString());
        int receiverPort = Traffic.freePort();
        List<String> everything = List.of(launcher, "-Dsniffer.file=" + pcap, "-Dreceiver.port=" + receiverPort,
                "-Dsender.url=http://127.0.0.1:" + receiverPort + "/ingest_packets", "-Dsender.poll-interval=1",
                "-Dcamel.management.port=" + Traffic.freePort());
        HttpClient http = HttpClient.newHttpClient();
        all.add(measure("all roles, the package's launcher (replay, upload, H2)", allRoles, base, everything, launcherEnv(logs), PACKETS,
                () -> stored(http, receiverPort)));

        for (Figures f : all) {
            assertEquals(f.records(), f.what().startsWith("all") ? PACKETS : total, f.what());
        }
        Figures before = all.get(0);
        Figures after = all.get(1);
        line("  the package's sender: VmHWM %.2f of java -jar without -Xmx in the same run", (double) after.hwmKb() / before.hwmKb());
        Files.writeString(base.resolve("report.txt"), report.toString(), StandardCharsets.UTF_8);
        DebPackage.run(base, "rm", "-rf", base.resolve("spool").toString(), pcap.toString());
    }

    /** A run folder whose logs/pending_upload/ holds hard links to the spool's files with their markers. */
    private static Path runDir(Path base, String name, List<Path> spool) throws Exception {
        Path dir = Files.createDirectories(base.resolve(name));
        Path pending = Files.createDirectories(dir.resolve("logs/pending_upload"));
        for (Path f : spool) {
            Files.createLink(pending.resolve(f.getFileName()), f);
            Files.createFile(pending.resolve(f.getFileName() + ".ready"));
        }
        DebPackage.run(base, "chown", "-R", "nobody:nogroup", dir.toString());
        return dir;
    }

    /** As root runs the launcher on a host, but as nobody and with this spool. */
    private static Map<String, String> launcherEnv(Path logs) {
        return Map.of("PATH", System.getenv("PATH"), "PACKET_RELAY_USER", "nobody", "RELAY_LOGS_DIR", logs.toString());
    }

    /** Starts the command, samples its RSS until {@code done} says all records are through, then stops it with SIGTERM. */
    private Figures measure(String what, Path dir, Path cwd, List<String> cmd, Map<String, String> env, long expected, LongSupplier done)
            throws Exception {
        long t0 = System.nanoTime();
        long maxRss = 0;
        long hwm;
        long through = 0;
        try (RelayProcess p = RelayProcess.startCommand(dir, cwd, cmd, env)) {
            long end = System.currentTimeMillis() + 900_000;
            while (System.currentTimeMillis() < end && p.isAlive()) {
                maxRss = Math.max(maxRss, statusKb(p.pid(), "VmRSS"));
                through = done.getAsLong();
                if (through >= expected) {
                    break;
                }
                Thread.sleep(50);
            }
            assertTrue(p.isAlive(), what + " ended: " + p.tail());
            hwm = statusKb(p.pid(), "VmHWM");
            int code = p.term(90);
            assertTrue(code == 0 || code == 143, what + ": exit " + code + ": " + p.tail());
        }
        Figures f = new Figures(what, through, (System.nanoTime() - t0) / 1e9, maxRss, hwm);
        line("  %-58s %,10d %7.1f %6.0f MiB %6.0f MiB", what, f.records(), f.seconds(), f.maxRssKb() / 1024.0, f.hwmKb() / 1024.0);
        return f;
    }

    private static long statusKb(long pid, String key) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
                if (line.startsWith(key + ":")) {
                    return Long.parseLong(line.replaceAll("\\D", ""));
                }
            }
        } catch (Exception e) {
            // the process is gone
        }
        return 0;
    }

    /** Records of the spool files in processed/ (the sender moves a file there once all of it got a 2xx). */
    private static long processed(Path logs) {
        try (Stream<Path> s = Files.list(logs.resolve("processed"))) {
            return s.filter(p -> p.toString().endsWith(".csv")).count() * ((RECORDS + FILES - 1) / FILES);
        } catch (Exception e) {
            return 0;
        }
    }

    /** Records the embedded receiver holds (GET /health). */
    private static long stored(HttpClient http, int port) {
        try {
            String body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            Matcher m = Pattern.compile("\"records\"\\s*:\\s*(\\d+)").matcher(body);
            return m.find() ? Long.parseLong(m.group(1)) : 0;
        } catch (Exception e) {
            return 0;
        }
    }

    /** A pcap of PACKETS packets: the benchmark traffic captured on lo, repeated. */
    private static Path capture(Path pcap) throws Exception {
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
        return PcapFileWriter.write(pcap, dlt, captured, PACKETS).file();
    }

    private void line(String format, Object... args) {
        String s = String.format(format, args);
        System.out.println(s);
        report.append(s).append('\n');
    }
}
