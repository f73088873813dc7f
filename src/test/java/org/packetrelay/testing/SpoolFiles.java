package org.packetrelay.testing;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.packetrelay.catalog.Field;
import org.packetrelay.catalog.PacketRecord;

/** Reads spool files the way the sender will: only .csv files with their .ready marker, header checked. */
public final class SpoolFiles {
    private SpoolFiles() {
    }

    public static List<Path> readyFiles(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(p -> p.getFileName().toString().endsWith(".csv"))
                    .filter(p -> Files.exists(p.resolveSibling(p.getFileName() + ".ready")))
                    .sorted().toList();
        }
    }

    /** Every row of every ready file, as field key -> cell (an empty cell is null). */
    public static List<Map<String, String>> rows(Path dir) throws IOException {
        List<Map<String, String>> out = new ArrayList<>();
        for (Path f : readyFiles(dir)) {
            out.addAll(rowsOf(f));
        }
        return out;
    }

    /** Rows of every .csv file in {@code dir}, marker or not (processed/ has none); -1 while that cannot be read. */
    public static long rowsQuietly(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            long n = 0;
            for (Path f : s.filter(p -> p.getFileName().toString().endsWith(".csv")).toList()) {
                n += rowsOf(f).size();
            }
            return n;
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    public static List<Map<String, String>> rowsOf(Path file) throws IOException {
        List<Map<String, String>> out = new ArrayList<>();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8);
             CSVParser p = CSVFormat.RFC4180.builder().setHeader().setSkipHeaderRecord(true).get().parse(r)) {
            if (!p.getHeaderNames().equals(Field.KEYS)) {
                throw new IllegalStateException(file + ": header " + p.getHeaderNames());
            }
            for (CSVRecord rec : p) {
                if (rec.size() != Field.COUNT) {
                    throw new IllegalStateException(file + " line " + rec.getRecordNumber() + ": " + rec.size() + " cells");
                }
                Map<String, String> m = new HashMap<>();
                for (Field f : Field.ALL) {
                    String v = rec.get(f.ordinal());
                    m.put(f.key(), v.isEmpty() ? null : v);
                }
                out.add(m);
            }
        }
        return out;
    }

    /** Polls until {@code enough} holds for the rows (or the deadline passes); returns the last rows read. */
    public static List<Map<String, String>> awaitRows(Path dir, Predicate<List<Map<String, String>>> enough, long timeoutMs)
            throws IOException, InterruptedException {
        long end = System.currentTimeMillis() + timeoutMs;
        List<Map<String, String>> rows = rows(dir);
        while (!enough.test(rows) && System.currentTimeMillis() < end) {
            Thread.sleep(200);
            rows = rows(dir);
        }
        return rows;
    }

    /**
     * Writes a spool file as the sniffer does — catalog header, {@code rows} records (row i has length i and
     * community_id {@code row-i}) — and then its {@code .ready} marker.
     */
    public static Path writeReady(Path pending, String name, int rows) throws IOException {
        Files.createDirectories(pending);
        StringBuilder sb = new StringBuilder(Field.CSV_HEADER).append('\n');
        PacketRecord r = new PacketRecord();
        for (int i = 0; i < rows; i++) {
            r.clear();
            r.setTimestamp(1_700_000_000_000_000_000L + i * 1000L, 6);
            r.setString(Field.INTERFACE, "lo");
            r.setNumber(Field.LENGTH, i);
            r.setString(Field.COMMUNITY_ID, "row-" + i);
            r.appendCsv(sb);
        }
        Path f = pending.resolve(name);
        Files.writeString(f, sb, StandardCharsets.UTF_8);
        Files.createFile(pending.resolve(name + ".ready"));
        return f;
    }

    public static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
