package org.packetrelay.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.packetrelay.catalog.Field;
import org.packetrelay.catalog.PacketRecord;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.Pcaps;

/**
 * Every packet of the tcpdump test corpus (../shared/testdata/tcpdump-tests, 800+ real and hostile captures of
 * 30+ link types) decodes into one row that survives the CSV round trip.
 */
class CorpusDecodeTest {
    static final Path CORPUS = Path.of(System.getProperty("shared.dir", "../shared"), "testdata", "tcpdump-tests");

    /** The manifest's rows: file, libpcap's link type name, packets libpcap reads, libpcap's read error. */
    static List<String[]> manifest() throws Exception {
        List<String> lines = Files.readAllLines(CORPUS.resolve("MANIFEST.tsv"));
        List<String[]> rows = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            if (!line.isBlank()) {
                String[] cols = line.split("\t", -1);
                rows.add(cols);
            }
        }
        return rows;
    }

    @Test
    void everyCorpusPacketGivesOneRowThatRoundTrips() throws Exception {
        List<String[]> manifest = manifest();
        assertTrue(manifest.size() > 800, "corpus manifest");
        PacketDecoder decoder = new PacketDecoder();
        PacketRecord rec = new PacketRecord();
        int packets = 0;
        int errors = 0;
        Map<String, Integer> errorKinds = new TreeMap<>();
        Map<String, Integer> protocols = new TreeMap<>();
        Map<String, Integer> fieldsSet = new TreeMap<>();
        List<String> lost = new ArrayList<>();
        for (String[] m : manifest) {
            Packets.Capture capture = Packets.read(CORPUS.resolve(m[0]));
            assertEquals(Integer.parseInt(m[2]), capture.packets().size() + capture.lostByPcap4j().size(), m[0] + ": packets read");
            if (!capture.lostByPcap4j().isEmpty()) {
                lost.add(m[0] + " " + capture.lostByPcap4j());
            }
            assertEquals(m.length > 3 && !m[3].isEmpty(), capture.readError() != null, m[0] + ": read error " + capture.readError());
            for (Packets.Captured p : capture.packets()) {
                p.decode(decoder, m[0], rec);
                packets++;
                assertEquals(m[1].matches("\\d+") ? "DLT_" + m[1] : m[1], PacketDecoder.linkTypeName(p.dlt()), m[0]);
                assertEquals(p.wireLength(), rec.getNumber(Field.LENGTH));
                assertEquals(p.data().length, rec.getNumber(Field.CAPTURED_LENGTH));
                assertEquals(p.epochNanos(), rec.timestampNanos());
                assertNotNull(rec.getString(Field.PROTOCOL), m[0]);
                String error = rec.getString(Field.DECODE_ERROR);
                if (error != null) {
                    errors++;
                    assertFalse(error.startsWith("internal"), () -> m[0] + ": " + rec);
                    errorKinds.merge(error.replaceAll("(?<![a-z])\\d+", "N"), 1, Integer::sum);
                }
                protocols.merge(rec.getString(Field.PROTOCOL), 1, Integer::sum);
                for (Field f : Field.ALL) {
                    if (rec.has(f)) {
                        fieldsSet.merge(f.key(), 1, Integer::sum);
                    }
                }
                Packets.assertCsvRoundTrip(rec);
            }
        }
        System.out.printf("corpus: %d files, %d packets, %d rows with decode_error%n", manifest.size(), packets, errors);
        System.out.printf("packets pcap4j lost before the listener: %d %s%n", lost.size(), lost);
        System.out.println("decode_error kinds: " + top(errorKinds, 25));
        System.out.println("protocols: " + top(protocols, 40));
        System.out.println("rows per field set: " + fieldsSet);
        // the corpus holds every layer the decoder knows: a decoder that stops early fails here
        for (String f : List.of("src_port", "tcp_flags", "icmp_type", "arp_op", "dns_qname", "dns_answer_size", "http_method",
                "http_status_code", "http_host", "vlan_id", "community_id", "ttl", "src_mac")) {
            assertTrue(fieldsSet.getOrDefault(f, 0) > 0, f);
        }
    }

    /** The link type names are libpcap's own ({@code pcap_datalink_val_to_name}). */
    @Test
    void linkTypeNamesAreLibpcaps() throws Exception {
        for (int dlt = 0; dlt < 300; dlt++) {
            String libpcap;
            try {
                libpcap = Pcaps.dataLinkValToName(dlt);
            } catch (PcapNativeException e) {
                libpcap = null;
            }
            assertEquals(libpcap == null ? "DLT_" + dlt : libpcap, PacketDecoder.linkTypeName(dlt));
        }
    }

    static String top(Map<String, Integer> counts, int n) {
        return counts.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(n)
                .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(", "));
    }
}
