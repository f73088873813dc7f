package org.packetrelay.pcap;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.packetrelay.catalog.Field;
import org.packetrelay.catalog.PacketRecord;
import org.packetrelay.decode.PacketDecoder;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.Pcaps;

/**
 * Capture files whose times do not fit epoch nanoseconds in a long: pcapng has 64-bit timestamps (seconds past
 * about 9.2e9 overflowed {@code sec * 1e9} into negative times), classic pcap unsigned 32-bit seconds (sign-extended
 * by libpcap). Read by libpcap and {@link NativeLoop}, as a replay reads them.
 */
class NativeLoopTimestampTest {
    private static final byte[] FRAME = new byte[60];

    @TempDir
    Path dir;

    @Test
    void pcapngTimesBeyond2262AreClampedNotOverflowed() throws Exception {
        long[] micros = {1_700_000_000_123_456L, 10_000_000_000L * 1_000_000L + 7, -1L /* 2^64-1 us */};
        Path file = dir.resolve("far.pcapng");
        Files.write(file, pcapng(micros));
        List<Long> nanos = read(file);
        assertEquals(List.of(1_700_000_000_123_456_000L, Long.MAX_VALUE, Long.MAX_VALUE), nanos);

        // the clamped time still makes a row: 10 integer digits, which the receiver accepts (up to 11)
        PacketRecord rec = new PacketRecord();
        new PacketDecoder().decode(1, FRAME, FRAME.length, nanos.get(1), 9, "f", rec);
        assertEquals(new BigDecimal("9223372036.854775807"), rec.get(Field.TIMESTAMP));
    }

    @Test
    void classicPcapSecondsAreUnsigned32Bit() throws Exception {
        Path file = dir.resolve("late.pcap");
        ByteBuffer b = ByteBuffer.allocate(24 + 16 + FRAME.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(65535).putInt(1);
        b.putInt(0xFFFFFFFF).putInt(999_999).putInt(FRAME.length).putInt(FRAME.length).put(FRAME);
        Files.write(file, b.array());
        assertEquals(List.of(4_294_967_295_999_999_000L), read(file));
    }

    @Test
    void epochNanosClampsEveryOverflow() {
        assertEquals(1_000_000_001_000L, NativeLoop.epochNanos(1000, 1, 1000));
        assertEquals(9_223_372_036_854_775_807L, NativeLoop.epochNanos(9_223_372_036L, 854_775_807L, 1));
        assertEquals(Long.MAX_VALUE, NativeLoop.epochNanos(9_223_372_036L, 854_775_808L, 1));
        assertEquals(Long.MAX_VALUE, NativeLoop.epochNanos(Long.MAX_VALUE, 0, 1));
        assertEquals(Long.MAX_VALUE, NativeLoop.epochNanos(Long.MIN_VALUE, 0, 1000));
        assertEquals(4_294_967_295_000_000_000L, NativeLoop.epochNanos(-1, 0, 1)); // sign-extended 0xFFFFFFFF
    }

    private static List<Long> read(Path file) throws Exception {
        List<Long> nanos = new ArrayList<>();
        PcapHandle h = Pcaps.openOffline(file.toString(), PcapHandle.TimestampPrecision.NANO);
        try {
            boolean nano = h.getTimestampPrecision() == PcapHandle.TimestampPrecision.NANO;
            int rc = NativeLoop.loop(h, nano, true, () -> false, (data, cap, wire, epochNanos) -> nanos.add(epochNanos));
            assertEquals(0, rc, "read to the end");
        } finally {
            h.close();
        }
        return nanos;
    }

    /** Section header, one Ethernet interface (microsecond resolution), one enhanced packet block per time. */
    private static byte[] pcapng(long[] micros) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(28 + 20 + micros.length * (32 + FRAME.length)).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0x0A0D0D0A).putInt(28).putInt(0x1A2B3C4D).putShort((short) 1).putShort((short) 0).putLong(-1L).putInt(28);
        b.putInt(1).putInt(20).putShort((short) 1).putShort((short) 0).putInt(0).putInt(20);
        for (long t : micros) {
            int len = 32 + FRAME.length;
            b.putInt(6).putInt(len).putInt(0).putInt((int) (t >>> 32)).putInt((int) t).putInt(FRAME.length).putInt(FRAME.length)
                    .put(FRAME).putInt(len);
        }
        return b.array();
    }
}
