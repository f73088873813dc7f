package org.packetrelay.it;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.packetrelay.testing.RelayProcess;
import org.packetrelay.testing.SpoolFiles;
import org.packetrelay.testing.TestPki;
import org.packetrelay.testing.Traffic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Start-up problems end the process with one clear line on stderr and exit code 2, no stack trace. */
class StartupErrorsIT {

    private static void assertOneLineError(Map<String, String> settings, List<String> jvmArgs, List<String> prefix,
                                           String expected) throws Exception {
        assertOneLineError(RelayProcess.newWorkDir("startup"), settings, jvmArgs, prefix, expected);
    }

    private static void assertOneLineError(Path dir, Map<String, String> settings, List<String> jvmArgs, List<String> prefix,
                                           String expected) throws Exception {
        try (RelayProcess p = RelayProcess.start(dir, settings, jvmArgs, prefix)) {
            int code = p.waitFor(60);
            String err = p.err().strip();
            assertEquals(2, code, "exit code; stderr: " + err);
            List<String> lines = err.lines().toList();
            assertEquals(1, lines.size(), "one line on stderr, got: " + err);
            assertTrue(lines.get(0).startsWith("packet-relay: "), err);
            assertTrue(lines.get(0).contains(expected), "'" + expected + "' in: " + err);
            assertFalse((err + p.out()).contains("Exception"), "no stack trace: " + p.tail());
        }
    }

    private static void assertOneLineError(Map<String, String> settings, String expected) throws Exception {
        assertOneLineError(settings, List.of(), List.of(), expected);
    }

    @Test
    void unknownInterface() throws Exception {
        assertOneLineError(Map.of("relay.roles", "sniffer", "sniffer.interfaces", "nosuch0"), "unknown interface 'nosuch0'");
    }

    @Test
    void badBpfFilter() throws Exception {
        assertOneLineError(Map.of("relay.roles", "sniffer", "sniffer.interfaces", "lo", "sniffer.filter", "tcp port banana"),
                "bad BPF filter 'tcp port banana'");
    }

    @Test
    void unreadableCaptureFile() throws Exception {
        assertOneLineError(Map.of("relay.roles", "sniffer", "sniffer.file", "/nonexistent/x.pcap"),
                "cannot read capture file /nonexistent/x.pcap (no such file)");
    }

    @Test
    void captureFileThatIsNotAPcap() throws Exception {
        Path notPcap = Files.writeString(RelayProcess.newWorkDir("notpcap").resolve("x.pcap"), "hello, not a capture");
        assertOneLineError(Map.of("relay.roles", "sniffer", "sniffer.file", notPcap.toString()), "cannot read capture file");
    }

    @Test
    void badSettings() throws Exception {
        assertOneLineError(Map.of("relay.roles", "sniffer,uploader"), "unknown role 'uploader'");
        assertOneLineError(Map.of("relay.roles", "sender", "sender.batch-size", "many"), "bad setting sender.batch-size='many'");
        assertOneLineError(Map.of("relay.roles", "sender", "sender.url", "ftp://x"), "bad setting sender.url");
        assertOneLineError(Map.of("relay.roles", "sender", "camel.main.routes-include-pattern", "file:/nonexistent/routes/*.yaml"),
                "no route folder /nonexistent/routes");
    }

    @Test
    void badSenderUrlAndRanges() throws Exception {
        assertOneLineError(Map.of("relay.roles", "sender", "sender.url", "http://"), "bad setting sender.url='http://': ");
        assertOneLineError(Map.of("relay.roles", "sender", "sender.url", "https:///ingest_packets"), "no host");
        assertOneLineError(Map.of("relay.roles", "sender", "sender.max-retries", "-1"),
                "bad setting sender.max-retries='-1': expected a whole number from 0 to 1000");
        assertOneLineError(Map.of("relay.roles", "sniffer", "camel.management.port", "65536"),
                "bad setting camel.management.port='65536': expected a whole number from 0 to 65535");
        int port = Traffic.freePort();
        assertOneLineError(Map.of("relay.roles", "receiver", "receiver.port", String.valueOf(port), "camel.management.port",
                String.valueOf(port)), "bad setting camel.management.port=" + port + ": receiver.port is the same");
    }

    /** A port another process listens on: one line naming the setting, exit 2 (Camel alone logs it and runs on). */
    @Test
    void busyPorts() throws Exception {
        try (ServerSocket busy = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
            int port = busy.getLocalPort();
            assertOneLineError(Map.of("relay.roles", "receiver", "receiver.port", String.valueOf(port)),
                    "receiver.port=" + port + ": cannot listen on 127.0.0.1:" + port + " (Address already in use)");
            assertOneLineError(Map.of("relay.roles", "receiver", "receiver.port", String.valueOf(Traffic.freePort()),
                    "camel.management.port", String.valueOf(port)),
                    "camel.management.port=" + port + ": cannot listen on 127.0.0.1:" + port + " (Address already in use)");
            assertOneLineError(Map.of("relay.roles", "sniffer", "sniffer.interfaces", "lo", "camel.management.port", String.valueOf(port)),
                    "set camel.management.port, or 0 to turn the management server off");
        }
    }

    /** A bad sender.tls.* store: one line naming the setting, exit 2, and the password is not printed. */
    private static void assertTlsError(Path dir, Map<String, String> tls, String expected) throws Exception {
        Map<String, String> settings = new HashMap<>(tls);
        settings.put("relay.roles", "sender");
        settings.put("sender.url", "https://127.0.0.1:" + Traffic.freePort() + "/ingest_packets");
        try (RelayProcess p = RelayProcess.start(dir, settings)) {
            int code = p.waitFor(60);
            String err = p.err().strip();
            assertEquals(2, code, "exit code; stderr: " + err);
            assertEquals(1, err.lines().count(), "one line on stderr, got: " + err);
            assertTrue(err.startsWith("packet-relay: ") && err.contains(expected), "'" + expected + "' in: " + err);
            assertFalse((err + p.out()).contains("Exception"), "no stack trace: " + p.tail());
            for (String secret : new String[] { "right-pw-123", "wrong-pw-456" }) {
                assertFalse((err + p.out()).contains(secret), "password printed: " + err);
            }
        }
    }

    @Test
    void badTlsStores() throws Exception {
        Path dir = RelayProcess.newWorkDir("tls");
        TestPki pki = TestPki.create("startup test CA");
        String p12 = pki.writeTrustStore(dir.resolve("ca.p12"), "right-pw-123").toString();
        String pem = pki.writePem(dir.resolve("ca.pem")).toString();
        assertTlsError(dir, Map.of("sender.tls.trust-store", "/nonexistent/ca.p12"),
                "cannot read sender.tls.trust-store /nonexistent/ca.p12: no such file");
        assertTlsError(dir, Map.of("sender.tls.trust-store", p12, "sender.tls.trust-store-password", "wrong-pw-456"),
                "sender.tls.trust-store " + p12 + ": wrong password (sender.tls.trust-store-password)");
        assertTlsError(dir, Map.of("sender.tls.trust-store", pem, "sender.tls.trust-store-password", "right-pw-123"),
                "sender.tls.trust-store " + pem + " is not a PKCS12 key store (sender.tls.trust-store-type=PKCS12)");
        assertTlsError(dir, Map.of("sender.tls.trust-store", p12, "sender.tls.trust-store-type", "PEM"),
                "sender.tls.trust-store " + p12 + " is not a PEM file of certificates");
        assertTlsError(dir, Map.of("sender.tls.trust-store", pem, "sender.tls.trust-store-type", "DER"),
                "bad setting sender.tls.trust-store-type='DER': expected PKCS12, JKS or PEM");
        assertTlsError(dir, Map.of("sender.tls.key-store", p12, "sender.tls.key-store-password", "right-pw-123"),
                "sender.tls.key-store " + p12 + " holds no private key");
        assertTlsError(dir, Map.of("sender.tls.verify-hostname", "maybe"), "bad setting sender.tls.verify-hostname='maybe'");
    }

    @Test
    void missingLibpcap() throws Exception {
        // pcap4j loads the library named by this property: point it at nothing, as on a machine without libpcap
        assertOneLineError(Map.of("relay.roles", "sniffer", "sniffer.interfaces", "lo"),
                List.of("-Dorg.pcap4j.core.pcapLibName=/nonexistent/libpcap.so.0.8"), List.of(), "libpcap is not installed");
    }

    @Test
    void noCapturePermission() throws Exception {
        // an unprivileged user (nobody) may not capture; it gets a world-readable folder with the jar and routes
        Path dir = Files.createTempDirectory("pr-nobody");
        try {
            Files.createDirectories(dir.resolve("routes"));
            try (var routes = Files.list(RelayProcess.projectDir().resolve("routes"))) {
                for (Path r : routes.toList()) {
                    Files.copy(r, dir.resolve("routes").resolve(r.getFileName()));
                }
            }
            Files.copy(RelayProcess.jar(), dir.resolve("packet-relay.jar"));
            try (var all = Files.walk(dir)) {
                for (Path p : all.toList()) {
                    Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(Files.isDirectory(p) ? "rwxrwxrwx" : "rw-rw-rw-"));
                }
            }
            assertOneLineError(dir, Map.of("relay.roles", "sniffer", "sniffer.interfaces", "lo", "relay.logs-dir", "/tmp/pr-nobody-logs"),
                    List.of(), List.of("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", "--inh-caps=-all"),
                    "no permission to capture on lo");
        } finally {
            SpoolFiles.deleteTree(dir); // a 33 MB copy of the jar each run
        }
    }
}
