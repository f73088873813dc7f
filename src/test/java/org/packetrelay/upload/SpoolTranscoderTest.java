package org.packetrelay.upload;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.StringReader;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.packetrelay.catalog.Field;
import org.packetrelay.catalog.FieldType;
import org.packetrelay.catalog.PacketRecord;
import org.packetrelay.catalog.WireText;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link SpoolTranscoder} against commons-csv + {@link FieldType#parse} + Jackson: the same typed values (and the same
 * bytes as Jackson's generator writes) for rows of {@link PacketRecord} with hostile strings, line ends of every kind,
 * rows that cross the end of the read buffer; and every error message, with its line.
 */
class SpoolTranscoderTest {
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    private static final JsonFactory JSON = new JsonFactory();
    private static final String HEADER = Field.CSV_HEADER + "\n";
    /** Read-buffer sizes: the default, and small ones that make rows cross the buffer's end everywhere. */
    private static final int[] BUFFERS = { 1 << 16, 1, 7, 100, 4096 };

    @TempDir
    Path dir;

    // ------------------------------------------------------------------------------------------------ fixtures

    private static PacketRecord plain(long i) {
        return SpoolFixtures.record(i, "t" + i);
    }

    /** Rows with every field type at its edges and strings that need quoting, escaping or strict UTF-8. */
    private static List<PacketRecord> hostile() {
        List<String> texts = List.of(
                "a,b", "say \"hi\"", "\"", "\"\"", ",", "back\\slash\\", "\\x41 literally",
                WireText.escape(new byte[] { 'G', 'E', 'T', 0, 1, 0x1F, 0x7F, 10, 13, (byte) 0xFF, (byte) 0xC3, '\\', 'x' }, 0, 13),
                "caf\u00e9 \u65e5\u672c\u8a9e \u0416 \ud83d\ude00 \ud800\udc00 \udbff\udfff \u00a0\u2028\u2029\ufeff",
                "x".repeat(10_000), "\u00e9".repeat(5_000) + ",\"" + "\ud83d\ude00".repeat(100),
                "line\nbreak", "cr\rin the middle", "crlf\r\nin the middle", "\n", "\r\n",
                "tab\there", "\u0001\u0008\u000c\u001f", "ends with a quote\"", " leading and trailing spaces ",
                "/p?a=1&b=\"2\",c='3'", "{\"json\":[1,2]}", "</script>", "null", "true", "123");
        List<PacketRecord> rows = new ArrayList<>();
        long i = 0;
        for (String t : texts) {
            PacketRecord r = plain(i++);
            r.setString(Field.HTTP_PATH, t);
            r.setString(Field.DNS_QNAME, t);
            r.setString(Field.DECODE_ERROR, t);
            r.setString(Field.INTERFACE, t);
            rows.add(r);
        }
        PacketRecord max = plain(i++);
        PacketRecord min = plain(i++);
        for (Field f : Field.ALL) {
            switch (f.type()) {
                case INT -> {
                    max.setNumber(f, Integer.MAX_VALUE);
                    min.setNumber(f, Integer.MIN_VALUE);
                }
                case LONG -> {
                    max.setNumber(f, Long.MAX_VALUE);
                    min.setNumber(f, Long.MIN_VALUE);
                }
                case BOOL -> {
                    max.setBool(f, true);
                    min.setBool(f, false);
                }
                case STRING -> max.setString(f, "s" + f.ordinal());
                default -> {
                }
            }
        }
        max.setTimestamp(Long.MAX_VALUE, 9);
        min.setTimestamp(0, 6);
        rows.add(max);
        rows.add(min);
        PacketRecord empty = new PacketRecord(); // every cell empty: all null
        rows.add(empty);
        PacketRecord zeros = plain(i++);
        for (Field f : Field.ALL) {
            if (f.type() == FieldType.INT || f.type() == FieldType.LONG) {
                zeros.setNumber(f, 0);
            }
        }
        rows.add(zeros);
        PacketRecord nanos = plain(i);
        nanos.setTimestamp(1_701_234_567_000_000_009L, 9);
        nanos.setNumber(Field.SEQ, -1);
        rows.add(nanos);
        return rows;
    }

    private static byte[] file(List<PacketRecord> rows) {
        StringBuilder sb = new StringBuilder(HEADER);
        for (PacketRecord r : rows) {
            r.appendCsv(sb);
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    /** One row of the catalog's width whose cell {@code field} is {@code cell} (as CSV text) and the rest empty. */
    private static String rowWith(Field field, String cell) {
        String[] cells = new String[Field.COUNT];
        Arrays.fill(cells, "");
        cells[field.ordinal()] = cell;
        return String.join(",", cells) + "\n";
    }

    // ------------------------------------------------------------------------------------------------ running it

    /** Batches of up to {@code batch} rows as the spool format makes them ([ + rows joined by , + ]), after skipping. */
    private static List<byte[]> transcode(byte[] content, int buffer, long skip, int batch) throws IOException, SpoolFormatException {
        List<byte[]> bodies = new ArrayList<>();
        SpoolTranscoder.Output out = new SpoolTranscoder.Output(16);
        try (SpoolTranscoder t = new SpoolTranscoder(new ByteArrayInputStream(content), buffer)) {
            t.skip(skip);
            assertEquals(skip, t.rowsRead());
            while (true) {
                out.reset();
                out.put((byte) '[');
                int n = 0;
                while (n < batch) {
                    int mark = out.size();
                    if (n > 0) {
                        out.put((byte) ',');
                    }
                    if (!t.next(out)) {
                        assertEquals(mark + (n > 0 ? 1 : 0), out.size(), "nothing written at the end");
                        out.truncate(mark);
                        break;
                    }
                    n++;
                }
                if (n == 0) {
                    assertFalse(t.next(out), "the end stays the end");
                    break;
                }
                out.put((byte) ']');
                bodies.add(out.toByteArray());
            }
        }
        return bodies;
    }

    /** The rows commons-csv reads from the file, as FieldType.parse types them (the header dropped). */
    private static List<Object[]> expected(byte[] content, long skip) throws IOException {
        List<Object[]> rows = new ArrayList<>();
        try (CSVParser p = CSVParser.builder().setReader(new StringReader(new String(content, StandardCharsets.UTF_8)))
                .setFormat(CSVFormat.RFC4180).get()) {
            Iterator<CSVRecord> it = p.iterator();
            assertEquals(Field.KEYS, it.next().toList());
            long n = 0;
            while (it.hasNext()) {
                CSVRecord r = it.next();
                assertEquals(Field.COUNT, r.size());
                if (n++ < skip) {
                    continue;
                }
                Object[] v = new Object[Field.COUNT];
                for (int i = 0; i < Field.COUNT; i++) {
                    v[i] = Field.ALL[i].type().parse(r.get(i));
                }
                rows.add(v);
            }
        }
        return rows;
    }

    /** The JSON Jackson's generator writes for those typed values, in batches of {@code batch}. */
    private static List<byte[]> jackson(List<Object[]> rows, int batch) throws IOException {
        List<byte[]> bodies = new ArrayList<>();
        for (int from = 0; from < rows.size(); from += batch) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            try (JsonGenerator g = JSON.createGenerator(out)) {
                g.writeStartArray();
                for (Object[] row : rows.subList(from, Math.min(rows.size(), from + batch))) {
                    g.writeStartObject();
                    for (int i = 0; i < Field.COUNT; i++) {
                        g.writeFieldName(Field.ALL[i].key());
                        Object v = row[i];
                        if (v == null) {
                            g.writeNull();
                        } else if (v instanceof Long l) {
                            g.writeNumber(l);
                        } else if (v instanceof Boolean b) {
                            g.writeBoolean(b);
                        } else if (v instanceof BigDecimal d) {
                            g.writeNumber(d.toPlainString());
                        } else {
                            g.writeString((String) v);
                        }
                    }
                    g.writeEndObject();
                }
                g.writeEndArray();
            }
            bodies.add(out.toByteArray());
        }
        return bodies;
    }

    /** Transcodes with every buffer size and checks values (and bytes) against commons-csv + Jackson; returns the rows. */
    private static int assertSameAsJackson(byte[] content, long skip) throws Exception {
        List<Object[]> want = expected(content, skip);
        for (int batch : new int[] { 500, 3 }) {
            List<byte[]> jackson = jackson(want, batch);
            for (int buffer : BUFFERS) {
                String where = "buffer " + buffer + ", batch " + batch + ", skip " + skip;
                List<byte[]> bodies = transcode(content, buffer, skip, batch);
                assertEquals(jackson.size(), bodies.size(), where);
                int r = 0;
                for (int b = 0; b < bodies.size(); b++) {
                    JsonNode array = MAPPER.readTree(bodies.get(b));
                    assertTrue(array.isArray(), where);
                    for (JsonNode obj : array) {
                        assertRow(want.get(r), obj, where + ", row " + (skip + r));
                        r++;
                    }
                    assertArrayEquals(jackson.get(b), bodies.get(b), () -> where + ": not the bytes Jackson writes");
                }
                assertEquals(want.size(), r, where);
            }
        }
        return want.size();
    }

    private static void assertRow(Object[] want, JsonNode got, String where) {
        assertTrue(got.isObject(), where);
        List<String> keys = new ArrayList<>();
        got.fieldNames().forEachRemaining(keys::add);
        assertEquals(Field.KEYS, keys, where);
        for (int i = 0; i < Field.COUNT; i++) {
            Object w = want[i];
            JsonNode g = got.get(Field.ALL[i].key());
            String at = where + ", " + Field.ALL[i].key() + ": " + g;
            if (w == null) {
                assertTrue(g.isNull(), at);
            } else if (w instanceof Long l) {
                assertTrue(g.isIntegralNumber() && g.canConvertToLong(), at);
                assertEquals(l.longValue(), g.longValue(), at);
                if (Field.ALL[i].type() == FieldType.INT) {
                    assertTrue(g.canConvertToInt(), at);
                }
            } else if (w instanceof Boolean b) {
                assertTrue(g.isBoolean(), at);
                assertEquals(b, g.booleanValue(), at);
            } else if (w instanceof BigDecimal d) {
                assertTrue(g.isNumber(), at);
                assertEquals(0, d.compareTo(g.decimalValue()), at);
            } else {
                assertTrue(g.isTextual(), at);
                assertEquals(w, g.textValue(), at);
            }
        }
    }

    /** The message of the SpoolFormatException that transcoding (after skipping {@code skip}) throws, the same for every buffer. */
    private static String error(byte[] content, long skip) {
        String msg = null;
        for (int buffer : BUFFERS) {
            SpoolFormatException e = assertThrows(SpoolFormatException.class, () -> transcode(content, buffer, skip, 500),
                    "buffer " + buffer);
            assertTrue(e.isPermanent());
            if (msg == null) {
                msg = e.getMessage();
            } else {
                assertEquals(msg, e.getMessage(), "buffer " + buffer);
            }
        }
        return msg;
    }

    private static String error(byte[] content) {
        return error(content, 0);
    }

    private static String error(String content) {
        return error(bytes(content));
    }

    // ------------------------------------------------------------------------------------------------ values

    @Test
    void sniffersRowsAreJacksonsJson() throws Exception {
        List<PacketRecord> rows = new ArrayList<>();
        for (int i = 0; i < 1234; i++) {
            rows.add(plain(i));
        }
        assertEquals(1234, assertSameAsJackson(file(rows), 0));
    }

    @Test
    void hostileStringsAndEdgeValuesAreJacksonsJson() throws Exception {
        List<PacketRecord> rows = hostile();
        byte[] content = file(rows);
        assertEquals(rows.size(), assertSameAsJackson(content, 0));
        // as written to disk and read with the Path constructor
        Path f = dir.resolve("hostile.csv");
        Files.write(f, content);
        SpoolTranscoder.Output out = new SpoolTranscoder.Output(16);
        int n = 0;
        try (SpoolTranscoder t = new SpoolTranscoder(f)) {
            while (t.next(out)) {
                n++;
                out.put((byte) ',');
            }
        }
        assertEquals(rows.size(), n);
        out.truncate(out.size() - 1);
        JsonNode all = MAPPER.readTree("[" + out + "]");
        assertEquals("x".repeat(10_000), all.get(9).get("http_path").textValue());
        assertTrue(all.get(8).get("dns_qname").textValue().startsWith("caf\u00e9 \u65e5\u672c\u8a9e \u0416 \ud83d\ude00 "));
    }

    @Test
    void lineEndsOfEveryKindAndNoneAtTheEnd() throws Exception {
        List<PacketRecord> rows = hostile();
        String lf = new String(file(rows), StandardCharsets.UTF_8);
        // the line ends between rows (not those inside quoted cells: they are data)
        String crlf = HEADER.replace("\n", "\r\n");
        String cr = HEADER.replace("\n", "\r");
        StringBuilder crlfRows = new StringBuilder(crlf);
        StringBuilder crRows = new StringBuilder(cr);
        for (PacketRecord r : rows) {
            String row = r.toString();
            crlfRows.append(row, 0, row.length() - 1).append("\r\n");
            crRows.append(row, 0, row.length() - 1).append("\r");
        }
        int n = rows.size();
        assertEquals(n, assertSameAsJackson(bytes(lf), 0));
        assertEquals(n, assertSameAsJackson(bytes(lf.substring(0, lf.length() - 1)), 0), "no line end after the last row");
        assertEquals(n, assertSameAsJackson(bytes(crlfRows.toString()), 0), "CRLF");
        String c = crlfRows.toString();
        assertEquals(n, assertSameAsJackson(bytes(c.substring(0, c.length() - 2)), 0), "CRLF, none at the end");
        assertEquals(n, assertSameAsJackson(bytes(crRows.toString()), 0), "CR alone");
        // a header only, with and without line end: no rows
        assertEquals(0, assertSameAsJackson(bytes(HEADER), 0));
        assertEquals(0, assertSameAsJackson(bytes(Field.CSV_HEADER), 0));
        // the last cell empty and no line end; the last cell quoted and no line end
        PacketRecord r = plain(1);
        r.setString(Field.DECODE_ERROR, "a,b");
        String row = r.toString();
        assertEquals(1, assertSameAsJackson(bytes(HEADER + row.substring(0, row.length() - 1)), 0));
        assertEquals(1, assertSameAsJackson(bytes(HEADER + plain(2).toString().trim()), 0));
    }

    @Test
    void cellsInEveryFormTheCatalogReadsBack() throws Exception {
        StringBuilder sb = new StringBuilder(HEADER);
        for (String v : List.of("0", "-0", "+5", "007", "-007", "\"443\"", "2147483647", "-2147483648", "+2147483647", "00000000000000000001")) {
            sb.append(rowWith(Field.DST_PORT, v));
        }
        for (String v : List.of("9223372036854775807", "-9223372036854775808", "+9223372036854775807", "123456789012345678",
                "1234567890123456789", "-1234567890123456789", "000000000000000000000000042")) {
            sb.append(rowWith(Field.SEQ, v));
        }
        for (String v : List.of("1701234567", "1701234567.5", "0.000000001", "00001.10", "000", "00.5", "\"1701234567.123456\"",
                "1".repeat(30), "123456789012345678901234567.89")) {
            sb.append(rowWith(Field.TIMESTAMP, v));
        }
        for (String v : List.of("true", "false", "\"true\"", "\"false\"", "\"\"")) {
            sb.append(rowWith(Field.TCP_SYN, v));
        }
        for (String v : List.of("\"\"", "\"\"\"\"", "\"\"\"a\"", "\"a\"\"\"", "\"a,b\"", "\"\\\"\"\"", "\"\r\"", "\"\n\n\"", "\"\u00e9,\"")) {
            sb.append(rowWith(Field.HTTP_PATH, v));
            sb.append(rowWith(Field.DECODE_ERROR, v)); // the last cell
        }
        assertEquals(49, assertSameAsJackson(bytes(sb.toString()), 0));
    }

    @Test
    void skipResumesAfterTheCheckpointCheckingTheShape() throws Exception {
        List<PacketRecord> rows = hostile();
        byte[] content = file(rows);
        for (long skip : new long[] { 1, 7, 9, rows.size() - 1, rows.size() }) {
            assertEquals(rows.size() - skip, assertSameAsJackson(content, skip));
        }
        // a skipped row is still checked: cell count, quoting, UTF-8 (not the types: they were sent already)
        String good = plain(1).toString();
        assertEquals("line 3: 43 cells, expected 44", error(bytes(HEADER + good + good.substring(good.indexOf(',') + 1) + good), 2));
        assertEquals("line 2: a quote inside an unquoted cell (src_ip)",
                error(bytes(HEADER + good.replace("10.0.0.1", "10.0\"") + good), 2));
        assertEquals("line 3: bytes that are not UTF-8",
                error(concat(bytes(HEADER + good + "x"), new byte[] { (byte) 0xC0, (byte) 0xAF }, bytes(good)), 2));
        assertEquals(0, assertSameAsJackson(bytes(HEADER + good.replace(",443,", ",https,")), 1), "types are not checked");
    }

    // ------------------------------------------------------------------------------------------------ errors

    @Test
    void headerErrors() {
        assertEquals("line 1: empty file (no header row)", error(new byte[0]));
        assertEquals("line 1: header is not the field catalog's: 'a,b,c'", error("a,b,c\n1,2,3\n"));
        assertEquals("line 1: header is not the field catalog's: ''", error("\n"));
        String other = Field.CSV_HEADER.replace("src_ip", "source_ip");
        assertEquals("line 1: header is not the field catalog's: '" + other.substring(0, 80) + "...'", error(other + "\n"));
        assertEquals("line 1: header is not the field catalog's: '" + Field.CSV_HEADER.substring(0, 80) + "...'",
                error(Field.CSV_HEADER + ",extra\n"), "a cell more");
        assertEquals("line 1: header is not the field catalog's: 'a,?,d'", error("a,\"b\"\"c\",d\n"), "a cell unlike a name");
        assertEquals("line 1: header is not the field catalog's: '?'", error("root:x:0:0:root:/root:/bin/bash\n"),
                "the content of a file that is not a spool file is not echoed");
        assertEquals("line 1: header is not the field catalog's: '" + ",".repeat(80) + "...'", error(",".repeat(500) + "\n"));
        assertEquals("line 1: bytes that are not UTF-8", error(concat(bytes("time"), new byte[] { (byte) 0xFF }, bytes("stamp\n"))));
        assertEquals("line 1: a quoted cell (timestamp) that is not closed before the end of the file", error("\"timestamp,interface\n"));
    }

    @Test
    void cellCountErrors() {
        String good = plain(1).toString();
        assertEquals("line 3: 3 cells, expected 44", error(HEADER + good + "1,2,3\n"));
        assertEquals("line 2: 45 cells, expected 44", error(HEADER + good.replace("\n", ",x\n")));
        assertEquals("line 2: 1 cells, expected 44", error(HEADER + "\n" + good), "an empty line");
        assertEquals("line 3: 1 cells, expected 44", error(HEADER + good + "\n"), "an empty line at the end");
        assertEquals("line 3: 1 cells, expected 44", error(HEADER + good + "\r\n\r\n"), "an empty line at the end, CRLF");
        assertEquals("line 2: 200 cells, expected 44", error(HEADER + ",".repeat(199) + "\n"));
    }

    @Test
    void bytesThatAreNotUtf8() {
        String good = plain(1).toString();
        byte[][] bad = {
                { (byte) 0xFF }, { (byte) 0x80 }, { (byte) 0xC0, (byte) 0xAF }, // stray, continuation alone, overlong
                { (byte) 0xE0, (byte) 0x80, (byte) 0xAF }, { (byte) 0xED, (byte) 0xA0, (byte) 0x80 }, // overlong, surrogate
                { (byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80 }, { (byte) 0xE2, (byte) 0x82 }, // > U+10FFFF, cut short
                { (byte) 0xC3 } };
        int k = 0;
        for (byte[] b : bad) {
            String why = "sequence " + k++;
            // in a STRING cell, unquoted and quoted, at its end and in its middle
            assertEquals("line 3: bytes that are not UTF-8", error(concat(bytes(HEADER + good), splice(bytes(good), "eth0", b))), why);
            assertEquals("line 3: bytes that are not UTF-8", error(concat(bytes(HEADER + good), splice(bytes(good), "et", b))), why);
            assertEquals("line 2: bytes that are not UTF-8",
                    error(concat(bytes(HEADER), splice(bytes(good.replace("eth0", "\"et,h0\"")), "\"et", b))), why);
            // in a number cell (the bytes count first, as a reader decoding them would)
            assertEquals("line 2: bytes that are not UTF-8", error(concat(bytes(HEADER), splice(bytes(good), ",44", b))), why);
            // in the last row without a line end
            assertEquals("line 3: bytes that are not UTF-8", error(concat(bytes(HEADER + good), splice(bytes(good.trim()), "TCP", b))), why);
        }
        // the line in the file: a quoted cell with a line end before the bytes
        PacketRecord r = plain(1);
        r.setString(Field.DNS_QNAME, "one\ntwo\nthree@");
        assertEquals("line 4: bytes that are not UTF-8", error(concat(bytes(HEADER), splice(bytes(r.toString()), "@", bad[0]))));
        // a row after it: its record number is 3, its first line 5
        assertEquals("line 3: 3 cells, expected 44", error(HEADER + r + "1,2,3\n"));
        assertEquals("line 5: bytes that are not UTF-8", error(concat(bytes(HEADER + r), bytes("x"), bad[0], bytes(good.substring(good.indexOf(','))))));
    }

    /** {@code row} with {@code b} inserted after the first {@code at}. */
    private static byte[] splice(byte[] row, String at, byte[] b) {
        String s = new String(row, StandardCharsets.ISO_8859_1);
        int k = s.indexOf(at) + at.length();
        return concat(Arrays.copyOf(row, k), b, Arrays.copyOfRange(row, k, row.length));
    }

    @Test
    void cellsThatDoNotHoldTheirType() {
        String good = plain(1).toString();
        assertEquals("line 2: dst_port is 'https', expected an integer", error(HEADER + good.replace(",443,", ",https,")));
        assertEquals("line 3: dst_port is '2147483648', expected an integer", error(HEADER + good + good.replace(",443,", ",2147483648,")));
        assertEquals("line 2: dst_port is '-2147483649', expected an integer", error(HEADER + good.replace(",443,", ",-2147483649,")));
        assertEquals("line 2: dst_port is '4 4', expected an integer", error(HEADER + good.replace(",443,", ",4 4,")));
        assertEquals("line 2: dst_port is '1e3', expected an integer", error(HEADER + good.replace(",443,", ",1e3,")));
        assertEquals("line 2: dst_port is '-', expected an integer", error(HEADER + good.replace(",443,", ",-,")));
        assertEquals("line 2: dst_port is '4\"4', expected an integer", error(HEADER + good.replace(",443,", ",\"4\"\"4\",")));
        assertEquals("line 2: dst_port is '" + "7".repeat(40) + "...', expected an integer",
                error(HEADER + good.replace(",443,", "," + "7".repeat(50) + ",")));
        assertEquals("line 2: dst_port is '\u00e9t\u00e9', expected an integer", error(HEADER + good.replace(",443,", ",\u00e9t\u00e9,")));
        assertEquals("line 2: seq is 'x', expected a whole number", error(HEADER + good.replace(",4000000001,", ",x,")));
        assertEquals("line 2: seq is '9223372036854775808', expected a whole number",
                error(HEADER + good.replace(",4000000001,", ",9223372036854775808,")));
        assertEquals("line 2: seq is '-9223372036854775809', expected a whole number",
                error(HEADER + good.replace(",4000000001,", ",-9223372036854775809,")));
        assertEquals("line 2: seq is '1.5', expected a whole number", error(HEADER + good.replace(",4000000001,", ",1.5,")));
        assertEquals("line 2: tcp_syn is 'yes', expected true or false", error(HEADER + good.replace(",false,true,", ",yes,true,")));
        assertEquals("line 2: tcp_syn is 'True', expected true or false", error(HEADER + good.replace(",false,true,", ",True,true,")));
        assertEquals("line 2: tcp_syn is '1', expected true or false", error(HEADER + good.replace(",false,true,", ",1,true,")));
        String ts = good.substring(0, good.indexOf(','));
        for (String v : List.of("1.2.3", "1701234567.", ".5", "-1701234567", "abc", "1 2", "1".repeat(31), "1701234567,5")) {
            String cell = v.contains(",") ? "\"" + v + "\"" : v;
            String shown = v.length() > 40 ? v.substring(0, 40) + "..." : v;
            assertEquals("line 2: timestamp is '" + shown + "', expected epoch seconds such as 1701234567.123456",
                    error(HEADER + cell + good.substring(ts.length())), v);
        }
        // the rows before are written (the file streams), the one in error is not
        SpoolTranscoder.Output out = new SpoolTranscoder.Output(16);
        byte[] content = bytes(HEADER + good + good + good.replace(",443,", ",https,"));
        SpoolFormatException e = assertThrows(SpoolFormatException.class, () -> {
            try (SpoolTranscoder t = new SpoolTranscoder(new ByteArrayInputStream(content), 100)) {
                assertTrue(t.next(out));
                assertTrue(t.next(out));
                assertEquals(2, t.rowsRead());
                t.next(out);
            }
        });
        assertEquals("line 4: dst_port is 'https', expected an integer", e.getMessage());
    }

    @Test
    void misplacedQuotes() {
        String good = plain(1).toString();
        assertEquals("line 2: a quote inside an unquoted cell (interface)", error(HEADER + good.replace("eth0", "et\"h0")));
        assertEquals("line 3: a quote inside an unquoted cell (cell 45)", error(HEADER + good + good.replace("\n", ",ab\"c\n")));
        assertEquals("line 2: text after the closing quote of a cell (interface)", error(HEADER + good.replace("eth0", "\"eth0\"x")));
        assertEquals("line 2: text after the closing quote of a cell (interface)", error(HEADER + good.replace("eth0", "\"eth0\" ")));
        assertEquals("line 3: a quoted cell (decode_error) that is not closed before the end of the file",
                error(HEADER + good + good.trim() + "\"abc\n"));
    }

    @Test
    void fileShorterThanItsCheckpoint() throws Exception {
        String good = plain(1).toString();
        assertEquals("line 4: file is shorter than its checkpoint (5 rows)", error(bytes(HEADER + good + good + good), 5));
        assertEquals("line 4: file is shorter than its checkpoint (4 rows)", error(bytes(HEADER + good + good + good.trim()), 4));
        assertEquals("line 4: file is shorter than its checkpoint (5 rows)", error(bytes((HEADER + good + good + good).replace("\n", "\r\n")), 5));
        assertEquals("line 1: file is shorter than its checkpoint (1 rows)", error(bytes(HEADER), 1));
        assertEquals("line 1: file is shorter than its checkpoint (1 rows)", error(bytes(Field.CSV_HEADER), 1));
        PacketRecord r = plain(1);
        r.setString(Field.DNS_QNAME, "two\nlines");
        assertEquals("line 3: file is shorter than its checkpoint (2 rows)", error(bytes(HEADER + r), 2), "the lines of the file");
        assertEquals(0, assertSameAsJackson(bytes(HEADER + good + good + good), 3), "exactly as long");
    }

    @Test
    void aRowLongerThanTheLimitIsRejectedWithoutReadingTheFileWhole() throws Exception {
        // a file of one endless line: the buffer grows to the limit, then stops
        InputStream endless = new InputStream() {
            long left = SpoolTranscoder.MAX_ROW_BYTES + (1 << 20);

            @Override
            public int read() {
                return left-- > 0 ? 'a' : -1;
            }

            @Override
            public int read(byte[] b, int off, int len) {
                int n = (int) Math.min(len, left);
                if (n <= 0) {
                    return -1;
                }
                Arrays.fill(b, off, off + n, (byte) 'a');
                left -= n;
                return n;
            }
        };
        SpoolFormatException e = assertThrows(SpoolFormatException.class, () -> new SpoolTranscoder(endless, 1 << 16));
        assertEquals("line 1: a row longer than " + SpoolTranscoder.MAX_ROW_BYTES + " bytes", e.getMessage());
    }
}
