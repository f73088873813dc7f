package org.packetrelay.bench;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.SerializedString;
import com.sun.management.ThreadMXBean;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.packetrelay.catalog.Field;
import org.packetrelay.catalog.FieldType;
import org.packetrelay.upload.SpoolFormatException;
import org.packetrelay.upload.SpoolTranscoder;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * The upload hot path in this JVM on one thread, without HTTP, over the benchmark's spool: reading the bytes, decoding
 * them, the path before {@link SpoolTranscoder} for comparison (commons-csv with a strict UTF-8 reader, then Jackson's
 * generator for the typed values, as the removed SpoolReader and JsonBatchWriter did), and SpoolTranscoder skipping
 * rows (a resumed file) and writing 500-row batches as the spool format does, checked first byte for byte against the
 * Jackson path. Each stage runs on 2 files to warm up, then on all; rates are per CPU second of the thread (so that
 * other processes on the machine matter less), with bytes allocated per row and wall-clock rows/s.
 */
final class UploadProfile {
    private static final int BATCH = 500;
    private static final CSVFormat CSV = CSVFormat.RFC4180.builder().get();
    private final Consumer<String> out;
    private final long totalRecords;

    UploadProfile(Consumer<String> out, long totalRecords) {
        this.out = out;
        this.totalRecords = totalRecords;
    }

    private void line(String fmt, Object... args) {
        out.accept(args.length == 0 ? fmt : String.format(Locale.ROOT, fmt, args));
    }

    private static double secs(long t0) {
        return (System.nanoTime() - t0) / 1e9;
    }

    private interface Stage {
        /** Processes one file, returns [rows, output bytes]. */
        long[] run(Path file) throws Exception;
    }

    void run(List<Path> spool, long csvBytes) throws Exception {
        line("The hot path in this JVM, one thread, no HTTP (warm-up on 2 files, then all %d files; JIT-warm, page cache warm):", spool.size());
        line("  rates per CPU second of the thread (robust when other processes take the cores), then wall-clock rows/s");
        line("  %-68s %11s %8s %9s %8s %11s %10s %6s", "stage", "rows/CPU-s", "CPU us", "CSV MB/", "JSON MB/", "alloc B", "rows/s", "wall");
        line("  %-68s %11s %8s %9s %8s %11s %10s %6s", "", "", "per row", "CPU-s", "CPU-s", "per row", "(wall)", "s");

        stage("read the bytes (InputStream, 64 KiB reads)", spool, csvBytes, f -> {
            long n = 0;
            byte[] b = new byte[1 << 16];
            try (InputStream in = Files.newInputStream(f)) {
                int r;
                while ((r = in.read(b)) > 0) {
                    n += r;
                }
            }
            return new long[] {-1, 0};
        });
        stage("+ UTF-8 decode, split lines (BufferedReader.readLine)", spool, csvBytes, f -> {
            long n = 0;
            try (var r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
                while (r.readLine() != null) {
                    n++;
                }
            }
            return new long[] {n - 1, 0};
        });
        stage("before: commons-csv 1.14 (strict UTF-8 reader) alone", spool, csvBytes, f -> {
            long n = 0;
            try (CSVParser p = parser(f)) {
                for (CSVRecord r : p) {
                    n++;
                }
            }
            return new long[] {n - 1, 0};
        });
        stage("before: commons-csv + FieldType.parse + Jackson generator, 500/batch", spool, csvBytes, f -> {
            long[] json = {0};
            long n = jacksonBatches(f, body -> json[0] += body.length);
            return new long[] {n, json[0]};
        });

        // SpoolTranscoder, checked against the Jackson path on the first file before it is timed
        checkTranscoder(spool.get(0));
        stage("SpoolTranscoder.skip (a resumed file: shape and UTF-8 checked)", spool, csvBytes, f -> {
            long n;
            try (SpoolTranscoder t = new SpoolTranscoder(f)) {
                try {
                    t.skip(Long.MAX_VALUE);
                } catch (SpoolFormatException e) {
                    // the end: "shorter than its checkpoint"
                }
                n = t.rowsRead();
            }
            return new long[] {n, 0};
        });
        SpoolTranscoder.Output buf = new SpoolTranscoder.Output(1024 * BATCH);
        stage("SpoolTranscoder, 500/batch (the spool format minus HTTP)", spool, csvBytes, f -> {
            long n = 0;
            long json = 0;
            try (SpoolTranscoder t = new SpoolTranscoder(f)) {
                int k;
                while ((k = batch(t, buf)) > 0) {
                    json += buf.toByteArray().length; // the body posted
                    n += k;
                }
            }
            return new long[] {n, json};
        });
    }

    /** The next batch in {@code out} as the spool format makes it: [ + up to 500 row objects joined by , + ]; its rows. */
    private static int batch(SpoolTranscoder t, SpoolTranscoder.Output out) throws Exception {
        out.reset();
        out.put((byte) '[');
        int k = 0;
        while (k < BATCH) {
            int mark = out.size();
            if (k > 0) {
                out.put((byte) ',');
            }
            if (!t.next(out)) {
                out.truncate(mark);
                break;
            }
            k++;
        }
        if (k > 0) {
            out.put((byte) ']');
        }
        return k;
    }

    private static CSVParser parser(Path f) throws IOException {
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        return CSVParser.builder().setReader(new BufferedReader(new InputStreamReader(Files.newInputStream(f), dec), 1 << 16))
                .setFormat(CSV).get();
    }

    private static final JsonFactory JSON = new JsonFactory();
    private static final SerializableString[] KEYS = new SerializableString[Field.COUNT];

    static {
        for (Field f : Field.ALL) {
            KEYS[f.ordinal()] = new SerializedString(f.key());
        }
    }

    /**
     * The path before SpoolTranscoder: commons-csv rows, typed with {@link FieldType#parse} and written by Jackson's
     * generator, 500 rows a batch (the spool is valid: no error messages); returns the rows.
     */
    static long jacksonBatches(Path f, Consumer<byte[]> batches) throws IOException {
        long rows = 0;
        try (CSVParser p = parser(f)) {
            var it = p.iterator();
            it.next(); // the header
            while (it.hasNext()) {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream(BATCH * 700);
                try (JsonGenerator g = JSON.createGenerator(bytes)) {
                    g.writeStartArray();
                    for (int k = 0; k < BATCH && it.hasNext(); k++) {
                        CSVRecord r = it.next();
                        rows++;
                        g.writeStartObject();
                        for (int i = 0; i < Field.COUNT; i++) {
                            g.writeFieldName(KEYS[i]);
                            String c = r.get(i);
                            Object v = Field.ALL[i].type().parse(c);
                            if (v == null) {
                                g.writeNull();
                            } else if (v instanceof Long l) {
                                g.writeNumber(l);
                            } else if (v instanceof Boolean b) {
                                g.writeBoolean(b);
                            } else if (Field.ALL[i].type() == FieldType.TIMESTAMP) {
                                g.writeNumber(c);
                            } else {
                                g.writeString(c);
                            }
                        }
                        g.writeEndObject();
                    }
                    g.writeEndArray();
                }
                batches.accept(bytes.toByteArray());
            }
        }
        return rows;
    }

    private void stage(String name, List<Path> spool, long csvBytes, Stage s) throws Exception {
        for (int i = 0; i < Math.min(2, spool.size()); i++) {
            s.run(spool.get(i));
        }
        System.gc();
        long rows = 0;
        long json = 0;
        ThreadMXBean tmx = (ThreadMXBean) ManagementFactory.getThreadMXBean();
        long a0 = tmx.getCurrentThreadAllocatedBytes();
        long c0 = tmx.getCurrentThreadCpuTime();
        long t0 = System.nanoTime();
        for (Path f : spool) {
            long[] r = s.run(f);
            rows += r[0];
            json += r[1];
        }
        double secs = secs(t0);
        double cpu = (tmx.getCurrentThreadCpuTime() - c0) / 1e9;
        long alloc = tmx.getCurrentThreadAllocatedBytes() - a0;
        long perRow = rows > 0 ? rows : totalRecords;
        line("  %-68s %11s %8.2f %9.0f %8s %,11.0f %10s %6.2f", name, rows < 0 ? "-" : String.format(Locale.ROOT, "%,.0f", rows / cpu),
                cpu * 1e6 / perRow, csvBytes / cpu / 1e6, json == 0 ? "-" : String.format(Locale.ROOT, "%.0f", json / cpu / 1e6),
                alloc / (double) perRow, rows < 0 ? "-" : String.format(Locale.ROOT, "%,.0f", rows / secs), secs);
    }

    /** SpoolTranscoder writes the same bytes as commons-csv + FieldType.parse + Jackson (first file). */
    private static void checkTranscoder(Path file) throws Exception {
        List<byte[]> want = new ArrayList<>();
        jacksonBatches(file, want::add);
        SpoolTranscoder.Output out = new SpoolTranscoder.Output(1024 * BATCH);
        try (SpoolTranscoder t = new SpoolTranscoder(file)) {
            for (int i = 0; i <= want.size(); i++) {
                byte[] got = batch(t, out) > 0 ? out.toByteArray() : null;
                byte[] w = i < want.size() ? want.get(i) : null;
                if (!Arrays.equals(w, got)) {
                    fail("SpoolTranscoder's JSON differs from Jackson's in batch " + i + ":\n"
                         + (w == null ? "(none)" : new String(w, 0, Math.min(600, w.length), StandardCharsets.UTF_8)) + "\n"
                         + (got == null ? "(none)" : new String(got, 0, Math.min(600, got.length), StandardCharsets.UTF_8)));
                }
            }
        }
    }
}
