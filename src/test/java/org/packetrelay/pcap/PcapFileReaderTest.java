package org.packetrelay.pcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.function.BooleanSupplier;
import java.util.zip.CRC32;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcap4j.core.PcapHandle.TimestampPrecision;

/**
 * {@link PcapFileReader} against libpcap itself, as the oracle: every file it takes, of the tcpdump corpus and of
 * files made here to hit each rule (byte order, precision scaling, odd times, lengths over the snapshot, truncation
 * at each point, lengths libpcap refuses), reads as libpcap reads it: the same packets (lengths, times, bytes), the
 * same end and the same error text. Files it must leave to libpcap (other formats, versions, link types) it refuses,
 * and {@link ReplayFile#read} then reads them through libpcap.
 */
class PcapFileReaderTest {
    private static final int LE_MICRO = 0xa1b2c3d4;
    private static final int NANO = 0xa1b23c4d;

    @Test
    void readsTheCorpusAsLibpcap() throws Exception {
        int taken = 0;
        long packets = 0;
        List<Path> corpus = NativeLoopCallTest.corpus();
        for (Path f : corpus) {
            for (boolean nano : new boolean[] {true, false}) {
                try (PcapFileReader r = PcapFileReader.open(f, nano)) {
                    if (r == null) {
                        continue;
                    }
                    List<String> actual = lines(r, () -> false);
                    assertLines(libpcap(f, nano), actual, f.getFileName() + (nano ? " (nanoseconds)" : " (microseconds)"));
                    taken++;
                    packets += actual.size() - 1;
                }
            }
        }
        // most of the corpus is classic pcap of a link type read alike; the rest goes to libpcap
        assertTrue(taken > corpus.size(), "files read in Java, in both precisions: " + taken + " of " + 2 * corpus.size());
        assertTrue(packets > 10_000, "packets read: " + packets);
    }

    @Test
    void readsEachByteOrderAndPrecisionAsLibpcap(@TempDir Path dir) throws Exception {
        for (ByteOrder order : List.of(ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN)) {
            for (int magic : new int[] {LE_MICRO, NANO}) {
                Writer w = new Writer(order, magic, 65535, 1);
                // odd times: a negative second, fractions negative and over a second's worth
                w.record(1_700_000_000, 123_456, 60, 60).record(-5, 999_999, 64, 1500).record(0x7fffffff, -1, 0, 0)
                        .record(1, 1_000_000_007, 14, 14).record(1, Integer.MIN_VALUE, 20, 20);
                for (int i = 0; i < 3000; i++) {
                    w.record(1_600_000_000 + i, i * 997, 40 + i % 1400, 1514); // across several buffer refills
                }
                Path f = w.write(dir.resolve(order + "-" + Integer.toHexString(magic) + ".pcap"));
                for (boolean nano : new boolean[] {true, false}) {
                    readAlike(f, nano);
                }
            }
        }
    }

    @Test
    void cutsLengthsOverTheSnapshotAsLibpcap(@TempDir Path dir) throws Exception {
        Writer w = new Writer(ByteOrder.LITTLE_ENDIAN, LE_MICRO, 200, 1);
        for (int i = 0; i < 40; i++) {
            // over the snapshot by a little and by more than the reader's buffer holds at once
            w.record(i, i, 201 + i, 300).record(i, i, 100, 100).record(i, i, 200_000 + i * 1000, 250_000);
        }
        readAlike(w.write(dir.resolve("over-snapshot.pcap")), true);
        // a snapshot length of 0 stands for the largest
        readAlike(new Writer(ByteOrder.LITTLE_ENDIAN, LE_MICRO, 0, 1).record(1, 1, 262_144, 262_144).record(2, 2, 10, 10)
                .write(dir.resolve("snaplen-0.pcap")), true);
    }

    @Test
    void endsInLibpcapsErrorsAtEachPointOfTruncation(@TempDir Path dir) throws Exception {
        Writer full = new Writer(ByteOrder.LITTLE_ENDIAN, LE_MICRO, 1000, 1).record(1, 2, 100, 100).record(3, 4, 1500, 1500);
        byte[] whole = full.bytes();
        List<String> ends = new ArrayList<>();
        // every cut of the last record, in its header, its bytes, and the part over the snapshot that is skipped
        for (int cut = 24 + 116; cut <= whole.length; cut += 1) {
            Path f = Files.write(dir.resolve("cut-" + cut + ".pcap"), Arrays.copyOf(whole, cut));
            List<String> lines = readAlike(f, true);
            ends.add(lines.get(lines.size() - 1));
        }
        assertTrue(ends.contains("rc 0"), "the whole file ends cleanly");
        assertTrue(ends.stream().anyMatch(e -> e.contains("header bytes, only got")), "a cut header: " + ends.get(1));
        assertTrue(ends.stream().anyMatch(e -> e.contains("tried to read 1000 captured bytes")), "a cut within the snapshot");
        assertTrue(ends.stream().anyMatch(e -> e.contains("tried to read 1500 captured bytes")), "a cut in the skipped part");
    }

    @Test
    void refusesLengthsOverTheMaximumInLibpcapsWords(@TempDir Path dir) throws Exception {
        // over 262,144: bigger than the file's snapshot, or within it (a snapshot length above the maximum)
        List<String> a = readAlike(new Writer(ByteOrder.LITTLE_ENDIAN, LE_MICRO, 65535, 1).record(1, 1, 10, 10).record(2, 2, 300_000, 300_000)
                .write(dir.resolve("over-snaplen.pcap")), true);
        List<String> b = readAlike(new Writer(ByteOrder.LITTLE_ENDIAN, LE_MICRO, 1_000_000, 1).record(2, 2, 300_000, 300_000)
                .write(dir.resolve("over-maximum.pcap")), true);
        assertTrue(a.get(a.size() - 1).contains("bigger than snaplen of 65535"), a.toString());
        assertTrue(b.get(b.size() - 1).contains("bigger than maximum of 262144"), b.toString());
    }

    @Test
    void readsRandomFilesAsLibpcap(@TempDir Path dir) throws Exception {
        // lengths near each limit, odd times, cut anywhere: 400 files from a fixed seed, so a failure can be replayed
        Random rnd = new Random(20261201);
        int[] lengths = {0, 1, 13, 14, 60, 199, 200, 201, 1514, 65535, 65536, 262_143, 262_144, 262_145, 1 << 20};
        int taken = 0;
        for (int file = 0; file < 400; file++) {
            ByteOrder order = rnd.nextBoolean() ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN;
            int snaplen = new int[] {0, 200, 1514, 65535, 262_144, 1_000_000, -1}[rnd.nextInt(7)];
            Writer w = new Writer(order, rnd.nextBoolean() ? LE_MICRO : NANO, snaplen, new int[] {1, 0, 101, 113, 228}[rnd.nextInt(5)]);
            for (int i = rnd.nextInt(12); i > 0; i--) {
                int caplen = rnd.nextInt(4) == 0 ? lengths[rnd.nextInt(lengths.length)] : rnd.nextInt(2000);
                int len = rnd.nextInt(3) == 0 ? rnd.nextInt() : caplen + rnd.nextInt(100);
                w.recordClaiming(rnd.nextInt(), rnd.nextInt(3) == 0 ? rnd.nextInt() : rnd.nextInt(1_000_000_000), caplen, len,
                        Math.min(caplen, 300_000));
            }
            byte[] bytes = w.bytes();
            int cut = rnd.nextInt(3) == 0 ? 24 + rnd.nextInt(Math.max(1, bytes.length - 24)) : bytes.length;
            Path f = Files.write(dir.resolve("random-" + file + ".pcap"), Arrays.copyOf(bytes, cut));
            for (boolean nano : new boolean[] {true, false}) {
                try (PcapFileReader r = PcapFileReader.open(f, nano)) {
                    if (r != null) {
                        assertLines(libpcap(f, nano), lines(r, () -> false), "random file " + file + (nano ? " (nanoseconds)" : " (microseconds)"));
                        taken++;
                    }
                }
            }
        }
        assertTrue(taken > 600, "random files read in Java: " + taken + " of 800");
    }

    @Test
    void leavesToLibpcapWhatItDoesNotReadAlike(@TempDir Path dir) throws Exception {
        List<Path> others = new ArrayList<>();
        // link types libpcap maps to other values, fixes up, or limits otherwise; in a swapped file, those it byte-swaps
        for (int linktype : new int[] {106, 246, 258, 220, 231, 249, 279, 300, 2, 12}) {
            others.add(new Writer(ByteOrder.LITTLE_ENDIAN, LE_MICRO, 65535, linktype).record(1, 1, 64, 64).write(dir.resolve("dlt-" + linktype + ".pcap")));
        }
        for (int linktype : new int[] {113, 117, 189, 239, 276}) {
            others.add(new Writer(ByteOrder.BIG_ENDIAN, LE_MICRO, 65535, linktype).record(1, 1, 64, 64).write(dir.resolve("swapped-" + linktype + ".pcap")));
        }
        others.add(new Writer(ByteOrder.LITTLE_ENDIAN, 0xa1b2cd34, 65535, 1).record(1, 1, 64, 64).write(dir.resolve("kuznetzov.pcap")));
        others.add(new Writer(ByteOrder.LITTLE_ENDIAN, LE_MICRO, 65535, 1).version(2, 3).record(1, 1, 64, 32).write(dir.resolve("v2.3.pcap")));
        others.add(new Writer(ByteOrder.LITTLE_ENDIAN, LE_MICRO, 65535, 1).version(1, 0).write(dir.resolve("archaic.pcap")));
        others.add(Files.write(dir.resolve("short.pcap"), Arrays.copyOf(new Writer(ByteOrder.LITTLE_ENDIAN, LE_MICRO, 65535, 1).bytes(), 20)));
        others.add(Files.writeString(dir.resolve("text.pcap"), "not a capture file, but long enough for a header\n"));
        others.add(dir.resolve("missing.pcap"));
        others.add(NativeLoopCallTest.corpus().stream().filter(p -> p.toString().endsWith(".pcapng")).findFirst().orElseThrow());
        for (Path f : others) {
            assertNull(PcapFileReader.open(f, true), f.getFileName().toString());
            List<String> viaRead;
            try (ReplayFile r = ReplayFile.read(f, TimestampPrecision.NANO)) {
                assertFalse(r.isReadInJava(), f.getFileName().toString());
                viaRead = lines(r, true, () -> false);
            } catch (Exception e) {
                viaRead = List.of("cannot open: " + e.getMessage());
            }
            assertLines(libpcap(f, true), viaRead, f.getFileName().toString());
        }
    }

    @Test
    void readsTheLinkTypesItTakesAsLibpcap(@TempDir Path dir) throws Exception {
        // one to one, mapped (LINKTYPE_RAW), with the FCS bits above the link type, and SLL unswapped
        for (int linktype : new int[] {0, 1, 101, 104, 113, 228, 229, 289, 0x04000001, 0x24000001}) {
            Path f = new Writer(ByteOrder.LITTLE_ENDIAN, LE_MICRO, 65535, linktype).record(1, 1, 64, 64).record(2, 2, 0, 60)
                    .write(dir.resolve("linktype-" + Integer.toHexString(linktype) + ".pcap"));
            readAlike(f, true);
        }
    }

    @Test
    void readsOnWhereAStopLeftIt(@TempDir Path dir) throws Exception {
        Writer w = new Writer(ByteOrder.LITTLE_ENDIAN, NANO, 65535, 1);
        for (int i = 0; i < 5000; i++) {
            w.record(i, i, 60 + i % 900, 1000);
        }
        Path f = w.write(dir.resolve("stops.pcap"));
        List<String> pieces = new ArrayList<>();
        try (PcapFileReader r = PcapFileReader.open(f, true)) {
            assertNotNull(r);
            int[] seen = {0};
            // stop after every 777th packet: each call reads on from where the last one stopped
            List<String> part;
            do {
                int start = pieces.size();
                part = lines(r, () -> ++seen[0] % 778 == 0);
                pieces.addAll(part.subList(0, part.size() - 1));
                assertTrue(pieces.size() > start || part.get(part.size() - 1).equals("rc 0"), "progress");
            } while (part.get(part.size() - 1).equals("rc -2"));
            pieces.add(part.get(part.size() - 1));
        }
        assertLines(libpcap(f, true), pieces, "read in pieces");
    }

    /** Asserts equal lines, naming the first that differs (the lists are thousands of lines long). */
    private static void assertLines(List<String> expected, List<String> actual, String what) {
        for (int i = 0; i < Math.min(expected.size(), actual.size()); i++) {
            assertEquals(expected.get(i), actual.get(i), what + ", line " + (i + 1));
        }
        assertEquals(expected.size(), actual.size(), what + ": lines (last expected: " + expected.get(expected.size() - 1) + ")");
    }

    /** Reads {@code f} in Java and through libpcap, asserts the same lines, and returns them. */
    private static List<String> readAlike(Path f, boolean nano) throws Exception {
        List<String> expected = libpcap(f, nano);
        try (PcapFileReader r = PcapFileReader.open(f, nano)) {
            assertNotNull(r, "read in Java: " + f.getFileName());
            assertLines(expected, lines(r, () -> false), f.getFileName() + (nano ? " (nanoseconds)" : " (microseconds)"));
        }
        return expected;
    }

    /** The lines of {@link #lines(ReplayFile, boolean, BooleanSupplier)} for libpcap reading {@code f}. */
    private static List<String> libpcap(Path f, boolean nano) {
        try (ReplayFile r = ReplayFile.open(f, nano ? TimestampPrecision.NANO : TimestampPrecision.MICRO)) {
            return lines(r, nano, () -> false);
        } catch (Exception e) {
            return List.of("cannot open: " + e.getMessage());
        }
    }

    /** One line per packet (link type, captured and wire length, time, CRC32 of the bytes), then the end and its error. */
    private static List<String> lines(ReplayFile r, boolean nano, BooleanSupplier stop) {
        List<String> out = new ArrayList<>();
        int rc = r.loop(nano, stop, collector(out, r.dlt()));
        out.add("rc " + rc + (rc == -1 ? " " + r.error() : ""));
        return out;
    }

    private static List<String> lines(PcapFileReader r, BooleanSupplier stop) {
        List<String> out = new ArrayList<>();
        int rc = r.loop(stop, collector(out, r.dlt()));
        out.add("rc " + rc + (rc == -1 ? " " + r.error() : ""));
        return out;
    }

    private static NativeLoop.Listener collector(List<String> out, int dlt) {
        CRC32 crc = new CRC32();
        return (data, cap, wire, epochNanos) -> {
            byte[] bytes = new byte[cap];
            NativeLoop.copy(data, bytes, 0, cap);
            crc.reset();
            crc.update(bytes);
            out.add(dlt + " " + cap + " " + wire + " " + epochNanos + " " + Long.toHexString(crc.getValue()));
        };
    }

    /** A classic pcap file, header and records, in a given byte order. */
    private static final class Writer {
        private final ByteOrder order;
        private final int magic;
        private final int snaplen;
        private final int linktype;
        private int major = 2;
        private int minor = 4;
        private final ByteArrayOutputStream records = new ByteArrayOutputStream();

        Writer(ByteOrder order, int magic, int snaplen, int linktype) {
            this.order = order;
            this.magic = magic;
            this.snaplen = snaplen;
            this.linktype = linktype;
        }

        Writer version(int major, int minor) {
            this.major = major;
            this.minor = minor;
            return this;
        }

        /** A record of {@code caplen} bytes (its header says {@code caplen}; the bytes are there). */
        Writer record(int sec, int frac, int caplen, int len) {
            return recordClaiming(sec, frac, caplen, len, caplen);
        }

        /** A record whose header says {@code caplen}, followed by {@code bytes} bytes. */
        Writer recordClaiming(int sec, int frac, int caplen, int len, int bytes) {
            ByteBuffer b = ByteBuffer.allocate(16 + bytes).order(order);
            b.putInt(sec).putInt(frac).putInt(caplen).putInt(len);
            for (int i = 0; i < bytes; i++) {
                b.put((byte) (sec * 31 + i * 7));
            }
            records.writeBytes(b.array());
            return this;
        }

        byte[] bytes() {
            ByteBuffer h = ByteBuffer.allocate(24).order(order);
            h.putInt(magic).putShort((short) major).putShort((short) minor).putInt(0).putInt(0).putInt(snaplen).putInt(linktype);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.writeBytes(h.array());
            out.writeBytes(records.toByteArray());
            return out.toByteArray();
        }

        Path write(Path f) throws IOException {
            return Files.write(f, bytes());
        }
    }
}
