package org.packetrelay.decode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.packetrelay.catalog.CsvBytes;
import org.packetrelay.catalog.Field;
import org.packetrelay.catalog.FieldType;
import org.packetrelay.catalog.PacketRecord;
import org.packetrelay.catalog.WireText;
import org.packetrelay.receiver.ReceiverParse;
import org.packetrelay.upload.SpoolJson;

/**
 * What must hold for every decoder input, whatever its bytes (checked by {@link DecoderFuzzTest}); each failure
 * throws (an AssertionError), which Jazzer reports as a finding.
 */
final class DecoderProperties {
    private static final List<Field> WIRE_TEXT = List.of(Field.DNS_QNAME, Field.HTTP_PATH, Field.HTTP_HOST, Field.TLS_SNI);
    private static final byte[] HEADER = (Field.CSV_HEADER + "\n").getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PADDING = "GET /x HTTP/1.1\r\nHost: pad\r\n\r\n\u0016\u0003\u0001".getBytes(StandardCharsets.ISO_8859_1);

    private final PacketDecoder decoder = new PacketDecoder();
    private final PacketRecord rec = new PacketRecord();
    private final CsvBytes row = new CsvBytes(1024);
    private final CsvBytes again = new CsvBytes(1024);

    void check(FuzzInput in) throws Exception {
        // 1. decoding ends without reaching the last-resort catch, and reads nothing after the captured length
        decoder.decode(in.dlt(), in.data(), in.wireLength(), in.epochNanos(), in.digits(), "fuzz0", rec);
        row.setLength(0);
        rec.appendCsv(row);
        String error = rec.getString(Field.DECODE_ERROR);
        assertFalse(error != null && error.startsWith("internal"), () -> "decoder threw: " + error);
        byte[] padded = Arrays.copyOf(in.data(), in.data().length + PADDING.length);
        System.arraycopy(PADDING, 0, padded, in.data().length, PADDING.length);
        PacketRecord other = new PacketRecord();
        decoder.decode(in.dlt(), padded, in.data().length, in.wireLength(), in.epochNanos(), in.digits(), "fuzz0", other);
        again.setLength(0);
        other.appendCsv(again);
        assertArrayEquals(Arrays.copyOf(row.array(), row.length()), Arrays.copyOf(again.array(), again.length()),
                "bytes after the captured length changed the row");
        // the same packet in the middle of a bigger array (as the capture path decodes it, in its raw batch)
        byte[] inside = new byte[PADDING.length + padded.length];
        System.arraycopy(PADDING, 0, inside, 0, PADDING.length);
        System.arraycopy(padded, 0, inside, PADDING.length, padded.length);
        decoder.decode(in.dlt(), inside, PADDING.length, in.data().length, in.wireLength(), in.epochNanos(), in.digits(), "fuzz0", other);
        again.setLength(0);
        other.appendCsv(again);
        assertArrayEquals(Arrays.copyOf(row.array(), row.length()), Arrays.copyOf(again.array(), again.length()),
                "the packet at an offset in a bigger array gave another row");

        // 2. the fields every row has, and decode_error's shape
        assertEquals(in.wireLength(), rec.getNumber(Field.LENGTH));
        assertEquals(in.data().length, rec.getNumber(Field.CAPTURED_LENGTH));
        assertEquals(BigDecimal.valueOf(in.epochNanos(), 9).setScale(in.digits(), RoundingMode.DOWN), rec.get(Field.TIMESTAMP));
        assertTrue(rec.has(Field.PROTOCOL));
        if (error != null) {
            assertTrue(error.matches("[a-z0-9]+: \\S.*"), () -> "decode_error is '<layer>: <why>': " + error);
        }
        if (Arrays.stream(FuzzInput.LINK_TYPES).noneMatch(t -> t == in.dlt())) {
            assertNull(error, "an unknown link type is not an error");
            assertEquals(PacketDecoder.linkTypeName(in.dlt()), rec.getString(Field.PROTOCOL));
        }
        for (Field f : WIRE_TEXT) {
            String s = rec.getString(f);
            assertTrue(s == null || s.length() <= WireText.MAX_CHARS, () -> f.key() + " is " + s.length() + " characters");
        }

        // 3. the row parses back (commons-csv and the catalog's types) to the same values
        Packets.assertCsvRoundTrip(rec);

        // 4. as the sender posts it and the receiver reads it: the same values, none refused (string lengths,
        //    integer ranges, timestamp digits)
        byte[] file = Arrays.copyOf(HEADER, HEADER.length + row.length());
        System.arraycopy(row.array(), 0, file, HEADER.length, row.length());
        List<Object[]> stored = ReceiverParse.parse(SpoolJson.transcode(file));
        assertEquals(1, stored.size());
        for (Field f : Field.ALL) {
            Object want = rec.get(f);
            Object got = stored.get(0)[f.ordinal()];
            if (f.type() == FieldType.TIMESTAMP) {
                assertEquals(0, ((BigDecimal) want).compareTo((BigDecimal) got), f.key());
            } else {
                assertEquals(want, got, f.key());
            }
        }
    }
}
