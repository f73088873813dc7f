package org.packetrelay.upload;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.packetrelay.catalog.Field;
import org.packetrelay.catalog.PacketRecord;

/** Spool files as the sniffer writes them (catalog header, PacketRecord rows, then the marker). */
final class SpoolFixtures {
    private SpoolFixtures() {
    }

    static PacketRecord record(long i, String tag) {
        PacketRecord r = new PacketRecord();
        r.setTimestamp(1_700_000_000_000_000_000L + i * 1_000L, 6);
        r.setString(Field.INTERFACE, "eth0");
        r.setNumber(Field.LENGTH, 60 + i % 1400);
        r.setString(Field.SRC_IP, "10.0.0." + (i % 250));
        r.setString(Field.DST_IP, "192.0.2.1");
        r.setString(Field.PROTOCOL, "TCP");
        r.setNumber(Field.SRC_PORT, 40000 + i % 20000);
        r.setNumber(Field.DST_PORT, 443);
        r.setString(Field.TCP_FLAGS, "PSH,ACK");
        r.setBool(Field.TCP_SYN, false);
        r.setBool(Field.TCP_ACK, true);
        r.setBool(Field.TCP_FIN, false);
        r.setBool(Field.TCP_RST, false);
        r.setBool(Field.TCP_PSH, true);
        r.setNumber(Field.SEQ, 4_000_000_000L + i);
        r.setNumber(Field.ACK, i);
        r.setString(Field.HTTP_PATH, "/p?i=" + i + "&tag=" + tag + ",\"q\"");
        r.setNumber(Field.IP_VERSION, 4);
        r.setNumber(Field.TTL, 64);
        r.setString(Field.COMMUNITY_ID, "1:" + tag + i);
        return r;
    }

    /** Writes {@code rows} records into pending/{name} and then its marker; returns the file. */
    static Path write(Path pending, String name, int rows, String tag) throws IOException {
        Files.createDirectories(pending);
        StringBuilder sb = new StringBuilder(Field.CSV_HEADER).append('\n');
        for (int i = 0; i < rows; i++) {
            record(i, tag).appendCsv(sb);
        }
        Path f = pending.resolve(name);
        Files.writeString(f, sb, StandardCharsets.UTF_8);
        Files.createFile(pending.resolve(name + ".ready"));
        return f;
    }

    static void writeRaw(Path pending, String name, byte[] content) throws IOException {
        Files.createDirectories(pending);
        Files.write(pending.resolve(name), content);
        Files.createFile(pending.resolve(name + ".ready"));
    }
}
