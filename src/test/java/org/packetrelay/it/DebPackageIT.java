package org.packetrelay.it;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.packetrelay.testing.DebPackage;
import org.packetrelay.testing.IngestServer;
import org.packetrelay.testing.RelayProcess;
import org.packetrelay.testing.SpoolFiles;
import org.packetrelay.testing.ThrowawayRoot;
import org.packetrelay.testing.Traffic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The Debian package of {@code make deb}: its contents, its maintainer scripts and units for real in a throwaway
 * copy of this machine's root ({@link ThrowawayRoot}: dpkg -i, upgrade, remove, purge; nothing stays installed), and
 * its launcher from an unpacked root. The services' processes are started as their units say (user, capabilities,
 * ExecStart, environment file) with setpriv, as there is no systemd to start them here.
 */
class DebPackageIT {
    private static final String[] UNITS = {"packet-relay.service", "packet-relay-sniffer.service", "packet-relay-sender.service"};
    private static final String UNIT_DIR = "/usr/lib/systemd/system/";
    /** CAP_NET_ADMIN (12) and CAP_NET_RAW (13), as /proc/PID/status shows a capability set. */
    private static final long CAPTURE_CAPS = (1L << 12) | (1L << 13);
    private static Path deb;
    private static Path work;

    @BeforeAll
    static void buildThePackage() throws Exception {
        deb = DebPackage.build();
        // the unpacked roots are run by an unprivileged user: traversable
        work = Files.createTempDirectory("pr-deb", PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwxr-xr-x")));
    }

    @AfterAll
    static void cleanUp() throws Exception {
        DebPackage.run(Path.of("/"), "rm", "-rf", work.toString());
    }

    @Test
    void packageHoldsTheJarSettingsRoutesLauncherAndUnits() throws Exception {
        String version = DebPackage.version();
        assertEquals(RelayProcess.projectDir().resolve("target/packet-relay_" + version + "_all.deb"), deb);
        String fields = DebPackage.run(work, "dpkg-deb", "-f", deb.toString(), "Package", "Version", "Architecture", "Depends");
        assertEquals("Package: packet-relay\nVersion: " + version + "\nArchitecture: all\n"
                     + "Depends: adduser, openjdk-17-jre-headless | java17-runtime-headless, libpcap0.8 | libpcap0.8t64\n", fields);

        // every file with its mode, all root's
        Map<String, String> modes = new TreeMap<>();
        for (String line : DebPackage.run(work, "dpkg-deb", "-c", deb.toString()).split("\n")) {
            String[] f = line.trim().split("\\s+");
            assertEquals("root/root", f[1], line);
            if (!f[0].startsWith("d")) {
                modes.put(f[5].substring(1), f[0]);
            }
        }
        List<String> routes = projectRoutes();
        Map<String, String> expected = new TreeMap<>();
        expected.put("/etc/default/packet-relay", "-rw-------");
        expected.put("/etc/packet-relay/application.properties", "-rw-r--r--");
        for (String r : routes) {
            expected.put("/etc/packet-relay/routes/" + r, "-rw-r--r--");
        }
        expected.put("/usr/bin/packet-relay", "-rwxr-xr-x");
        for (String u : UNITS) {
            expected.put(UNIT_DIR + u, "-rw-r--r--");
        }
        expected.put("/usr/share/doc/packet-relay/README.md", "-rw-r--r--");
        expected.put("/usr/share/packet-relay/packet-relay.jar", "-rw-r--r--");
        assertEquals(expected, modes);

        // conffiles: everything under /etc, so that a user's edits survive upgrades
        Set<String> conffiles = new TreeSet<>(List.of(DebPackage.run(work, "dpkg-deb", "-I", deb.toString(), "conffiles").strip().split("\n")));
        Set<String> etc = new TreeSet<>(expected.keySet().stream().filter(p -> p.startsWith("/etc/")).toList());
        assertEquals(etc, conffiles);

        // the files: the jar this build made, the project's routes, its settings with the spool in the state directory
        Path root = unpack("contents");
        assertEquals(-1, Files.mismatch(RelayProcess.jar(), root.resolve("usr/share/packet-relay/packet-relay.jar")));
        for (String r : routes) {
            assertEquals(-1, Files.mismatch(RelayProcess.projectDir().resolve("routes/" + r), root.resolve("etc/packet-relay/routes/" + r)), r);
        }
        String properties = Files.readString(RelayProcess.projectDir().resolve("application.properties"));
        assertTrue(properties.contains("\nrelay.logs-dir=logs\n"));
        assertEquals(properties.replace("\nrelay.logs-dir=logs\n", "\nrelay.logs-dir=/var/lib/packet-relay\n"),
                Files.readString(root.resolve("etc/packet-relay/application.properties")));
        // the bounded-memory options of make run, in the environment file and as the launcher's own default
        String memory = DebPackage.memoryOptions();
        assertTrue(memory.contains("-Xmx"), memory);
        assertEquals(memory, DebPackage.environmentFile(root.resolve("etc/default/packet-relay")).get("JAVA_OPTS"));
        assertTrue(Files.readString(root.resolve("usr/bin/packet-relay")).contains("JAVA_OPTS=${JAVA_OPTS-" + memory + "}"));
    }

    @Test
    void unitsPassSystemdAnalyzeVerifyAndSayWhatTheServicesNeed() throws Exception {
        try (ThrowawayRoot machine = ThrowawayRoot.create()) {
            install(machine, deb);
            for (String u : UNITS) {
                ThrowawayRoot.Result r = machine.run("systemd-analyze", "verify", UNIT_DIR + u);
                assertEquals(0, r.code(), u + ": " + r.output());
                assertEquals("", r.output(), u + ": systemd-analyze verify warns");

                Map<String, List<String>> unit = DebPackage.unitSettings(machine.path(UNIT_DIR + u));
                for (String[] kv : new String[][] {{"User", "packet-relay"}, {"Group", "packet-relay"}, {"WorkingDirectory", "/etc/packet-relay"},
                        {"EnvironmentFile", "-/etc/default/packet-relay"}, {"Restart", "on-failure"}, {"StateDirectory", "packet-relay"},
                        {"StateDirectoryMode", "0700"}, {"StandardOutput", "journal"}, {"StandardError", "journal"},
                        {"SuccessExitStatus", "143"}, {"NoNewPrivileges", "yes"}, {"ProtectSystem", "strict"}, {"ProtectHome", "yes"},
                        {"PrivateTmp", "yes"}, {"WantedBy", "multi-user.target"}}) {
                    assertEquals(kv[1], DebPackage.one(unit, kv[0]), u + " " + kv[0]);
                }
                assertTrue(DebPackage.one(unit, "ExecStart").startsWith("/usr/bin/packet-relay"), u);
                if (u.equals("packet-relay-sender.service")) {
                    assertEquals("", DebPackage.one(unit, "CapabilityBoundingSet"), "the sender has no capabilities");
                    assertNull(DebPackage.one(unit, "AmbientCapabilities"));
                    assertTrue(DebPackage.one(unit, "ExecStart").contains("-Dcamel.management.port=${SENDER_MANAGEMENT_PORT}"));
                    assertEquals(List.of("SENDER_MANAGEMENT_PORT=9877"), unit.get("Environment"));
                } else {
                    assertEquals("CAP_NET_RAW CAP_NET_ADMIN", DebPackage.one(unit, "AmbientCapabilities"), u);
                    assertEquals("CAP_NET_RAW CAP_NET_ADMIN", DebPackage.one(unit, "CapabilityBoundingSet"), u);
                    assertTrue(DebPackage.one(unit, "RestrictAddressFamilies").contains("AF_PACKET"), u);
                }
            }
        }
    }

    @Test
    void installUpgradeRemoveAndPurgeKeepEditsAndTheSpoolUntilPurge() throws Exception {
        Path next = nextVersion();
        try (ThrowawayRoot machine = ThrowawayRoot.create()) {
            install(machine, deb);
            String user = machine.run("getent", "passwd", "packet-relay").output().strip();
            String[] pw = user.split(":");
            assertTrue(Integer.parseInt(pw[2]) < 1000, "a system user: " + user);
            assertEquals("/var/lib/packet-relay", pw[5]);
            assertTrue(pw[6].endsWith("nologin") || pw[6].endsWith("false"), user);
            assertEquals(0, machine.run("getent", "group", "packet-relay").code());
            assertEquals("packet-relay packet-relay 700", machine.run("stat", "-c", "%U %G %a", "/var/lib/packet-relay").output().strip());

            // a user's edit, and records waiting in the spool
            Path props = machine.path("/etc/packet-relay/application.properties");
            Files.writeString(props, Files.readString(props).replace("sender.batch-size=500", "sender.batch-size=250"));
            assertEquals(0, machine.run("install", "-d", "-o", "packet-relay", "-m", "0700", "/var/lib/packet-relay/pending_upload").code());
            SpoolFiles.writeReady(machine.path("/var/lib/packet-relay/pending_upload"), "packets_20260101_000000_000.csv", 3);

            // upgrade to a version whose application.properties and upload.yaml changed: the edited file stays the
            // user's (as --force-confold answers dpkg's question), the unedited one is the new version's
            Files.copy(next, machine.path("/tmp/" + next.getFileName()));
            ThrowawayRoot.Result up = machine.run("dpkg", "-i", "--force-confdef", "--force-confold", "/tmp/" + next.getFileName());
            assertEquals(0, up.code(), up.output());
            assertEquals(DebPackage.version() + "+1", machine.run("dpkg-query", "-W", "-f=${Version}", "packet-relay").output());
            String kept = Files.readString(props);
            assertTrue(kept.contains("sender.batch-size=250") && !kept.contains("# changed in +1"), "the user's edit survives");
            assertTrue(Files.readString(machine.path("/etc/packet-relay/routes/upload.yaml")).endsWith("# changed in +1\n"));
            assertEquals(user, machine.run("getent", "passwd", "packet-relay").output().strip(), "the same user after the upgrade");
            assertEquals(3, SpoolFiles.rows(machine.path("/var/lib/packet-relay/pending_upload")).size());

            // remove: program gone; settings, user and spool stay
            ThrowawayRoot.Result rm = machine.run("dpkg", "-r", "packet-relay");
            assertEquals(0, rm.code(), rm.output());
            assertFalse(Files.exists(machine.path("/usr/bin/packet-relay")));
            assertFalse(Files.exists(machine.path("/usr/share/packet-relay/packet-relay.jar")));
            assertTrue(Files.readString(props).contains("sender.batch-size=250"));
            assertEquals(0, machine.run("getent", "passwd", "packet-relay").code(), "the user stays until purge");
            assertEquals(3, SpoolFiles.rows(machine.path("/var/lib/packet-relay/pending_upload")).size());

            // purge: settings, spool, user and group gone
            ThrowawayRoot.Result purge = machine.run("dpkg", "--purge", "packet-relay");
            assertEquals(0, purge.code(), purge.output());
            for (String gone : new String[] {"/etc/packet-relay", "/etc/default/packet-relay", "/var/lib/packet-relay"}) {
                assertFalse(Files.exists(machine.path(gone)), gone);
            }
            assertEquals(2, machine.run("getent", "passwd", "packet-relay").code(), "no user after purge");
            assertEquals(2, machine.run("getent", "group", "packet-relay").code(), "no group after purge");
        }
        assertEquals(2, new ProcessBuilder("getent", "passwd", "packet-relay").start().waitFor(), "nothing on this machine");
    }

    @Test
    void snifferCapturesWithTwoCapabilitiesStopsCleanlyAndTheUnprivilegedSenderUploads() throws Exception {
        try (ThrowawayRoot machine = ThrowawayRoot.create()) {
            install(machine, deb);
            Map<String, String> defaults = DebPackage.environmentFile(machine.path("/etc/default/packet-relay"));
            int uid = Integer.parseInt(machine.run("id", "-u", "packet-relay").output().strip());
            Path spool = machine.path("/var/lib/packet-relay");
            int udpPort = Traffic.freePort();
            int sniffMgmt = Traffic.freePort();
            int packets = 300;

            // the sniffer as its unit runs it, on lo; files only at the stop (save-interval an hour)
            Map<String, List<String>> sniffer = DebPackage.unitSettings(machine.path(UNIT_DIR + "packet-relay-sniffer.service"));
            Path sniffDir = Files.createDirectories(work.resolve("sniffer"));
            try (RelayProcess p = RelayProcess.startCommand(sniffDir, work, machine.inside(DebPackage.asUnit(sniffer, defaults, List.of(
                    "-Dsniffer.interfaces=lo", "-Dsniffer.filter=udp port " + udpPort, "-Dsniffer.save-interval=3600",
                    "-Dcamel.management.port=" + sniffMgmt))), environment(sniffer, defaults))) {
                p.awaitLog("Capturing on lo", 90);
                assertRunsAs(p.pid(), uid, CAPTURE_CAPS);
                List<String> cmdline = cmdline(p.pid());
                assertTrue(String.join(" ", cmdline).contains(defaults.get("JAVA_OPTS") + " -Drelay.roles=sniffer"), "JVM: " + cmdline);
                assertTrue(cmdline.contains("/usr/share/packet-relay/packet-relay.jar"), cmdline.toString());

                Traffic.udp("127.0.0.1", udpPort, packets, "packaged".getBytes(StandardCharsets.US_ASCII));
                awaitCaptured(sniffMgmt, packets, p);
                assertEquals(List.of(), SpoolFiles.readyFiles(spool.resolve("pending_upload")), "nothing written before the stop");
                int code = p.term(90); // what systemctl stop does
                assertTrue(code == 0 || code == 143, "exit " + code + ": " + p.tail());
            }
            // SIGTERM completed the file: every captured packet is in a ready file, nothing half-written is left
            List<Map<String, String>> rows = SpoolFiles.rows(spool.resolve("pending_upload"));
            assertEquals(packets, rows.stream().filter(r -> String.valueOf(udpPort).equals(r.get("dst_port"))).count());
            assertEquals(packets, rows.size());
            try (Stream<Path> s = Files.list(spool.resolve("pending_upload"))) {
                for (Path f : s.toList()) {
                    assertTrue(f.getFileName().toString().matches("packets_\\d{8}_\\d{6}_\\d{3}(_\\d+)?\\.csv(\\.ready)?"), "left: " + f);
                    assertEquals(uid, (int) Files.getAttribute(f, "unix:uid"), f.toString());
                    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)), f.toString());
                }
            }

            // the sender as its unit runs it: no capabilities at all, its own management port
            Map<String, List<String>> sender = DebPackage.unitSettings(machine.path(UNIT_DIR + "packet-relay-sender.service"));
            Map<String, String> senderEnv = environment(sender, defaults);
            int senderMgmt = Traffic.freePort();
            senderEnv.put("SENDER_MANAGEMENT_PORT", String.valueOf(senderMgmt)); // as a line in /etc/default/packet-relay would
            Path sendDir = Files.createDirectories(work.resolve("sender"));
            try (IngestServer server = new IngestServer(Traffic.freePort());
                 RelayProcess p = RelayProcess.startCommand(sendDir, work, machine.inside(DebPackage.asUnit(sender, senderEnv, List.of(
                         "-Dsender.url=" + server.url(), "-Dsender.poll-interval=1"))), senderEnv)) {
                long end = System.currentTimeMillis() + 90_000;
                while (server.recordsStored() < packets && System.currentTimeMillis() < end && p.isAlive()) {
                    Thread.sleep(200);
                }
                assertEquals(packets, server.recordsStored(), p.tail());
                assertEquals(List.of(), server.problems());
                assertRunsAs(p.pid(), uid, 0);
                HttpResponse<String> health = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + senderMgmt + "/observe/health")).build(), HttpResponse.BodyHandlers.ofString());
                assertTrue(health.body().contains("\"status\""), "health on the sender's own port: " + health.body());
                int code = p.term(90);
                assertTrue(code == 0 || code == 143, "exit " + code + ": " + p.tail());
            }
            long uploaded = 0;
            try (Stream<Path> s = Files.list(spool.resolve("processed"))) {
                for (Path f : s.filter(x -> x.toString().endsWith(".csv")).toList()) {
                    uploaded += SpoolFiles.rowsOf(f).size();
                }
            }
            assertEquals(packets, uploaded, "in processed/");
            assertEquals(List.of(), SpoolFiles.readyFiles(spool.resolve("pending_upload")));
        }
    }

    @Test
    void allRolesServiceCapturesUploadsAndStoresInItsStateDirectory() throws Exception {
        try (ThrowawayRoot machine = ThrowawayRoot.create()) {
            install(machine, deb);
            Map<String, String> defaults = DebPackage.environmentFile(machine.path("/etc/default/packet-relay"));
            int uid = Integer.parseInt(machine.run("id", "-u", "packet-relay").output().strip());
            int udpPort = Traffic.freePort();
            int receiverPort = Traffic.freePort();
            int packets = 200;
            Map<String, List<String>> unit = DebPackage.unitSettings(machine.path(UNIT_DIR + "packet-relay.service"));
            Path dir = Files.createDirectories(work.resolve("all-roles"));
            try (RelayProcess p = RelayProcess.startCommand(dir, work, machine.inside(DebPackage.asUnit(unit, defaults, List.of(
                    "-Dsniffer.interfaces=lo", "-Dsniffer.filter=udp port " + udpPort, "-Dsniffer.save-interval=1",
                    "-Dreceiver.port=" + receiverPort, "-Dsender.url=http://127.0.0.1:" + receiverPort + "/ingest_packets",
                    "-Dsender.poll-interval=1", "-Dcamel.management.port=" + Traffic.freePort()))), environment(unit, defaults))) {
                p.awaitLog("Capturing on lo", 90);
                assertRunsAs(p.pid(), uid, CAPTURE_CAPS);
                Traffic.udp("127.0.0.1", udpPort, packets, "all roles".getBytes(StandardCharsets.US_ASCII));
                HttpClient http = HttpClient.newHttpClient();
                String health = "";
                long end = System.currentTimeMillis() + 90_000;
                while (!health.contains("\"records\":" + packets) && System.currentTimeMillis() < end && p.isAlive()) {
                    Thread.sleep(200);
                    health = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + receiverPort + "/health")).build(),
                            HttpResponse.BodyHandlers.ofString()).body();
                }
                assertTrue(health.contains("\"records\":" + packets), "stored by the embedded receiver: " + health + "\n" + p.tail());
                int code = p.term(90);
                assertTrue(code == 0 || code == 143, "exit " + code + ": " + p.tail());
            }
            // the database is in the state directory, the services' own
            Path db = machine.path("/var/lib/packet-relay/ingest.mv.db");
            assertEquals(uid, (int) Files.getAttribute(db, "unix:uid"));
            assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(db)));
        }
    }

    @Test
    void launcherRunsAReplayFromAnUnpackedRootWithThePackagedSettings() throws Exception {
        Path root = unpack("launcher");
        Path spool = root.resolve("var/lib/packet-relay");
        DebPackage.run(work, "install", "-d", "-o", "nobody", "-g", "nogroup", "-m", "0700", spool.toString());
        // the environment file, read by the launcher when it may (root), moves the spool
        Path defaults = root.resolve("etc/default/packet-relay");
        Files.writeString(defaults, Files.readString(defaults) + "RELAY_LOGS_DIR=" + spool + "\n");
        Path corpus = RelayProcess.sharedDir().resolve("testdata/tcpdump-tests");
        String file = "02-sunrise-sunset-esp.pcap";
        int packets = manifestCount(corpus, file);
        Map<String, String> env = Map.of("PATH", System.getenv("PATH"), "PACKET_RELAY_USER", "nobody");
        Path launcher = root.resolve("usr/bin/packet-relay");

        // run by root from the corpus folder with a relative file name: the JVM runs as the user, the file is found
        Path out = Files.createDirectories(work.resolve("replay"));
        try (RelayProcess p = RelayProcess.startCommand(out, corpus, List.of(launcher.toString(), "-Drelay.roles=sniffer",
                "-Dsniffer.file=" + file, "-Dcamel.management.port=" + Traffic.freePort()), env)) {
            assertEquals(0, p.waitFor(120), p.tail());
        }
        List<Path> files = SpoolFiles.readyFiles(spool.resolve("pending_upload"));
        assertEquals(packets, SpoolFiles.rows(spool.resolve("pending_upload")).size());
        for (Path f : files) {
            assertEquals(65534, (int) Files.getAttribute(f, "unix:uid"), "written as " + env.get("PACKET_RELAY_USER"));
        }

        // packet-relay status by root: the same spool
        Path st = Files.createDirectories(work.resolve("status"));
        try (RelayProcess p = RelayProcess.startCommand(st, work, List.of(launcher.toString(), "status"), env)) {
            assertEquals(0, p.waitFor(60), p.tail());
            assertTrue(p.out().contains("Spool " + spool) && p.out().contains(files.size() + " ready for upload"), p.out());
        }
        // root, but no such user to run as: one line, exit 2
        Path st3 = Files.createDirectories(work.resolve("status3"));
        try (RelayProcess p = RelayProcess.startCommand(st3, work, List.of(launcher.toString(), "status"),
                Map.of("PATH", System.getenv("PATH"), "PACKET_RELAY_USER", "pr-no-such-user"))) {
            assertEquals(2, p.waitFor(60));
            assertEquals("packet-relay: no user pr-no-such-user to run as (it is made when the package is installed)\n", p.err());
        }
        // by a user who may not read the environment file: the packaged settings' spool, the launcher's own JVM options
        Path st2 = Files.createDirectories(work.resolve("status2"));
        try (RelayProcess p = RelayProcess.startCommand(st2, work, List.of("setpriv", "--reuid=nobody", "--regid=nogroup",
                "--clear-groups", launcher.toString(), "status"), env)) {
            p.waitFor(60);
            assertTrue(p.out().contains("/var/lib/packet-relay"), "the packaged settings' spool: " + p.tail());
        }
    }

    // ------------------------------------------------------------------------------------------------ helpers

    private static List<String> projectRoutes() throws Exception {
        try (Stream<Path> s = Files.list(RelayProcess.projectDir().resolve("routes"))) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".yaml")).sorted().toList();
        }
    }

    private static Path unpack(String name) throws Exception {
        Path root = work.resolve(name);
        DebPackage.run(work, "dpkg-deb", "-x", deb.toString(), root.toString());
        return root;
    }

    /** dpkg -i in the throwaway root (the file is copied into its /tmp). */
    private static void install(ThrowawayRoot machine, Path file) throws Exception {
        Files.copy(file, machine.path("/tmp/" + file.getFileName()));
        ThrowawayRoot.Result r = machine.run("dpkg", "-i", "/tmp/" + file.getFileName());
        assertEquals(0, r.code(), r.output());
    }

    /** The package as a next version would be: version +1, a changed application.properties and upload.yaml. */
    private static Path nextVersion() throws Exception {
        Path raw = work.resolve("next");
        DebPackage.run(work, "dpkg-deb", "-R", deb.toString(), raw.toString());
        Path control = raw.resolve("DEBIAN/control");
        String version = DebPackage.version();
        Files.writeString(control, Files.readString(control).replace("Version: " + version + "\n", "Version: " + version + "+1\n"));
        for (String f : new String[] {"etc/packet-relay/application.properties", "etc/packet-relay/routes/upload.yaml"}) {
            Files.writeString(raw.resolve(f), Files.readString(raw.resolve(f)) + "# changed in +1\n");
        }
        Path out = work.resolve("packet-relay_" + version + "+1_all.deb");
        DebPackage.run(work, "dpkg-deb", "--root-owner-group", "-Zgzip", "-b", raw.toString(), out.toString());
        return out;
    }

    /** The environment systemd gives the unit: its Environment= lines, then the environment file (which wins). */
    private static Map<String, String> environment(Map<String, List<String>> unit, Map<String, String> defaults) {
        Map<String, String> env = new HashMap<>();
        env.put("PATH", ThrowawayRoot.PATH);
        for (String e : unit.getOrDefault("Environment", List.of())) {
            env.put(e.substring(0, e.indexOf('=')), e.substring(e.indexOf('=') + 1));
        }
        env.putAll(defaults);
        return env;
    }

    /** The process runs as uid with exactly these capabilities in every set (and no new privileges). */
    private static void assertRunsAs(long pid, int uid, long caps) throws Exception {
        Map<String, String> status = new HashMap<>();
        for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
            int c = line.indexOf(':');
            status.put(line.substring(0, c), line.substring(c + 1).strip());
        }
        assertEquals(uid, Integer.parseInt(status.get("Uid").split("\\s+")[1]), "effective uid");
        for (String set : new String[] {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"}) {
            assertEquals(caps, Long.parseLong(status.get(set), 16), set + (caps == 0 ? ": no capability" : ": CAP_NET_RAW and CAP_NET_ADMIN only"));
        }
        assertEquals("1", status.get("NoNewPrivs"));
    }

    private static List<String> cmdline(long pid) throws Exception {
        return List.of(Files.readString(Path.of("/proc/" + pid + "/cmdline")).split("\0"));
    }

    /** Waits until the relay's metrics count {@code n} captured packets. */
    private static void awaitCaptured(int managementPort, long n, RelayProcess p) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        Pattern captured = Pattern.compile("packet_relay_packets_captured_total[^\\n]* ([0-9.E]+)\\n");
        long end = System.currentTimeMillis() + 60_000;
        double seen = -1;
        while (System.currentTimeMillis() < end) {
            String metrics = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + managementPort + "/observe/metrics")).build(),
                    HttpResponse.BodyHandlers.ofString()).body();
            Matcher m = captured.matcher(metrics);
            if (m.find()) {
                seen = Double.parseDouble(m.group(1));
                if (seen >= n) {
                    return;
                }
            }
            Thread.sleep(200);
        }
        fail("captured " + seen + " of " + n + " packets: " + p.tail());
    }

    private static int manifestCount(Path corpus, String file) throws Exception {
        for (String line : Files.readAllLines(corpus.resolve("MANIFEST.tsv"))) {
            String[] f = line.split("\t");
            if (f[0].equals(file)) {
                return Integer.parseInt(f[2]);
            }
        }
        throw new IllegalStateException(file + " not in the manifest");
    }
}
