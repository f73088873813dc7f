package org.packetrelay.spool;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.packetrelay.catalog.Field;
import org.packetrelay.catalog.PacketRecord;
import org.packetrelay.testing.SpoolFiles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SpoolRecoveryTest {
    @TempDir
    Path logs;

    private static String row(int i) {
        PacketRecord r = new PacketRecord();
        r.setTimestamp(1_700_000_000_000_000_000L + i * 1000L, 6);
        r.setString(Field.INTERFACE, "lo");
        r.setNumber(Field.LENGTH, 60 + i);
        r.setString(Field.PROTOCOL, "UDP");
        r.setString(Field.TCP_FLAGS, "SYN,ACK");
        return r.toString();
    }

    private Spool spool(String roles) {
        Spool s = new Spool();
        s.setLogsDir(logs.toString());
        s.setRoles(roles);
        return s;
    }

    @Test
    void interruptedTempFileKeepsItsCompleteRowsAndUnmarkedCsvGetsItsMarker() throws Exception {
        Path pending = Files.createDirectories(logs.resolve("pending_upload"));
        String complete = Field.CSV_HEADER + "\n" + row(1) + row(2) + row(3);
        String cut = row(4).substring(0, 30);
        Files.writeString(pending.resolve("packets_20260101_000000_000.csv.part"), complete + cut, StandardCharsets.UTF_8);
        Files.writeString(pending.resolve("packets_20260101_000001_000.csv"), Field.CSV_HEADER + "\n" + row(5));
        Files.writeString(pending.resolve("packets_20260101_000002_000.csv.part"), Field.CSV_HEADER.substring(0, 20));
        Files.writeString(pending.resolve("packets_20260101_000003_000.csv"), Field.CSV_HEADER + "\n" + row(6));
        Files.createFile(pending.resolve("packets_20260101_000003_000.csv.ready"));

        spool("sniffer,sender").recover();

        try (Stream<Path> s = Files.list(pending)) {
            List<String> names = s.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(List.of("packets_20260101_000000_000.csv", "packets_20260101_000000_000.csv.ready",
                    "packets_20260101_000001_000.csv", "packets_20260101_000001_000.csv.ready",
                    "packets_20260101_000003_000.csv", "packets_20260101_000003_000.csv.ready"), names);
        }
        List<Map<String, String>> rows = SpoolFiles.rowsOf(pending.resolve("packets_20260101_000000_000.csv"));
        assertEquals(3, rows.size());
        assertEquals("SYN,ACK", rows.get(2).get("tcp_flags"));
        assertEquals("63", rows.get(2).get("length"));
        assertEquals(complete, Files.readString(pending.resolve("packets_20260101_000000_000.csv")));
    }

    @Test
    void aSenderOnlyProcessNeverTouchesTheSniffersTempFiles() throws Exception {
        Path pending = Files.createDirectories(logs.resolve("pending_upload"));
        Path part = Files.writeString(pending.resolve("packets_20260101_000000_000.csv.part"), Field.CSV_HEADER + "\n" + row(1));
        spool("sender").recover();
        assertTrue(Files.exists(part));
        assertFalse(Files.exists(pending.resolve("packets_20260101_000000_000.csv")));
    }

    @Test
    void namesSortInOrderAndNeverCollide() throws Exception {
        Spool s = spool("sniffer");
        Files.createDirectories(s.pendingDir());
        List<String> names = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            String n = s.nextName();
            Files.createFile(s.pendingDir().resolve(n));
            names.add(n);
        }
        assertEquals(2000, new HashSet<>(names).size());
        List<String> sorted = new ArrayList<>(names);
        Collections.sort(sorted);
        for (int i = 0; i < names.size(); i++) {
            assertEquals(names.get(i), sorted.get(i), "lexical order is creation order at " + i);
        }
        // a new process (new Spool) in the same millisecond does not reuse a name on disk
        Spool again = spool("sniffer");
        assertFalse(names.contains(again.nextName()));
    }
}
