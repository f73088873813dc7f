package org.packetrelay.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.packetrelay.testing.RelayProcess;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Start-up problems end the process with one clear line on stderr and a non-zero exit, no stack trace. */
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
            assertNotEquals(0, code, "exit code; stderr: " + err);
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
    void missingLibpcap() throws Exception {
        // pcap4j loads the library named by this property: point it at nothing, as on a machine without libpcap
        assertOneLineError(Map.of("relay.roles", "sniffer", "sniffer.interfaces", "lo"),
                List.of("-Dorg.pcap4j.core.pcapLibName=/nonexistent/libpcap.so.0.8"), List.of(), "libpcap is not installed");
    }

    @Test
    void noCapturePermission() throws Exception {
        // an unprivileged user (nobody) may not capture; it gets a world-readable folder with the jar and routes
        Path dir = Files.createTempDirectory("pr-nobody");
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
    }
}
