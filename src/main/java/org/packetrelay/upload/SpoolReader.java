package org.packetrelay.upload;

import java.io.BufferedReader;
import java.io.Closeable;
import java.io.IOException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.packetrelay.catalog.Field;

/**
 * Streams a spool file row by row (never the whole file in memory) with commons-csv: checks the header against
 * the field catalog and every row's cell count; bytes that are not UTF-8 are a format error, not a guess.
 */
public final class SpoolReader implements Closeable {
    private static final CSVFormat FORMAT = CSVFormat.RFC4180.builder().get();

    private final Path file;
    private final CSVParser parser;
    private final Iterator<CSVRecord> records;
    private long rowIndex;

    public SpoolReader(Path file) throws IOException, SpoolFormatException {
        CharsetDecoder dec = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        this.file = file;
        BufferedReader in = new BufferedReader(new java.io.InputStreamReader(Files.newInputStream(file), dec), 1 << 16);
        this.parser = CSVParser.builder().setReader(in).setFormat(FORMAT).get();
        this.records = parser.iterator();
        CSVRecord header = nextRecord();
        if (header == null) {
            close();
            throw new SpoolFormatException(1, "empty file (no header row)");
        }
        if (header.size() != Field.COUNT || !Field.KEYS.equals(header.toList())) {
            close();
            String got = String.join(",", header.toList());
            throw new SpoolFormatException(1, "header is not the field catalog's: '"
                                              + (got.length() > 80 ? got.substring(0, 80) + "..." : got) + "'");
        }
    }

    private CSVRecord nextRecord() throws SpoolFormatException {
        try {
            return records.hasNext() ? records.next() : null;
        } catch (java.io.UncheckedIOException | IllegalStateException e) {
            Throwable c = e.getCause() != null ? e.getCause() : e;
            if (c instanceof java.nio.charset.CharacterCodingException) {
                throw new SpoolFormatException(firstNonUtf8Line(file), "bytes that are not UTF-8");
            }
            throw new SpoolFormatException(parser.getCurrentLineNumber() + 1, "unreadable CSV: " + c.getMessage());
        }
    }

    /** The next row, or null at the end. Row numbers count from 0 (the header is not a row). */
    public SpoolRow next() throws SpoolFormatException {
        CSVRecord r = nextRecord();
        if (r == null) {
            return null;
        }
        long line = r.getRecordNumber();
        if (r.size() != Field.COUNT) {
            throw new SpoolFormatException(line, r.size() + " cells, expected " + Field.COUNT);
        }
        rowIndex++;
        return new SpoolRow(line, r.values());
    }

    /** The error path of a decoding failure: the reader decodes ahead, so find the line in a second pass. */
    static long firstNonUtf8Line(Path file) {
        try (java.io.InputStream in = new java.io.BufferedInputStream(Files.newInputStream(file))) {
            java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();
            long n = 1;
            int b;
            while (true) {
                b = in.read();
                if (b == '\n' || b < 0) {
                    try {
                        StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(line.toByteArray()));
                    } catch (java.nio.charset.CharacterCodingException e) {
                        return n;
                    }
                    if (b < 0) {
                        return n;
                    }
                    line.reset();
                    n++;
                } else {
                    line.write(b);
                }
            }
        } catch (IOException e) {
            return 0;
        }
    }

    /** Rows read so far. */
    public long rowsRead() {
        return rowIndex;
    }

    /** Skips {@code n} rows (already uploaded), still checking their shape. */
    public void skip(long n) throws SpoolFormatException {
        for (long i = 0; i < n; i++) {
            if (next() == null) {
                throw new SpoolFormatException(parser.getCurrentLineNumber(), "file is shorter than its checkpoint (" + n + " rows)");
            }
        }
    }

    @Override
    public void close() throws IOException {
        parser.close();
    }
}
