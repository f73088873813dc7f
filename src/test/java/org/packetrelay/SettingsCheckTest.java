package org.packetrelay;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.packetrelay.testing.RelayProcess;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The settings checks before Camel starts, and the README's word on them. */
class SettingsCheckTest {

    @Test
    void theLocalReceiverUrlUsesLoopbackForAWildcardHost() {
        assertEquals("http://127.0.0.1:8001/ingest_packets", Settings.localReceiverUrl("0.0.0.0", 8001));
        assertEquals("http://127.0.0.1:8001/ingest_packets", Settings.localReceiverUrl("", 8001));
        assertEquals("http://[::1]:8001/ingest_packets", Settings.localReceiverUrl("::", 8001));
        assertEquals("http://127.0.0.2:9/ingest_packets", Settings.localReceiverUrl("127.0.0.2", 9));
        assertEquals("http://[fd00::5]:9/ingest_packets", Settings.localReceiverUrl("fd00::5", 9));
        assertEquals("http://ingest.local:9/ingest_packets", Settings.localReceiverUrl("ingest.local", 9));
    }

    @Test
    void senderUrlNeedsHttpOrHttpsAndAHost() {
        for (String good : List.of("http://127.0.0.1:8000/ingest_packets", "https://ingest.example.org/ingest_packets",
                "http://[::1]:8000/ingest_packets", "http://localhost/x")) {
            assertDoesNotThrow(() -> PacketRelay.checkSenderUrl(good), good);
        }
        for (String[] bad : new String[][] { { "http://", "bad setting sender.url='http://': " },
                { "http:///ingest_packets", "no host" }, { "https://:443/x", "no host" },
                { "http://h:70000/x", "port 70000 is not from 1 to 65535" }, { "ftp://h/x", "expected an http:// or https:// URL" },
                { "127.0.0.1:8000", "expected an http:// or https:// URL" }, { "", "expected an http:// or https:// URL" } }) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PacketRelay.checkSenderUrl(bad[0]), bad[0]);
            assertTrue(e.getMessage().startsWith("bad setting sender.url='" + bad[0] + "'") && e.getMessage().contains(bad[1]),
                    e.getMessage());
            assertEquals(1, e.getMessage().lines().count());
        }
    }

    @Test
    void everyNumericSettingHasItsCheckedRangeInTheReadme() throws Exception {
        Path project = RelayProcess.projectDir();
        Properties defaults = new Properties();
        try (var r = Files.newBufferedReader(project.resolve("application.properties"), StandardCharsets.UTF_8)) {
            defaults.load(r);
        }
        // every relay setting whose default is a number is range-checked (Camel's own are Camel's, but for the port)
        for (String key : defaults.stringPropertyNames()) {
            boolean relays = !key.startsWith("camel.") || key.equals("camel.management.port");
            if (relays && defaults.getProperty(key).trim().matches("\\d+")) {
                assertTrue(PacketRelay.RANGES.containsKey(key), key + " has no range in PacketRelay.RANGES");
            }
        }
        String readme = Files.readString(project.resolve("README.md"), StandardCharsets.UTF_8);
        for (var e : PacketRelay.RANGES.entrySet()) {
            String key = e.getKey();
            String shortKey = key.replace("receiver.port", "receiver.host` / `receiver.port");
            Matcher row = Pattern.compile("(?m)^\\| `" + Pattern.quote(shortKey) + "` \\|.*$").matcher(readme);
            assertTrue(row.find(), "no README settings row for " + key);
            String range = e.getValue()[0] + "-" + e.getValue()[1];
            assertTrue(row.group().contains("range " + range), key + ": README row does not give 'range " + range + "': " + row.group());
        }
    }

    @Test
    void theReadmesCorpusPacketCountIsTheManifests() throws Exception {
        long packets = 0;
        List<String> manifest = Files.readAllLines(RelayProcess.sharedDir().resolve("testdata/tcpdump-tests/MANIFEST.tsv"));
        for (String line : manifest.subList(1, manifest.size())) {
            String count = line.split("\t", -1)[2];
            packets += count.isEmpty() ? 0 : Long.parseLong(count);
        }
        String readme = Files.readString(RelayProcess.projectDir().resolve("README.md"), StandardCharsets.UTF_8);
        Matcher m = Pattern.compile("of the ([0-9,]+) corpus packets").matcher(readme);
        assertTrue(m.find(), "the README's corpus figure");
        assertEquals(packets, Long.parseLong(m.group(1).replace(",", "")), "README: " + m.group());
    }
}
