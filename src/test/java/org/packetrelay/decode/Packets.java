package org.packetrelay.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.jna.Callback;
import com.sun.jna.Native;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.StringReader;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.packetrelay.catalog.Field;
import org.packetrelay.catalog.PacketRecord;
import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.Pcaps;
import org.pcap4j.core.RawPacketListener;

/** Test helpers: packets read with libpcap, packets built by hand, and the CSV round trip of a record. */
final class Packets {
    private Packets() {
    }

    /** One captured packet as libpcap hands it over. */
    record Captured(int dlt, byte[] data, int wireLength, long epochNanos) {
        void decode(PacketDecoder decoder, String iface, PacketRecord out) {
            decoder.decode(dlt, data, wireLength, epochNanos, 9, iface, out);
        }
    }

    /**
     * What libpcap reads from a capture file: the packets pcap4j hands over, the packets pcap4j lost because its
     * callback threw before calling the listener (pcap4j 1.8.2 cannot build a Timestamp from a header whose
     * fraction is out of range, and JNA swallows that exception), and the error that ended reading early.
     */
    record Capture(List<Captured> packets, List<String> lostByPcap4j, String readError) {
    }

    static Capture read(Path file) throws PcapNativeException, NotOpenException {
        PcapHandle h = Pcaps.openOffline(file.toString(), PcapHandle.TimestampPrecision.NANO);
        List<Captured> out = new ArrayList<>();
        List<String> lost = new ArrayList<>();
        String error = null;
        Callback.UncaughtExceptionHandler previous = Native.getCallbackExceptionHandler();
        Native.setCallbackExceptionHandler((callback, e) -> lost.add(e.toString()));
        try {
            int dlt = h.getDlt().value();
            h.loop(-1, (RawPacketListener) bytes -> {
                Integer orig = h.getOriginalLength();
                out.add(new Captured(dlt, bytes, orig == null ? bytes.length : orig, nanos(h.getTimestamp())));
            });
        } catch (PcapNativeException e) {
            error = e.getMessage();
        } catch (InterruptedException e) {
            throw new IllegalStateException("nobody breaks this loop", e);
        } finally {
            Native.setCallbackExceptionHandler(previous);
            h.close();
        }
        return new Capture(out, lost, error);
    }

    static long nanos(Timestamp ts) {
        return Math.floorDiv(ts.getTime(), 1000L) * 1_000_000_000L + ts.getNanos();
    }

    /** Writes the record as a CSV row, parses it back with commons-csv and checks every cell's typed value. */
    static void assertCsvRoundTrip(PacketRecord rec) throws IOException {
        StringBuilder sb = new StringBuilder();
        rec.appendCsv(sb);
        try (CSVParser p = CSVParser.parse(new StringReader(sb.toString()), CSVFormat.RFC4180)) {
            List<CSVRecord> rows = p.getRecords();
            assertEquals(1, rows.size(), sb::toString);
            CSVRecord row = rows.get(0);
            assertEquals(Field.COUNT, row.size(), sb::toString);
            for (Field f : Field.ALL) {
                Object back = f.type().parse(row.get(f.ordinal()));
                assertEquals(rec.get(f), back, () -> f.key() + " in " + sb);
            }
        }
    }

    // ---- building packets (checksums are left 0: the decoder does not check them)

    static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

    static byte[] be16(int v) {
        return bytes(v >> 8, v);
    }

    static byte[] be32(long v) {
        return bytes((int) (v >> 24), (int) (v >> 16), (int) (v >> 8), (int) v);
    }

    static byte[] ethernet(int etherType, byte[] payload) {
        return concat(bytes(0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01), be16(etherType), payload);
    }

    static byte[] ipv4(int proto, String src, String dst, byte[] payload) {
        return concat(bytes(0x45, 0), be16(20 + payload.length), bytes(0, 1, 0x40, 0, 64, proto, 0, 0),
                addr(src), addr(dst), payload);
    }

    /** IPv6 with the given extension headers (each already encoded, its first byte the next header). */
    static byte[] ipv6(int next, String src, String dst, byte[] payload) {
        return concat(bytes(0x60, 0, 0, 0), be16(payload.length), bytes(next, 64), addr(src), addr(dst), payload);
    }

    /** IPv4 dotted or IPv6 hex text (the JDK would turn ::ffff:c000:201 and ::c000:201 into 4-byte addresses). */
    static byte[] addr(String ip) {
        if (ip.contains(":")) {
            String[] halves = (ip + " ").split("::", -1);
            String[] head = halves[0].isEmpty() ? new String[0] : halves[0].split(":");
            String[] tail = halves.length == 1 || halves[1].isBlank() ? new String[0] : halves[1].trim().split(":");
            int[] groups = new int[8];
            for (int i = 0; i < head.length; i++) {
                groups[i] = Integer.parseInt(head[i].trim(), 16);
            }
            for (int i = 0; i < tail.length; i++) {
                groups[8 - tail.length + i] = Integer.parseInt(tail[i], 16);
            }
            byte[] b = new byte[16];
            for (int i = 0; i < 8; i++) {
                b[2 * i] = (byte) (groups[i] >> 8);
                b[2 * i + 1] = (byte) groups[i];
            }
            return b;
        }
        try {
            return InetAddress.getByName(ip).getAddress();
        } catch (UnknownHostException e) {
            throw new IllegalArgumentException(ip, e);
        }
    }

    static byte[] udp(int sport, int dport, byte[] payload) {
        return concat(be16(sport), be16(dport), be16(8 + payload.length), be16(0), payload);
    }

    static byte[] tcp(int sport, int dport, long seq, long ack, int flags, int window, byte[] payload) {
        return concat(be16(sport), be16(dport), be32(seq), be32(ack), bytes(0x50, flags), be16(window), be16(0), be16(0),
                payload);
    }

    /** A DNS name in wire format (no compression). */
    static byte[] dnsName(String name) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (String label : name.isEmpty() ? new String[0] : name.split("\\.")) {
            out.write(label.length());
            out.writeBytes(label.getBytes(StandardCharsets.US_ASCII));
        }
        out.write(0);
        return out.toByteArray();
    }

    static byte[] dnsQuery(int id, String name, int qtype) {
        return concat(be16(id), bytes(0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0), dnsName(name), be16(qtype), be16(1));
    }

    /** A response to {@link #dnsQuery} with A records (owner name a pointer to the question), 16 bytes each. */
    static byte[] dnsResponse(int id, String name, String... addresses) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(concat(be16(id), bytes(0x81, 0x80, 0, 1), be16(addresses.length), bytes(0, 0, 0, 0), dnsName(name),
                be16(1), be16(1)));
        for (String a : addresses) {
            out.writeBytes(concat(bytes(0xC0, 12), be16(1), be16(1), be32(300), be16(4), addr(a)));
        }
        return out.toByteArray();
    }
}
