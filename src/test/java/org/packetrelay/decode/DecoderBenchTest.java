package org.packetrelay.decode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.packetrelay.catalog.CsvBytes;
import org.packetrelay.catalog.PacketRecord;

/** Single-thread decode + appendCsv throughput over every corpus packet, looped for about 5 seconds. */
@Tag("bench")
class DecoderBenchTest {
    @Test
    void decodeAndCsvThroughput() throws Exception {
        List<Packets.Captured> packets = new ArrayList<>();
        for (String[] m : CorpusDecodeTest.manifest()) {
            packets.addAll(Packets.read(CorpusDecodeTest.CORPUS.resolve(m[0])).packets());
        }
        PacketDecoder decoder = new PacketDecoder();
        PacketRecord rec = new PacketRecord();
        CsvBytes sb = new CsvBytes(1 << 21);
        long bytes = 0;
        for (Packets.Captured p : packets) {
            bytes += p.data().length;
        }
        // warm-up, then measure
        for (long deadline = System.nanoTime() + 5_000_000_000L, n = 0; System.nanoTime() < deadline; n++) {
            run(packets, decoder, rec, sb);
        }
        long start = System.nanoTime();
        long decoded = 0;
        while (System.nanoTime() - start < 5_000_000_000L) {
            decoded += run(packets, decoder, rec, sb);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("decoder bench: %d corpus packets (%d bytes), %.0f packets/s decode+appendCsv, single thread (%.1f s)%n",
                packets.size(), bytes, decoded / seconds, seconds);
        // the figure counts only if the decoder, after millions of packets, still gives what a fresh one gives
        assertArrayEquals(rows(packets, new PacketDecoder()), rows(packets, decoder), "rows of the warm decoder");
        assertTrue(packets.size() > 10_000, "corpus packets: " + packets.size());
    }

    private static byte[] rows(List<Packets.Captured> packets, PacketDecoder decoder) {
        PacketRecord rec = new PacketRecord();
        CsvBytes out = new CsvBytes(1 << 22);
        for (Packets.Captured p : packets) {
            p.decode(decoder, "eth0", rec);
            rec.appendCsv(out);
        }
        return Arrays.copyOf(out.array(), out.length());
    }

    private static int run(List<Packets.Captured> packets, PacketDecoder decoder, PacketRecord rec, CsvBytes sb) {
        for (Packets.Captured p : packets) {
            p.decode(decoder, "eth0", rec);
            rec.appendCsv(sb);
            if (sb.length() > 1 << 20) {
                sb.setLength(0);
            }
        }
        return packets.size();
    }
}
