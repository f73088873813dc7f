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

/** TCP, UDP, SCTP and ICMP/ICMPv6 headers. */
class TcpUdpTest extends LayerTest {
    @Test
    void tcpFields() {
        PacketRecord r = decode(12, ipv4(6, "10.0.0.1", "10.0.0.2", tcp(40000, 8080, 100, 4_294_967_295L, 0x18, 1000, new byte[7])));
        assertEquals(40000, r.getNumber(Field.SRC_PORT));
        assertEquals(8080, r.getNumber(Field.DST_PORT));
        assertEquals(100, r.getNumber(Field.SEQ));
        assertEquals(4_294_967_295L, r.getNumber(Field.ACK));
        assertEquals("PSH,ACK", r.getString(Field.TCP_FLAGS));
        assertTrue(r.getBool(Field.TCP_PSH) && r.getBool(Field.TCP_ACK));
        assertFalse(r.getBool(Field.TCP_SYN) || r.getBool(Field.TCP_FIN) || r.getBool(Field.TCP_RST));
        assertEquals(1000, r.getNumber(Field.TCP_WINDOW));
        assertEquals(7, r.getNumber(Field.PAYLOAD_LENGTH));
        assertEquals("FIN,SYN,RST,PSH,ACK,URG,ECE,CWR", decode(12, ipv4(6, "1.1.1.1", "2.2.2.2", tcp(1, 2, 3, 4, 0xFF, 5, new byte[0])))
                .getString(Field.TCP_FLAGS));
        assertFalse(decode(12, ipv4(6, "1.1.1.1", "2.2.2.2", tcp(1, 2, 3, 4, 0, 5, new byte[0]))).has(Field.TCP_FLAGS), "no flag set");
    }

    @Test
    void malformedTcpAndUdp() {
        byte[] p = ipv4(6, "1.1.1.1", "2.2.2.2", tcp(1, 2, 3, 4, 2, 5, new byte[0]));
        p[32] = 0x40;
        assertEquals("tcp: bad data offset 4", error(12, p));
        assertEquals(2, rec.getNumber(Field.DST_PORT), "the ports stay");
        p[32] = (byte) 0x60; // 24 bytes of header: 20 within the IP length, 4 more captured after it (link padding)
        assertEquals("tcp: header exceeds the ipv4 total length (20 of 24 bytes)", error(12, concat(p, new byte[4])));
        assertEquals("tcp: header truncated (20 of 24 bytes)", error(12, p), "the packet ends where the IP length says");
        byte[] options = ipv4(6, "1.1.1.1", "2.2.2.2", concat(tcp(1, 2, 3, 4, 2, 5, new byte[0]), bytes(1, 1, 1, 0)));
        options[32] = (byte) 0x60;
        assertNull(error(12, options));
        assertEquals("tcp: header truncated (20 of 24 bytes)", error(12, Arrays.copyOf(options, 40)));
        p = ipv4(17, "1.1.1.1", "2.2.2.2", udp(1, 53, new byte[4]));
        p[25] = 4;
        assertEquals("udp: bad length 4", error(12, p));
        assertEquals("udp: header truncated (7 of 8 bytes)", error(12, Arrays.copyOf(ipv4(17, "1.1.1.1", "2.2.2.2", udp(1, 2,
                new byte[0])), 27)));
    }

    @Test
    void udpLengthWinsOverPadding() {
        byte[] p = concat(ipv4(17, "1.1.1.1", "2.2.2.2", udp(1, 2, new byte[3])), new byte[10]);
        p[3] = 31; // IP says 31 bytes: 20 + 8 + 3; the 10 bytes after are link padding
        assertEquals(3, decode(12, p).getNumber(Field.PAYLOAD_LENGTH));
        assertNull(rec.getString(Field.DECODE_ERROR));
    }

    @Test
    void sctpAndIcmp() {
        PacketRecord r = decode(12, ipv4(132, "1.1.1.1", "2.2.2.2", concat(be16(7), be16(9), new byte[8], new byte[20])));
        assertEquals("SCTP", r.getString(Field.PROTOCOL));
        assertEquals(9, r.getNumber(Field.DST_PORT));
        assertEquals(20, r.getNumber(Field.PAYLOAD_LENGTH));
        r = decode(12, ipv4(1, "1.1.1.1", "2.2.2.2", concat(bytes(3, 3, 0, 0, 0, 0, 0, 0), new byte[28])));
        assertEquals("ICMP", r.getString(Field.PROTOCOL));
        assertEquals(3, r.getNumber(Field.ICMP_TYPE));
        assertEquals(3, r.getNumber(Field.ICMP_CODE));
        assertEquals(28, r.getNumber(Field.PAYLOAD_LENGTH));
        r = decode(12, ipv6(58, "::1", "::2", bytes(128, 0, 0, 0, 0, 1, 0, 1)));
        assertEquals("ICMPv6", r.getString(Field.PROTOCOL));
        assertEquals(128, r.getNumber(Field.ICMP_TYPE));
        assertEquals("icmpv6: header truncated (4 of 8 bytes)", error(12, Arrays.copyOf(ipv6(58, "::1", "::2",
                bytes(128, 0, 0, 0, 0, 1, 0, 1)), 44)));
    }
}
