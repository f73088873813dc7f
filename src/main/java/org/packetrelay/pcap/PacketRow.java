package org.packetrelay.pcap;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.AbstractMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;
import org.packetrelay.catalog.Field;

/**
 * One packet of a {@link PacketBatch}, for routes that want per-packet EIPs: split a batch with
 * {@code ${body.rows}}, then {@code filter} on {@code ${body[src_ip]}} (a row is a map of field name to text) or
 * {@code ${body.inSubnet('src_ip', '10.1.0.0/16')}} and mark rows with the property {@code dropPacket=true};
 * {@link org.packetrelay.spool.PacketBatchAggregation} as the
 * split's strategy puts the other rows back into one batch. Costs an exchange per packet: for high
 * rates prefer a BPF filter.
 */
public final class PacketRow extends AbstractMap<String, String> {
    private static final CSVFormat FORMAT = CSVFormat.RFC4180;
    private final String line;
    private CSVRecord cells;

    public PacketRow(String line) {
        this.line = line;
    }

    /** The CSV row (without line end). */
    public String line() {
        return line;
    }

    /** The field's value as text, or null when empty or unknown ({@code ${body[src_ip]}} in simple). */
    @Override
    public String get(Object key) {
        Field f = key == null ? null : Field.byKey(key.toString());
        if (f == null) {
            return null;
        }
        if (cells == null) {
            try (CSVParser p = CSVParser.parse(line, FORMAT)) {
                cells = p.getRecords().get(0);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        String v = f.ordinal() < cells.size() ? cells.get(f.ordinal()) : "";
        return v.isEmpty() ? null : v;
    }

    /** Whether the address in field {@code key} lies in {@code cidr} (e.g. 10.1.0.0/16 or 2001:db8::/32). */
    public boolean inSubnet(String key, String cidr) {
        String v = get(key);
        if (v == null) {
            return false;
        }
        int slash = cidr.indexOf('/');
        try {
            byte[] net = InetAddress.getByName(slash < 0 ? cidr : cidr.substring(0, slash)).getAddress();
            byte[] addr = InetAddress.getByName(v).getAddress();
            int bits = slash < 0 ? net.length * 8 : Integer.parseInt(cidr.substring(slash + 1));
            if (addr.length != net.length) {
                return false;
            }
            for (int i = 0; i < bits; i++) {
                int mask = 0x80 >> (i % 8);
                if ((addr[i / 8] & mask) != (net[i / 8] & mask)) {
                    return false;
                }
            }
            return true;
        } catch (UnknownHostException | NumberFormatException e) {
            return false;
        }
    }

    @Override
    public Set<Entry<String, String>> entrySet() {
        Map<String, String> m = new LinkedHashMap<>();
        for (Field f : Field.ALL) {
            m.put(f.key(), get(f.key()));
        }
        return m.entrySet();
    }

    @Override
    public String toString() {
        return line;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof PacketRow r && r.line.equals(line);
    }

    @Override
    public int hashCode() {
        return line.hashCode();
    }
}
