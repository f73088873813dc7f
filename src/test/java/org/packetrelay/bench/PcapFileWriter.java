package org.packetrelay.bench;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Writes a classic libpcap file (not pcapng): 24-byte global header (magic 0xa1b2c3d4 in little-endian order, version
 * 2.4, microsecond timestamps, snaplen 65535, the link type), then per packet a 16-byte record header (seconds,
 * microseconds, captured length, original length) and the bytes.
 */
public final class PcapFileWriter {
    static final int SNAPLEN = 65535;

    private PcapFileWriter() {
    }

    /** What was written. */
    public record Written(Path file, long packets, long bytes) {
    }

    /**
     * Writes {@code count} packets: the given ones over and over, each round shifted in time after the previous one,
     * so timestamps never go backwards (spacing inside a round is the captured one).
     */
    public static Written write(Path file, int linkType, List<LoopbackCapture.Packet> packets, long count) throws IOException {
        if (packets.isEmpty()) {
            throw new IllegalArgumentException("no packet to write");
        }
        Files.createDirectories(file.getParent());
        long firstMicros = packets.get(0).epochNanos() / 1000;
        long lastMicros = firstMicros;
        for (LoopbackCapture.Packet p : packets) {
            lastMicros = Math.max(lastMicros, p.epochNanos() / 1000);
        }
        long roundMicros = lastMicros - firstMicros + 100;
        ByteBuffer head = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
        head.putInt(0xa1b2c3d4).putShort((short) 2).putShort((short) 4).putInt(0).putInt(0).putInt(SNAPLEN).putInt(linkType);
        ByteBuffer rec = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
        long written = 24;
        long prev = Long.MIN_VALUE;
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(file), 1 << 20)) {
            out.write(head.array());
            for (long n = 0; n < count; n++) {
                LoopbackCapture.Packet p = packets.get((int) (n % packets.size()));
                long round = n / packets.size();
                long t = firstMicros + round * roundMicros + (p.epochNanos() / 1000 - firstMicros);
                if (t <= prev) {
                    t = prev + 1;
                }
                prev = t;
                int caplen = Math.min(p.data().length, SNAPLEN);
                rec.clear();
                rec.putInt((int) (t / 1_000_000)).putInt((int) (t % 1_000_000)).putInt(caplen)
                        .putInt(Math.max(p.originalLength(), caplen));
                out.write(rec.array());
                out.write(p.data(), 0, caplen);
                written += 16 + caplen;
            }
        }
        return new Written(file, count, written);
    }
}
