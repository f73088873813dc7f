package org.packetrelay.it;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.packetrelay.testing.Jolokia;
import org.packetrelay.testing.RelayProcess;
import org.packetrelay.testing.SpoolFiles;
import org.packetrelay.testing.Traffic;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Ctrl+C itself (SIGINT, not SIGTERM) ends a capture cleanly: the open spool file is completed with its marker. */
class ShutdownSignalIT {

    @Test
    void sigintCompletesTheOpenSpoolFile() throws Exception {
        Path dir = RelayProcess.newWorkDir("sigint");
        int udpPort = Traffic.freePort();
        int mgmt = Traffic.freePort();
        Jolokia jolokia = new Jolokia(mgmt);
        try (RelayProcess p = RelayProcess.start(dir, Map.of("relay.roles", "sniffer", "sniffer.interfaces", "lo",
                "sniffer.filter", "udp port " + udpPort, "sniffer.save-interval", "3600", "camel.management.port", String.valueOf(mgmt)))) {
            p.awaitLog("Capturing on lo", 60);
            Traffic.udp("127.0.0.1", udpPort, 25, "ctrl-c".getBytes(StandardCharsets.US_ASCII));
            // captured (the consumer's counter), not yet in a complete file: save-interval is an hour
            String counter = "/read/org.apache.camel:type=consumers,name=PcapConsumer*,*/PacketsCaptured";
            long end = System.currentTimeMillis() + 30_000;
            while (!jolokia.get(counter).path("value").toString().contains("\"PacketsCaptured\":25") && System.currentTimeMillis() < end) {
                Thread.sleep(100);
            }
            assertTrue(jolokia.get(counter).path("value").toString().contains("\"PacketsCaptured\":25"), p.tail());
            assertEquals(List.of(), SpoolFiles.readyFiles(dir.resolve("logs/pending_upload")), "no complete file before the signal");

            Process kill = new ProcessBuilder("kill", "-INT", String.valueOf(p.pid())).start();
            assertTrue(kill.waitFor(10, TimeUnit.SECONDS) && kill.exitValue() == 0, "kill -INT");
            int code = p.waitFor(60);
            assertTrue(code == 0 || code == 130, "exit " + code + ": " + p.tail());
            // (Camel's log says 'triggered by SIGTERM' whatever the signal)
            assertTrue(p.out().contains("Shutting down Apache Camel"), p.tail());
        }
        Path pending = dir.resolve("logs/pending_upload");
        List<Path> ready = SpoolFiles.readyFiles(pending);
        assertEquals(1, ready.size(), "one completed file with its marker");
        assertEquals(25, SpoolFiles.rows(pending).stream().filter(r -> String.valueOf(udpPort).equals(r.get("dst_port"))).count());
        try (Stream<Path> s = Files.list(pending)) {
            assertTrue(s.noneMatch(f -> f.getFileName().toString().endsWith(".part")), "no .part left");
        }
    }
}
