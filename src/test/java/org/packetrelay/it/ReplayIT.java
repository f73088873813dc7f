package org.packetrelay.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.packetrelay.testing.RelayProcess;
import org.packetrelay.testing.SpoolFiles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** A replay-only run (relay.roles=sniffer + sniffer.file) spools every packet and exits 0. */
class ReplayIT {

    @Test
    void wholeCorpusFolderIsSpooledRowForPacketAndTheRunExitsZero() throws Exception {
        Path corpus = RelayProcess.sharedDir().resolve("testdata/tcpdump-tests");
        long expected = 0;
        int files = 0;
        for (String line : Files.readAllLines(corpus.resolve("MANIFEST.tsv")).subList(1, Files.readAllLines(corpus.resolve("MANIFEST.tsv")).size())) {
            expected += Long.parseLong(line.split("\t")[2]);
            files++;
        }
        Path dir = RelayProcess.newWorkDir("replay");
        try (RelayProcess p = RelayProcess.start(dir, Map.of(
                "relay.roles", "sniffer",
                "sniffer.file", corpus.toString(),
                // small files: the size cap is exercised many times over
                "sniffer.max-packets-per-file", "5000"))) {
            assertEquals(0, p.waitFor(300), p.tail());
            Path pending = dir.resolve("logs/pending_upload");
            List<Map<String, String>> rows = SpoolFiles.rows(pending);
            assertEquals(expected, rows.size(), "rows for the " + files + " captures of the manifest");
            List<Path> ready = SpoolFiles.readyFiles(pending);
            assertTrue(ready.size() >= expected / 5000, "files: " + ready.size());
            try (Stream<Path> s = Files.list(pending)) {
                List<String> names = s.map(x -> x.getFileName().toString()).toList();
                assertEquals(2L * ready.size(), names.size(), "only .csv files and their markers: " + names);
                for (String n : names) {
                    assertTrue(n.matches("packets_\\d{8}_\\d{6}_\\d{3}(_\\d{3})?\\.csv(\\.ready)?"), n);
                }
            }
            // per capture file, rows == manifest count (the interface column names the replayed file)
            Map<String, Long> perFile = new java.util.HashMap<>();
            rows.forEach(r -> perFile.merge(r.get("interface"), 1L, Long::sum));
            for (String line : Files.readAllLines(corpus.resolve("MANIFEST.tsv")).subList(1, files + 1)) {
                String[] c = line.split("\t");
                assertEquals(Long.parseLong(c[2]), perFile.getOrDefault(c[0], 0L), c[0]);
            }
            assertTrue(p.out().contains("Replay complete"), p.tail());
        }
    }
}
