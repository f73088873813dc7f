package org.packetrelay.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.packetrelay.decode.Packets.*;

import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.packetrelay.catalog.Field;
import org.packetrelay.catalog.PacketRecord;

/** IPv4, IPv6, extension headers and AH, fragments, IPv6 address text. */
class IpTest extends LayerTest {
    /** IPv6, hop-by-hop options, a first fragment, UDP, a DNS response with two answers. */
    static final byte[] IPV6_DNS = ethernet(0x86DD, ipv6(0, "2001:db8::1", "2001:db8::2", concat(bytes(44, 0, 1, 4, 0, 0, 0, 0),
            bytes(17, 0, 0, 1, 0, 0, 0, 9), udp(53, 40000, dnsResponse(9, "a.example", "192.0.2.1", "192.0.2.2")))));

    @Test
    void ipv4Fields() {
        PacketRecord r = decode(12, ipv4(6, "10.0.0.1", "10.0.0.2", tcp(1, 2, 3, 4, 2, 5, new byte[0])));
        assertEquals(4, r.getNumber(Field.IP_VERSION));
        assertEquals(64, r.getNumber(Field.TTL));
        assertEquals("10.0.0.1", r.getString(Field.SRC_IP));
        assertEquals("10.0.0.2", r.getString(Field.DST_IP));
        assertEquals("ipv4: header truncated (19 of 20 bytes)", error(12, Arrays.copyOf(ipv4(6, "1.1.1.1", "2.2.2.2", new byte[0]), 19)));
    }

    @Test
    void ipv6ExtensionHeadersBeforeUdp() {
        PacketRecord r = decode(1, IPV6_DNS);
        assertNull(r.getString(Field.DECODE_ERROR));
        assertEquals("UDP", r.getString(Field.PROTOCOL));
        assertEquals("2001:db8::1", r.getString(Field.SRC_IP));
        assertEquals(6, r.getNumber(Field.IP_VERSION));
        assertEquals(53, r.getNumber(Field.SRC_PORT));
    }

    @Test
    void ipProtocolsAndFragments() {
        assertEquals("GRE", decode(12, ipv4(47, "1.1.1.1", "2.2.2.2", new byte[8])).getString(Field.PROTOCOL));
        assertEquals(8, rec.getNumber(Field.PAYLOAD_LENGTH));
        assertEquals("IP_253", decode(12, ipv4(253, "1.1.1.1", "2.2.2.2", new byte[8])).getString(Field.PROTOCOL));
        assertEquals("ESP", decode(12, ipv6(50, "::1", "::2", new byte[8])).getString(Field.PROTOCOL));
        assertEquals("IPv6-NoNxt", decode(12, ipv6(59, "::1", "::2", new byte[0])).getString(Field.PROTOCOL));
        // AH (length in 4-byte units + 2) before TCP, in IPv4 and IPv6
        byte[] ah = concat(bytes(6, 4), new byte[22]);
        byte[] seg = tcp(1, 2, 3, 4, 2, 5, new byte[0]);
        assertEquals("SYN", decode(12, ipv4(51, "1.1.1.1", "2.2.2.2", concat(ah, seg))).getString(Field.TCP_FLAGS));
        assertEquals("TCP", decode(12, ipv6(51, "::1", "::2", concat(ah, seg))).getString(Field.PROTOCOL));
        // a non-first IPv4 fragment: the protocol, no ports, no error
        byte[] frag = ipv4(17, "1.1.1.1", "2.2.2.2", new byte[16]);
        frag[6] = 0;
        frag[7] = (byte) 185;
        PacketRecord r = decode(12, frag);
        assertEquals("UDP", r.getString(Field.PROTOCOL));
        assertFalse(r.has(Field.SRC_PORT));
        assertNull(r.getString(Field.DECODE_ERROR));
        assertEquals(16, r.getNumber(Field.PAYLOAD_LENGTH));
        assertNull(r.getString(Field.COMMUNITY_ID));
        // a non-first IPv6 fragment likewise
        r = decode(12, ipv6(44, "::1", "::2", concat(bytes(17, 0, 0, 0x21, 0, 0, 0, 43), new byte[24])));
        assertEquals("UDP", r.getString(Field.PROTOCOL));
        assertEquals(24, r.getNumber(Field.PAYLOAD_LENGTH));
        assertFalse(r.has(Field.SRC_PORT));
        // payload_length follows the IP length, not the captured bytes
        byte[] big = ipv4(6, "1.1.1.1", "2.2.2.2", tcp(1, 2, 3, 4, 0x10, 5, new byte[1000]));
        assertEquals(1000, decode(12, Arrays.copyOf(big, 100), big.length).getNumber(Field.PAYLOAD_LENGTH));
        assertNull(rec.getString(Field.DECODE_ERROR));
    }

    @Test
    void segmentationOffloadedLengthsComeFromTheWire() {
        byte[] tso = ipv4(6, "1.1.1.1", "2.2.2.2", tcp(1, 2, 3, 4, 0x10, 5, new byte[100]));
        tso[2] = 0;
        tso[3] = 0;
        assertEquals(100, decode(12, tso).getNumber(Field.PAYLOAD_LENGTH));
        assertNull(rec.getString(Field.DECODE_ERROR));
        byte[] jumbo = ipv6(17, "::1", "::2", udp(1, 2, new byte[30]));
        jumbo[4] = 0;
        jumbo[5] = 0;
        assertEquals(30, decode(12, jumbo).getNumber(Field.PAYLOAD_LENGTH));
    }

    @Test
    void malformedIpHeaders() {
        byte[] p = ipv4(6, "1.1.1.1", "2.2.2.2", tcp(1, 2, 3, 4, 2, 5, new byte[0]));
        p[0] = 0x43;
        assertEquals("ipv4: bad IHL 3", error(12, p));
        assertEquals("1.1.1.1", rec.getString(Field.SRC_IP), "what was decoded stays");
        p[0] = 0x45;
        p[2] = 0;
        p[3] = 12;
        assertEquals("ipv4: bad total length 12 (header 20 bytes)", error(12, p));
        assertEquals("ipv6: bad version 4", error(229, ipv4(6, "1.1.1.1", "2.2.2.2", new byte[40])));
        assertEquals("ipv4: bad version 6", error(228, ipv6(59, "::1", "::2", new byte[0])));
        byte[] hops = new byte[0];
        for (int i = 0; i < 17; i++) {
            hops = concat(hops, bytes(60, 0, 0, 0, 0, 0, 0, 0));
        }
        assertEquals("ipv6: more than 16 extension headers", error(12, ipv6(60, "::1", "::2", hops)));
        assertNull(error(12, ipv6(60, "::1", "::2", concat(Arrays.copyOf(hops, 15 * 8), bytes(59, 0, 0, 0, 0, 0, 0, 0)))),
                "16 are fine");
    }

    /** A header cut by the capture and one beyond what the IP length says, though captured, are told apart. */
    @Test
    void truncatedByTheCaptureIsNotALyingLength() {
        byte[] p = ipv4(6, "1.1.1.1", "2.2.2.2", tcp(1, 2, 3, 4, 2, 5, new byte[0]));
        assertEquals("tcp: header truncated (12 of 20 bytes)", error(12, Arrays.copyOf(p, 32)));
        p[3] = 32; // total length 32: 12 bytes of TCP header, although all 20 are there
        assertEquals("tcp: header exceeds the ipv4 total length (12 of 20 bytes)", error(12, p));
        assertEquals("1.1.1.1", rec.getString(Field.SRC_IP));
        assertEquals("TCP", rec.getString(Field.PROTOCOL));
        byte[] ext = ipv6(0, "::1", "::2", concat(bytes(17, 1), new byte[14], udp(1, 2, new byte[0])));
        ext[5] = 8; // the payload length says 8, the hop-by-hop header says 16
        assertEquals("ipv6: header exceeds the ipv6 payload length (8 of 16 bytes)", error(12, ext));
        assertEquals("ipv6: header truncated (8 of 16 bytes)", error(12, Arrays.copyOf(ipv6(0, "::1", "::2",
                concat(bytes(17, 1), new byte[14])), 48)));
        byte[] icmp = ipv4(1, "1.1.1.1", "2.2.2.2", bytes(8, 0, 0, 0, 0, 1, 0, 1));
        icmp[3] = 24;
        assertEquals("icmp: header exceeds the ipv4 total length (4 of 8 bytes)", error(12, icmp));
        assertTrue(error(12, Arrays.copyOf(icmp, 24)).startsWith("icmp: header truncated"));
    }

    @Test
    void ipv6TextIsRfc5952AsInetNtop() {
        // expected values printed by glibc inet_ntop and by tshark 4.0 for the same addresses
        String[][] cases = {{"::c000:201", "::192.0.2.1"}, {"::ffff:c000:201", "::ffff:192.0.2.1"}, {"::1", "::1"}, {"::", "::"},
                {"1::", "1::"}, {"2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"}, {"1:0:0:2:0:0:0:3", "1:0:0:2::3"},
                {"0:2:3:4:5:6:7:8", "0:2:3:4:5:6:7:8"}, {"1:0:2:3:4:5:6:7", "1:0:2:3:4:5:6:7"}, {"FE80:0:0:0:0:0:0:1", "fe80::1"},
                {"::ffff:0:1", "::ffff:0.0.0.1"}, {"0:0:0:0:0:1:0:0", "::1:0:0"}, {"0:0:0:0:0:0:1:1", "::0.1.0.1"}, {"::ffff", "::ffff"},
                {"2001:db8:0:0:1:0:0:0", "2001:db8:0:0:1::"}, {"2001:0db8:00a0::000f", "2001:db8:a0::f"}};
        for (String[] c : cases) {
            assertEquals(c[1], decode(229, ipv6(59, c[0], "::", new byte[0])).getString(Field.SRC_IP), c[0]);
        }
    }
}
