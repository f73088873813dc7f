package org.packetrelay.pcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapHandle.TimestampPrecision;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.Pcaps;

/**
 * {@link ReplayFile}: a file opened with its own stdio buffer reads as {@code Pcaps.openOffline} reads it (every file
 * of the tcpdump corpus: packets, times, bytes, end), refuses what it refuses with the same error, and through that buffer: the
 * reading thread's read(2) calls, counted by the kernel, are about one per {@value ReplayFile#BUFFER_BYTES} bytes.
 */
class ReplayFileTest {

    @Test
    void readsTheCorpusAsPcap4jOpensIt() throws Exception {
        long packets = 0;
        for (Path f : NativeLoopCallTest.corpus()) {
            List<String> expected = NativeLoopCallTest.read(f, true);
            List<String> actual;
            try (ReplayFile r = ReplayFile.open(f, TimestampPrecision.NANO)) {
                actual = NativeLoopCallTest.read(r.handle(), true);
            } catch (Exception e) {
                actual = List.of("cannot open: " + e.getMessage());
            }
            assertEquals(expected, actual, f.getFileName().toString());
            packets += actual.size() - 1;
        }
        assertTrue(packets > 10_000, "packets read: " + packets);
    }

    @Test
    void refusesWhatPcap4jRefusesInItsWords(@TempDir Path dir) throws Exception {
        Path text = Files.writeString(dir.resolve("notes.pcap"), "not a capture file, but long enough for a header\n");
        Path empty = Files.createFile(dir.resolve("empty.pcap"));
        Path missing = dir.resolve("missing.pcap");
        for (Path f : List.of(text, empty, missing)) {
            Exception expected = assertThrows(PcapNativeException.class, () -> Pcaps.openOffline(f.toString(), TimestampPrecision.NANO));
            Exception actual = assertThrows(PcapNativeException.class, () -> ReplayFile.open(f, TimestampPrecision.NANO));
            assertEquals(expected.getMessage(), actual.getMessage(), f.getFileName().toString());
        }
    }

    @Test
    void readsThroughItsBuffer(@TempDir Path dir) throws Exception {
        Path pcap = dir.resolve("big.pcap");
        int packets = writePcap(pcap, 20_000, 400);
        long size = Files.size(pcap);
        readReplayFile(pcap); // loads the classes and native bindings first: the counts below are the reads alone
        long before = readCalls();
        assertEquals(packets + 1, readReplayFile(pcap));
        long buffered = readCalls() - before;
        before = readCalls();
        PcapHandle h = Pcaps.openOffline(pcap.toString(), TimestampPrecision.NANO);
        try {
            assertEquals(packets + 1, NativeLoopCallTest.read(h, true).size());
        } finally {
            h.close();
        }
        long plain = readCalls() - before;
        assertTrue(plain > size / 16384, "the control, libpcap's own stream: " + plain + " read(2) for " + size + " bytes");
        assertTrue(buffered <= size / ReplayFile.BUFFER_BYTES + 20, buffered + " read(2) for " + size + " bytes (plain: " + plain + ")");
    }

    private static int readReplayFile(Path pcap) throws Exception {
        try (ReplayFile r = ReplayFile.open(pcap, TimestampPrecision.NANO)) {
            return NativeLoopCallTest.read(r.handle(), true).size();
        }
    }

    /** read(2) calls of this thread so far ({@code syscr} of /proc/thread-self/io). */
    private static long readCalls() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/thread-self/io"))) {
            if (line.startsWith("syscr:")) {
                return Long.parseLong(line.substring(6).trim());
            }
        }
        throw new IllegalStateException("no syscr in /proc/thread-self/io");
    }

    /** A classic pcap (Ethernet, microseconds) of {@code n} packets of {@code bytes} bytes each; returns {@code n}. */
    private static int writePcap(Path file, int n, int bytes) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(24 + n * (16 + bytes)).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(65535).putInt(1);
        for (int i = 0; i < n; i++) {
            b.putInt(1_700_000_000 + i).putInt(i % 1_000_000).putInt(bytes).putInt(bytes);
            for (int j = 0; j < bytes; j++) {
                b.put((byte) (i + j));
            }
        }
        b.flip();
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            while (b.hasRemaining()) {
                ch.write(b);
            }
        }
        return n;
    }
}
