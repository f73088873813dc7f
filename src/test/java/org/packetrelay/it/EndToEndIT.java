package org.packetrelay.it;

import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import javax.management.MBeanServerConnection;
import javax.management.ObjectName;
import javax.management.remote.JMXConnector;
import javax.management.remote.JMXConnectorFactory;
import javax.management.remote.JMXServiceURL;

import org.junit.jupiter.api.Test;
import org.packetrelay.testing.RelayProcess;
import org.packetrelay.testing.SpoolFiles;
import org.packetrelay.testing.Traffic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The jar with every role in one process, as `make run` starts it: live loopback traffic that the test makes
 * arrives in the embedded database with the right fields; an operator steers it over remote JMX; a replayed
 * capture ends up as exactly one database row per packet.
 */
class EndToEndIT {

    private static long query(String url, String sql) throws Exception {
        try (Connection c = DriverManager.getConnection(url, "", ""); Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static long awaitCount(String url, String sql, long expected, long timeoutMs) throws Exception {
        long end = System.currentTimeMillis() + timeoutMs;
        long n = -1;
        while (System.currentTimeMillis() < end) {
            try {
                n = query(url, sql);
                if (n >= expected) {
                    return n;
                }
            } catch (SQLException e) {
                // the table appears once the receiver started
            }
            Thread.sleep(250);
        }
        return n;
    }

    @Test
    void liveTrafficReachesTheDatabaseAndJmxSteersTheRoutes() throws Exception {
        Path dir = RelayProcess.newWorkDir("e2e-live");
        int jmxPort = Traffic.freePort();
        int receiverPort = Traffic.freePort();
        int mgmtPort = Traffic.freePort();
        String jdbc = "jdbc:h2:file:" + dir.resolve("ingest") + ";AUTO_SERVER=TRUE";
        Map<String, String> settings = new HashMap<>(Map.of(
                "sniffer.interfaces", "lo",
                "sniffer.filter", "udp port 31021 or udp port 31022",
                "sniffer.save-interval", "2",
                "sender.poll-interval", "1",
                "receiver.port", String.valueOf(receiverPort),
                "sender.url", "http://127.0.0.1:" + receiverPort + "/ingest_packets",
                "receiver.jdbc-url", jdbc,
                "camel.management.port", String.valueOf(mgmtPort)));
        List<String> jvm = List.of("-Dcom.sun.management.jmxremote.port=" + jmxPort, "-Dcom.sun.management.jmxremote.rmi.port=" + jmxPort,
                "-Dcom.sun.management.jmxremote.host=127.0.0.1", "-Djava.rmi.server.hostname=127.0.0.1",
                "-Dcom.sun.management.jmxremote.authenticate=false", "-Dcom.sun.management.jmxremote.ssl=false");
        try (RelayProcess p = RelayProcess.start(dir, settings, jvm, List.of())) {
            p.awaitLog("Capturing on lo", 60);
            p.awaitLog("started in", 60);
            long sentAt = System.currentTimeMillis();
            Traffic.udp("127.0.0.1", 31021, 40, "end-to-end".getBytes(StandardCharsets.US_ASCII));
            long n = awaitCount(jdbc, "SELECT COUNT(*) FROM packets WHERE \"dst_port\" = 31021 AND \"protocol\" = 'UDP'"
                                      + " AND \"src_ip\" = '127.0.0.1' AND \"interface\" = 'lo' AND \"payload_length\" = 10", 40, 30_000);
            assertEquals(40, n, p.tail());
            System.out.println("end-to-end: 40 datagrams in the database after " + (System.currentTimeMillis() - sentAt)
                               + " ms (save-interval 2 s, poll-interval 1 s)");
            assertEquals(40, query(jdbc, "SELECT COUNT(DISTINCT \"timestamp\") FROM packets WHERE \"dst_port\" = 31021"));

            JMXServiceURL url = new JMXServiceURL("service:jmx:rmi:///jndi/rmi://127.0.0.1:" + jmxPort + "/jmxrmi");
            try (JMXConnector jmx = JMXConnectorFactory.connect(url)) {
                MBeanServerConnection mbs = jmx.getMBeanServerConnection();
                Set<ObjectName> routes = mbs.queryNames(new ObjectName("org.apache.camel:type=routes,*"), null);
                Map<String, ObjectName> byId = new HashMap<>();
                for (ObjectName on : routes) {
                    byId.put((String) mbs.getAttribute(on, "RouteId"), on);
                }
                assertTrue(byId.keySet().containsAll(List.of("capture", "upload", "retry-failed", "receiver")), byId.keySet().toString());
                ObjectName consumer = mbs.queryNames(new ObjectName("org.apache.camel:type=consumers,*"), null).stream()
                        .filter(o -> o.getKeyProperty("name").startsWith("PcapConsumer")).findFirst().orElseThrow();
                assertTrue((Long) mbs.getAttribute(consumer, "PacketsCaptured") >= 40);
                assertEquals(0L, mbs.getAttribute(consumer, "PacketsDroppedByKernel"));
                assertEquals(0L, mbs.getAttribute(consumer, "DecodeErrors"));
                mbs.getAttribute(consumer, "PacketsDroppedByInterface");

                // pause uploads (server maintenance) while capture keeps spooling
                mbs.invoke(byId.get("upload"), "suspend", null, null);
                assertEquals("Suspended", mbs.getAttribute(byId.get("upload"), "State"));
                Path pending = dir.resolve("logs/pending_upload");
                Traffic.udp("127.0.0.1", 31022, 10, "while-paused".getBytes(StandardCharsets.US_ASCII));
                awaitReadyFiles(pending, 1, p);
                // the positive signal that a running sender would have had time to take the first file: the
                // capture completes a later one (save-interval 2 s, poll-interval 1 s)
                Traffic.udp("127.0.0.1", 31022, 5, "while-paused".getBytes(StandardCharsets.US_ASCII));
                awaitReadyFiles(pending, 2, p);
                assertEquals(0, query(jdbc, "SELECT COUNT(*) FROM packets WHERE \"dst_port\" = 31022"), "nothing uploaded while suspended");
                long resumedAt = System.currentTimeMillis();
                mbs.invoke(byId.get("upload"), "resume", null, null);
                assertEquals("Started", mbs.getAttribute(byId.get("upload"), "State"));
                assertEquals(15, awaitCount(jdbc, "SELECT COUNT(*) FROM packets WHERE \"dst_port\" = 31022", 15, 20_000));
                // and the receiver got every one of those batches after the resume
                try (Connection c = DriverManager.getConnection(jdbc, "", ""); Statement st = c.createStatement();
                     ResultSet rs = st.executeQuery("SELECT MIN(b.received_at) FROM ingest_batches b WHERE b.idempotency_key IN "
                                                    + "(SELECT idempotency_key FROM packets WHERE \"dst_port\" = 31022)")) {
                    rs.next();
                    long first = rs.getTimestamp(1).getTime();
                    assertTrue(first >= resumedAt, "first paused batch received " + (resumedAt - first) + " ms before the resume");
                }
            }
            // management over HTTP
            String metrics = new String(new URL("http://127.0.0.1:" + mgmtPort + "/observe/metrics").openStream().readAllBytes(),
                    StandardCharsets.UTF_8);
            assertTrue(metrics.lines().anyMatch(l -> l.startsWith("packet_relay_records_uploaded_total ")
                                                     && Double.parseDouble(l.split(" ")[1]) >= 55), metrics);
            String health = new String(new URL("http://127.0.0.1:" + mgmtPort + "/observe/health").openStream().readAllBytes(),
                    StandardCharsets.UTF_8);
            assertTrue(health.contains("UP"), health);
            int code = p.term(60);
            assertTrue(code == 0 || code == 143, "exit " + code);
        }
    }

    private static void awaitReadyFiles(Path dir, int n, RelayProcess p) throws Exception {
        long end = System.currentTimeMillis() + 30_000;
        while (SpoolFiles.readyFiles(dir).size() < n && System.currentTimeMillis() < end) {
            Thread.sleep(100);
        }
        assertTrue(SpoolFiles.readyFiles(dir).size() >= n, n + " ready files in " + dir + ": " + p.tail());
    }

    private static long filesIn(Path dir) throws Exception {
        try (var s = Files.list(dir)) {
            return s.count();
        }
    }

    @Test
    void replayThroughAllRolesStoresExactlyOneRowPerPacket() throws Exception {
        // the whole tcpdump corpus: 830 captures, 20 link types, many malformed on purpose
        Path corpus = RelayProcess.sharedDir().resolve("testdata/tcpdump-tests");
        long expected = 0;
        for (String line : Files.readAllLines(corpus.resolve("MANIFEST.tsv")).subList(1, Files.readAllLines(corpus.resolve("MANIFEST.tsv")).size())) {
            expected += Long.parseLong(line.split("\t")[2]);
        }
        Path captures = corpus;
        Path dir = RelayProcess.newWorkDir("e2e-replay");
        int receiverPort = Traffic.freePort();
        String jdbc = "jdbc:h2:file:" + dir.resolve("ingest") + ";AUTO_SERVER=TRUE";
        Map<String, String> settings = Map.of(
                "sniffer.file", captures.toString(),
                "sender.poll-interval", "1",
                "receiver.port", String.valueOf(receiverPort),
                "sender.url", "http://127.0.0.1:" + receiverPort + "/ingest_packets",
                "receiver.jdbc-url", jdbc,
                "camel.management.port", String.valueOf(Traffic.freePort()));
        try (RelayProcess p = RelayProcess.start(dir, settings)) {
            p.awaitLog("Replay complete", 120);
            long n = awaitCount(jdbc, "SELECT COUNT(*) FROM packets", expected, 120_000);
            assertEquals(expected, n, p.tail());
            // nothing more can arrive once every spool file went through (a file moves only after all its batches)
            Path pending = dir.resolve("logs/pending_upload");
            long end = System.currentTimeMillis() + 120_000;
            while (filesIn(pending) > 0 && System.currentTimeMillis() < end) {
                Thread.sleep(100);
            }
            assertEquals(0, filesIn(pending), "spool drained: " + p.tail());
            assertEquals(expected, query(jdbc, "SELECT COUNT(*) FROM packets"), p.tail());
            assertTrue(query(jdbc, "SELECT COUNT(*) FROM packets WHERE \"dns_qname\" IS NOT NULL") > 0);
            assertTrue(query(jdbc, "SELECT COUNT(*) FROM packets WHERE \"http_method\" IS NOT NULL") > 0);
            int code = p.term(60);
            assertTrue(code == 0 || code == 143, "exit " + code);
        }
        // the status command reads the same spool
        Process status = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
                RelayProcess.jar().toString(), "status").directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(status.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, status.waitFor());
        long files;
        try (var s = Files.list(dir.resolve("logs/processed"))) {
            files = s.filter(x -> x.toString().endsWith(".csv")).count();
        }
        assertTrue(out.matches("(?s).*processed/ +" + files + " files.*"), out);
        // captured traffic is sensitive: the folders the relay made and every spool file are owner-only
        for (String folder : List.of("logs", "logs/pending_upload", "logs/processed", "logs/failed_uploads", "logs/.state")) {
            assertEquals("rwx------", PosixFilePermissions.toString(
                    Files.getPosixFilePermissions(dir.resolve(folder))), folder);
        }
        try (var s = Files.list(dir.resolve("logs/processed"))) {
            for (Path f : s.toList()) {
                assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(f)), f.toString());
            }
        }
        assertTrue(out.matches("(?s).*pending_upload/ +0 files.*"), out);
        assertTrue(out.contains("Last upload: ") && out.contains("uploaded:"), out);
    }
}
