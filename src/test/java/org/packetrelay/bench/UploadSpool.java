package org.packetrelay.bench;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Random;

import org.packetrelay.catalog.Field;
import org.packetrelay.catalog.PacketRecord;

/**
 * Spool files for the upload benchmark, as the sniffer writes them: the catalog header, then rows from
 * {@link PacketRecord#appendCsv} with varied, realistic values (a fixed seed, so every run is the same spool).
 * Records belong to a few thousand flows: TCP with TLS (some with an SNI), plain HTTP (methods, paths with query
 * strings, commas, quotes, UTF-8 and escaped bytes, hosts, status codes), DNS queries and answers over UDP and
 * IPv6, QUIC/NTP-like UDP, ICMP, ARP; MACs, TTLs, windows, community ids, a few VLAN ids and decode errors.
 */
final class UploadSpool {
    private static final String[] FLAGS = {"ACK", "PSH,ACK", "SYN", "SYN,ACK", "FIN,ACK", "RST", "RST,ACK"};
    private static final int[] FLAG_WEIGHTS = {45, 35, 5, 5, 6, 2, 2};
    private static final String[] HOSTS = {"www.example.com", "api.example.org", "cdn.jsdelivr.net", "updates.vendor.io:8080",
            "intranet.corp.local", "s3.eu-west-1.amazonaws.com", "телеграм.example", "metrics.internal:9100"};
    private static final String[] PATHS = {"/", "/index.html", "/api/v2/items?page=%d&sort=desc", "/search?q=a,b&lang=en",
            "/login?next=%%2Fadmin", "/static/js/app.%d.js", "/wiki/Caf\u00e9_au_lait", "/q?filter=\"name\"&id=%d",
            "/upload/chunk/%d", "/health", "/v1/metrics?labels=job,instance", "/bad\\x00path\\x0D\\x0A%d",
            "/very/long/path/segment/that/keeps/going/and/going/%d/resource.json?token=abcdef0123456789"};
    private static final String[] QNAMES = {"example.com", "www.google.com", "api.github.com", "ntp.ubuntu.com",
            "_ldap._tcp.dc._msdcs.corp.local", "a1b2c3d4.cdn.cloudflare.net", "xn--e1afmkfd.xn--p1ai", "time.apple.com",
            "mail.protonmail.ch", "tracker.example.net"};
    private static final String[] SNIS = {"www.example.com", "login.microsoftonline.com", "github.com", "api.stripe.com",
            "accounts.google.com", "static.xx.fbcdn.net", "ocsp.digicert.com"};
    private static final String[] IFACES = {"eth0", "eth0", "eth0", "eth0", "wlan0", "ens3"};

    /** One flow: the constant part of its packets. */
    private record Flow(int kind, boolean v6, String iface, String src, String dst, int sport, int dport, String cid,
                        String srcMac, String dstMac, int ttl, int vlan, String host, String sni, String qname) {
    }

    private final Random rnd = new Random(20240601L);
    private final Flow[] flows;
    private long nanos = 1_717_200_000_000_000_000L;

    UploadSpool() {
        flows = new Flow[4000];
        for (int i = 0; i < flows.length; i++) {
            flows[i] = newFlow();
        }
    }

    /** Writes {@code files} files of {@code rowsPerFile} rows into {@code dir} (no markers); returns them in order. */
    List<Path> write(Path dir, int files, int rowsPerFile) throws IOException {
        Files.createDirectories(dir);
        List<Path> out = new ArrayList<>();
        PacketRecord r = new PacketRecord();
        StringBuilder sb = new StringBuilder(1 << 20);
        for (int f = 0; f < files; f++) {
            Path p = dir.resolve(String.format("packets_20240601_%06d_%03d.csv", 120000 + f, f));
            try (Writer w = new BufferedWriter(new OutputStreamWriter(Files.newOutputStream(p), StandardCharsets.UTF_8), 1 << 16)) {
                sb.setLength(0);
                sb.append(Field.CSV_HEADER).append('\n');
                for (int i = 0; i < rowsPerFile; i++) {
                    next(r);
                    r.appendCsv(sb);
                    if (sb.length() > (1 << 20) - 4096) {
                        w.append(sb);
                        sb.setLength(0);
                    }
                }
                w.append(sb);
            }
            out.add(p);
        }
        return out;
    }

    private String ip4(boolean priv) {
        return priv ? "10." + rnd.nextInt(4) + "." + rnd.nextInt(256) + "." + (1 + rnd.nextInt(254))
                : (11 + rnd.nextInt(180)) + "." + rnd.nextInt(256) + "." + rnd.nextInt(256) + "." + (1 + rnd.nextInt(254));
    }

    private String ip6(boolean priv) {
        return (priv ? "fd00:" : "2001:db8:") + Integer.toHexString(rnd.nextInt(65536)) + "::" + Integer.toHexString(1 + rnd.nextInt(65535));
    }

    private String mac() {
        StringBuilder sb = new StringBuilder(17);
        for (int i = 0; i < 6; i++) {
            if (i > 0) {
                sb.append(':');
            }
            int b = i == 0 ? (rnd.nextInt(64) << 2) : rnd.nextInt(256);
            sb.append(Character.forDigit(b >> 4, 16)).append(Character.forDigit(b & 15, 16));
        }
        return sb.toString();
    }

    private Flow newFlow() {
        int k = rnd.nextInt(100);
        // 0 TLS, 1 HTTP, 2 DNS, 3 other UDP (QUIC/NTP), 4 ICMP, 5 ARP
        int kind = k < 42 ? 0 : k < 57 ? 1 : k < 80 ? 2 : k < 90 ? 3 : k < 96 ? 4 : 5;
        boolean v6 = kind != 5 && rnd.nextInt(100) < 12;
        String src = v6 ? ip6(true) : ip4(true);
        String dst = v6 ? ip6(kind == 2 && rnd.nextBoolean()) : ip4(kind == 2 && rnd.nextBoolean());
        int sport = 32768 + rnd.nextInt(28232);
        int dport = switch (kind) {
            case 0 -> rnd.nextInt(10) == 0 ? 8443 : 443;
            case 1 -> rnd.nextInt(5) == 0 ? 8080 : 80;
            case 2 -> 53;
            case 3 -> rnd.nextBoolean() ? 443 : 123;
            default -> 0;
        };
        byte[] h = new byte[20];
        rnd.nextBytes(h);
        String cid = kind == 5 ? null : "1:" + Base64.getEncoder().encodeToString(h);
        return new Flow(kind, v6, IFACES[rnd.nextInt(IFACES.length)], src, dst, sport, dport, cid, mac(), mac(),
                v6 ? 64 : new int[] {64, 128, 255, 57, 118}[rnd.nextInt(5)], rnd.nextInt(20) == 0 ? 1 + rnd.nextInt(4094) : -1,
                HOSTS[rnd.nextInt(HOSTS.length)], rnd.nextInt(3) == 0 ? null : SNIS[rnd.nextInt(SNIS.length)],
                QNAMES[rnd.nextInt(QNAMES.length)]);
    }

    private String flags() {
        int x = rnd.nextInt(100);
        for (int i = 0; i < FLAGS.length; i++) {
            x -= FLAG_WEIGHTS[i];
            if (x < 0) {
                return FLAGS[i];
            }
        }
        return "ACK";
    }

    /** The next record (a packet of a random flow, either direction). */
    private void next(PacketRecord r) {
        r.clear();
        nanos += 1_000 + rnd.nextInt(200_000);
        Flow f = flows[rnd.nextInt(flows.length)];
        boolean reply = rnd.nextInt(3) == 0;
        r.setTimestamp(nanos, 6);
        r.setString(Field.INTERFACE, f.iface());
        r.setString(Field.SRC_MAC, reply ? f.dstMac() : f.srcMac());
        r.setString(Field.DST_MAC, reply ? f.srcMac() : f.dstMac());
        if (f.vlan() > 0) {
            r.setNumber(Field.VLAN_ID, f.vlan());
        }
        int len;
        if (f.kind() == 5) {
            len = 42 + rnd.nextInt(2) * 18;
            r.setString(Field.PROTOCOL, "ARP");
            boolean req = !reply;
            r.setNumber(Field.ARP_OP, req ? 1 : 2);
            r.setString(Field.ARP_PSRC, f.src().startsWith("10.") ? f.src() : "10.0.0.1");
            r.setString(Field.ARP_PDST, "10.0.0." + (1 + (f.sport() % 254)));
            r.setString(Field.ARP_HWSRC, f.srcMac());
            r.setString(Field.ARP_HWDST, req ? "00:00:00:00:00:00" : f.dstMac());
            r.setNumber(Field.LENGTH, len);
            r.setNumber(Field.CAPTURED_LENGTH, len);
            return;
        }
        r.setNumber(Field.IP_VERSION, f.v6() ? 6 : 4);
        r.setString(Field.SRC_IP, reply ? f.dst() : f.src());
        r.setString(Field.DST_IP, reply ? f.src() : f.dst());
        r.setNumber(Field.TTL, reply ? 40 + rnd.nextInt(24) : f.ttl());
        r.setString(Field.COMMUNITY_ID, f.cid());
        int hdr = (f.v6() ? 54 : 34) + (f.kind() <= 1 ? 32 : 8);
        int payload = 0;
        switch (f.kind()) {
            case 0, 1 -> {
                r.setString(Field.PROTOCOL, "TCP");
                String fl = flags();
                r.setString(Field.TCP_FLAGS, fl);
                r.setBool(Field.TCP_SYN, fl.contains("SYN"));
                r.setBool(Field.TCP_ACK, fl.contains("ACK"));
                r.setBool(Field.TCP_FIN, fl.contains("FIN"));
                r.setBool(Field.TCP_RST, fl.contains("RST"));
                r.setBool(Field.TCP_PSH, fl.contains("PSH"));
                r.setNumber(Field.SEQ, rnd.nextLong() & 0xFFFF_FFFFL);
                if (fl.contains("ACK")) {
                    r.setNumber(Field.ACK, rnd.nextLong() & 0xFFFF_FFFFL);
                }
                r.setNumber(Field.TCP_WINDOW, rnd.nextInt(65536));
                payload = fl.contains("PSH") ? 1 + rnd.nextInt(1400) : 0;
                if (fl.equals("PSH,ACK")) {
                    if (f.kind() == 1 && !reply) {
                        r.setString(Field.HTTP_METHOD, new String[] {"GET", "GET", "GET", "POST", "PUT", "HEAD"}[rnd.nextInt(6)]);
                        String p = PATHS[rnd.nextInt(PATHS.length)];
                        r.setString(Field.HTTP_PATH, p.contains("%d") ? String.format(p, rnd.nextInt(100_000)) : p.replace("%%", "%"));
                        r.setString(Field.HTTP_HOST, f.host());
                    } else if (f.kind() == 1) {
                        r.setNumber(Field.HTTP_STATUS_CODE, new int[] {200, 200, 200, 304, 404, 301, 500}[rnd.nextInt(7)]);
                    } else if (f.sni() != null && !reply && rnd.nextInt(8) == 0) {
                        r.setString(Field.TLS_SNI, f.sni());
                    }
                }
                if (rnd.nextInt(400) == 0) {
                    r.setString(Field.DECODE_ERROR, "truncated TCP header: 12 of 20 bytes");
                }
            }
            case 2 -> {
                r.setString(Field.PROTOCOL, "UDP");
                r.setNumber(Field.SRC_PORT, reply ? 53 : f.sport());
                r.setNumber(Field.DST_PORT, reply ? f.sport() : 53);
                r.setBool(Field.DNS_QUERY, !reply);
                r.setBool(Field.DNS_RESPONSE, reply);
                r.setString(Field.DNS_QNAME, f.qname());
                r.setNumber(Field.DNS_QTYPE, new int[] {1, 1, 28, 5, 65, 33, 16}[rnd.nextInt(7)]);
                if (reply) {
                    int n = rnd.nextInt(6);
                    r.setNumber(Field.DNS_ANSWER_COUNT, n);
                    r.setNumber(Field.DNS_ANSWER_SIZE, n * (16 + rnd.nextInt(40)));
                }
                payload = 30 + rnd.nextInt(200);
            }
            case 3 -> {
                r.setString(Field.PROTOCOL, "UDP");
                payload = 40 + rnd.nextInt(1200);
            }
            default -> {
                r.setString(Field.PROTOCOL, f.v6() ? "ICMPv6" : "ICMP");
                int t = new int[] {8, 0, 3, 11}[rnd.nextInt(4)];
                r.setNumber(Field.ICMP_TYPE, f.v6() ? (t == 8 ? 128 : t == 0 ? 129 : 1) : t);
                r.setNumber(Field.ICMP_CODE, t == 3 ? rnd.nextInt(4) : 0);
                payload = 56;
            }
        }
        if (f.kind() <= 1 || f.kind() == 3) {
            r.setNumber(Field.SRC_PORT, reply ? f.dport() : f.sport());
            r.setNumber(Field.DST_PORT, reply ? f.sport() : f.dport());
        }
        len = hdr + payload;
        r.setNumber(Field.LENGTH, len);
        r.setNumber(Field.CAPTURED_LENGTH, Math.min(len, 65535));
        r.setNumber(Field.PAYLOAD_LENGTH, payload);
    }
}
