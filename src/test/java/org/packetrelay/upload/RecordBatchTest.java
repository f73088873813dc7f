package org.packetrelay.upload;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.packetrelay.catalog.Field;
import org.packetrelay.catalog.PacketRecord;
import org.packetrelay.catalog.WireText;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The batches the spool format unmarshals to: read through {@link SpoolBatches} from real spool bytes, their records
 * typed as the catalog says, filtered and changed, and written back byte for byte as Jackson's generator writes the
 * same values; keys and halves; what a field refuses.
 */
class RecordBatchTest {
    private static final ObjectMapper MAPPER = new ObjectMapper().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    /** The batches of a spool file of {@code records}, {@code batchSize} rows each, as the upload route gets them. */
    static List<RecordBatch> batches(List<PacketRecord> records, int batchSize) throws IOException, UploadException {
        StringBuilder csv = new StringBuilder(Field.CSV_HEADER).append('\n');
        records.forEach(r -> r.appendCsv(csv));
        SpoolTranscoder t = new SpoolTranscoder(new ByteArrayInputStream(csv.toString().getBytes(StandardCharsets.UTF_8)), 1 << 16);
        FileProgress p = new FileProgress("packets_x.csv", 0, 1000, batchSize, null);
        List<RecordBatch> out = new ArrayList<>();
        try (SpoolBatches it = new SpoolBatches(t, p, batchSize, BatchOrigin.of("host:1", "packets_x.csv"),
                new AtomicReference<>())) {
            while (it.hasNext()) {
                out.add(it.next());
            }
        }
        return out;
    }

    /** What Jackson writes for these typed values, in catalog order. */
    private static byte[] jackson(List<Map<String, Object>> records) throws IOException {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (JsonGenerator g = new JsonFactory().createGenerator(b)) {
            g.writeStartArray();
            for (Map<String, Object> r : records) {
                g.writeStartObject();
                for (Field f : Field.ALL) {
                    g.writeFieldName(f.key());
                    Object v = r.get(f.key());
                    if (v == null) {
                        g.writeNull();
                    } else if (v instanceof BigDecimal d) {
                        g.writeNumber(d.toPlainString());
                    } else if (v instanceof Long n) {
                        g.writeNumber(n);
                    } else if (v instanceof Boolean x) {
                        g.writeBoolean(x);
                    } else {
                        g.writeString((String) v);
                    }
                }
                g.writeEndObject();
            }
            g.writeEndArray();
        }
        return b.toByteArray();
    }

    private static List<PacketRecord> records(int n) {
        List<PacketRecord> rs = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            PacketRecord r = SpoolFixtures.record(i, "b" + i);
            if (i % 3 == 0) {
                r.setString(Field.PROTOCOL, "ICMP");
            }
            if (i == 4) {
                r.setString(Field.HTTP_PATH, WireText.escape(new byte[] { 'a', 0, '"', '\\', (byte) 0xF0, (byte) 0x9F, (byte) 0x98, (byte) 0x80 }, 0, 8));
            }
            rs.add(r);
        }
        return rs;
    }

    @Test
    void aBatchNoStepTouchedIsTheBytesAsReadAndTypedAsTheCatalogSays() throws Exception {
        List<RecordBatch> bs = batches(records(12), 5);
        assertEquals(List.of(5, 5, 2), bs.stream().map(RecordBatch::size).toList());
        assertEquals("host%3A1:packets_x.csv:5+5", bs.get(1).getIdempotencyKey());
        RecordBatch b = bs.get(0);
        assertSame(b.toJson(), b.toJson(), "no copy while untouched");
        List<Map<String, Object>> typed = new ArrayList<>();
        b.forEach(typed::add);
        assertArrayEquals(jackson(typed), b.toJson(), "read back as typed values, written again by Jackson: the same bytes");
        BatchRecord r = b.get(1);
        assertEquals(443L, r.get("dst_port"));
        assertEquals(Boolean.TRUE, r.get("tcp_ack"));
        assertEquals(new BigDecimal("1700000000.000001"), r.get("timestamp"));
        assertNull(r.get("dns_qname"));
        assertEquals(4_000_000_001L, r.get("seq"));
        assertEquals(b.get(4).get("http_path"), WireText.escape(new byte[] { 'a', 0, '"', '\\', (byte) 0xF0, (byte) 0x9F, (byte) 0x98, (byte) 0x80 }, 0, 8));
        assertThrows(IllegalArgumentException.class, () -> r.get("protocl"), "a misspelt field fails loudly");
        assertNotEqualsButSame(b);
    }

    private static void assertNotEqualsButSame(RecordBatch b) {
        assertFalse(b.equals(new ArrayList<>(b)), "identity equality: a list with the same records is not the batch");
        assertEquals(System.identityHashCode(b), b.hashCode(), "hashing a batch reads none of its records");
    }

    @Test
    void aFilteredAndChangedBatchIsWrittenAsJacksonWritesItsValues() throws Exception {
        RecordBatch b = batches(records(12), 12).get(0);
        String key = b.getIdempotencyKey();
        assertTrue(b.removeIf(r -> "ICMP".equals(r.get("protocol"))));
        assertEquals(8, b.size());
        b.get(0).put("interface", "edge-7/eth0");
        b.get(1).put("vlan_id", "42");
        b.get(2).put("src_port", 12.0);
        b.get(3).put("http_host", "caf\u00e9 \ud83d\ude00 \"q\" \\ \n");
        b.get(3).remove("tls_sni");
        List<Map<String, Object>> typed = new ArrayList<>();
        b.forEach(typed::add);
        assertArrayEquals(jackson(typed), b.toJson());
        JsonNode json = MAPPER.readTree(b.toJson());
        assertEquals(8, json.size());
        assertEquals("edge-7/eth0", json.get(0).get("interface").asText());
        assertEquals(42, json.get(1).get("vlan_id").asInt());
        assertTrue(json.get(2).get("src_port").isIntegralNumber());
        assertEquals(key, b.getIdempotencyKey(), "the key names the rows spanned, whatever was removed");
    }

    @Test
    void aFieldTakesOnlyValuesOfItsType() throws Exception {
        BatchRecord r = batches(records(1), 1).get(0).get(0);
        for (Object[] bad : new Object[][] { { "src_port", "https" }, { "src_port", 1L << 40 }, { "src_port", 1.5 }, { "tcp_syn", "yes" },
                { "timestamp", "-1" }, { "timestamp", "soon" }, { "http_path", "lone \ud800 surrogate" }, { "nosuch", "x" } }) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> r.put((String) bad[0], bad[1]), bad[0] + "=" + bad[1]);
            assertTrue(e.getMessage().contains((String) bad[0]), e.getMessage());
        }
        r.put("seq", 1L << 40);
        r.put("tcp_syn", "true");
        r.put("dns_qname", "");
        assertEquals(1L << 40, r.get("seq"));
        assertEquals(Boolean.TRUE, r.get("tcp_syn"));
        assertNull(r.get("dns_qname"), "an empty text is an empty cell: null");
    }

    @Test
    void halvesSpanTheirOwnRowsAndKeepTheRecordsAndChangesTheyHold() throws Exception {
        RecordBatch b = batches(records(10), 10).get(0);
        List<RecordBatch> h = b.halves();
        assertEquals(List.of("host%3A1:packets_x.csv:0+5", "host%3A1:packets_x.csv:5+5"), h.stream().map(RecordBatch::getIdempotencyKey).toList());
        assertEquals(MAPPER.readTree(b.toJson()).get(5), MAPPER.readTree(h.get(1).toJson()).get(0));
        // after a filter: halves by records, each spanning the rows up to the next half
        b.removeIf(r -> "ICMP".equals(r.get("protocol"))); // rows 0, 3, 6, 9 go
        b.get(5).put("interface", "changed");
        h = b.halves();
        assertEquals(List.of(3, 3), h.stream().map(RecordBatch::size).toList());
        assertEquals(List.of("host%3A1:packets_x.csv:0+5", "host%3A1:packets_x.csv:5+5"), h.stream().map(RecordBatch::getIdempotencyKey).toList());
        assertEquals("changed", MAPPER.readTree(h.get(1).toJson()).get(2).get("interface").asText());
        assertEquals(1, h.get(0).halves().get(0).size());
        RecordBatch one = h.get(0).halves().get(0);
        assertThrows(IllegalStateException.class, one::halves, "one record cannot be halved");
    }

    @Test
    void inSubnetTakesAddressBlocksOfEitherFamily() throws Exception {
        BatchRecord r = batches(records(8), 8).get(0).get(7); // src_ip 10.0.0.7
        assertTrue(r.inSubnet("src_ip", "10.0.0.0/8"));
        assertTrue(r.inSubnet("src_ip", "10.0.0.7"));
        assertFalse(r.inSubnet("src_ip", "10.0.0.0/30"));
        assertFalse(r.inSubnet("src_ip", "::/0"), "another family");
        assertFalse(r.inSubnet("dns_qname", "10.0.0.0/8"), "null is in no block");
        assertThrows(IllegalArgumentException.class, () -> r.inSubnet("src_ip", "example.org/8"), "no DNS lookups");
    }
}
