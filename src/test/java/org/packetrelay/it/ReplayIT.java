package org.packetrelay.it;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
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
            Map<String, Long> perFile = new HashMap<>();
            rows.forEach(r -> perFile.merge(r.get("interface"), 1L, Long::sum));
            for (String line : Files.readAllLines(corpus.resolve("MANIFEST.tsv")).subList(1, files + 1)) {
                String[] c = line.split("\t");
                assertEquals(Long.parseLong(c[2]), perFile.getOrDefault(c[0], 0L), c[0]);
            }
            assertTrue(p.out().contains("Replay complete"), p.tail());
        }
    }

    /**
     * sniffer.file as a glob: the matching files in name order, a matching file that is not a capture skipped with one
     * warning (not two), files that do not match left out. No live-capture message is logged for a replay.
     */
    @Test
    void aGlobReplaysTheMatchingCapturesInNameOrder() throws Exception {
        Path corpus = RelayProcess.sharedDir().resolve("testdata/tcpdump-tests");
        List<String[]> manifest = Files.readAllLines(corpus.resolve("MANIFEST.tsv")).stream().skip(1).filter(l -> !l.isBlank())
                .map(l -> l.split("\t", -1)).filter(c -> c[0].endsWith(".pcap") && c[3].isEmpty() && Long.parseLong(c[2]) > 0)
                .limit(3).toList();
        Path dir = RelayProcess.newWorkDir("replay-glob");
        Path captures = Files.createDirectories(dir.resolve("captures"));
        long expected = 0;
        for (int i = 0; i < manifest.size(); i++) {
            Files.copy(corpus.resolve(manifest.get(i)[0]), captures.resolve("t" + i + ".pcap"));
            expected += Long.parseLong(manifest.get(i)[2]);
        }
        Files.writeString(captures.resolve("t9-notes.pcap"), "not a capture\n");
        Files.copy(corpus.resolve(manifest.get(0)[0]), captures.resolve("other.cap")); // does not match
        try (RelayProcess p = RelayProcess.start(dir, Map.of("relay.roles", "sniffer", "sniffer.file", captures + "/t*.pcap"))) {
            assertEquals(0, p.waitFor(120), p.tail());
            List<Map<String, String>> rows = SpoolFiles.rows(dir.resolve("logs/pending_upload"));
            assertEquals(expected, rows.size(), p.tail());
            // in name order: t0's rows, then t1's, then t2's
            List<String> order = rows.stream().map(r -> r.get("interface")).distinct().toList();
            assertEquals(List.of("t0.pcap", "t1.pcap", "t2.pcap"), order);
            String out = p.out();
            assertEquals(1, out.lines().filter(l -> l.contains("t9-notes.pcap")).count(), "one warning for the file that is no capture:\n"
                                                                                             + p.tail());
            assertTrue(out.lines().anyMatch(l -> l.contains("WARN") && l.contains("Skipping") && l.contains("t9-notes.pcap")), p.tail());
            assertTrue(!out.contains("other.cap") && !out.contains("the kernel drops"), p.tail());
        }
    }
}
