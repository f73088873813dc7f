package org.packetrelay.pcap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32;

import org.junit.jupiter.api.Test;
import org.packetrelay.testing.RelayProcess;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.Pcaps;

/**
 * The two ways {@link NativeLoop} calls {@code pcap_next_ex}: with 64-bit addresses (what runs on 64-bit machines) and
 * with {@code long[1]} arrays (what 32-bit ones run, callable here too). Both must read every file of the tcpdump corpus
 * alike: the same packets (lengths, times, bytes) and the same end (end of file or error).
 */
class NativeLoopCallTest {

    @Test
    void addressAndArrayCallsReadTheCorpusAlike() throws Exception {
        long packets = 0;
        for (Path f : corpus()) {
            List<String> byAddress = read(f, true);
            assertEquals(read(f, false), byAddress, f.getFileName().toString());
            packets += byAddress.size() - 1;
        }
        assertTrue(packets > 10_000, "packets read: " + packets);
    }

    /** The capture files of the tcpdump corpus in ../shared, sorted (checked to be all of them: more than 800). */
    static List<Path> corpus() throws Exception {
        List<Path> files;
        try (Stream<Path> s = Files.list(RelayProcess.sharedDir().resolve("testdata/tcpdump-tests"))) {
            files = s.filter(p -> p.toString().endsWith(".pcap") || p.toString().endsWith(".pcapng")).sorted().toList();
        }
        assertTrue(files.size() > 800, "the corpus: " + files.size() + " files");
        return files;
    }

    /**
     * One line per packet (captured and wire length, time, CRC32 of the bytes), then the loop's return code; for a file
     * pcap4j cannot open, one line with its error.
     */
    static List<String> read(Path file, boolean addresses) throws Exception {
        PcapHandle h;
        try {
            h = Pcaps.openOffline(file.toString(), PcapHandle.TimestampPrecision.NANO);
        } catch (Exception e) {
            return List.of("cannot open: " + e.getMessage()); // a file libpcap refuses: the same for both calls
        }
        try {
            return read(h, addresses);
        } finally {
            h.close();
        }
    }

    /** The lines of {@link #read(Path, boolean)} for an open handle. */
    static List<String> read(PcapHandle h, boolean addresses) {
        List<String> out = new ArrayList<>();
        boolean nano = h.getTimestampPrecision() == PcapHandle.TimestampPrecision.NANO;
        CRC32 crc = new CRC32();
        int rc = NativeLoop.loop(h, nano, true, () -> false, (data, cap, wire, epochNanos) -> {
            byte[] bytes = new byte[cap];
            NativeLoop.copy(data, bytes, 0, cap);
            crc.reset();
            crc.update(bytes);
            out.add(cap + " " + wire + " " + epochNanos + " " + Long.toHexString(crc.getValue()));
        }, addresses);
        out.add("rc " + rc);
        return out;
    }
}
