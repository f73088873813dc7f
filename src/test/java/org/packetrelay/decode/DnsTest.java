package org.packetrelay.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.packetrelay.decode.Packets.*;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.packetrelay.catalog.Field;
import org.packetrelay.catalog.PacketRecord;

/** DNS over UDP and TCP: names, compression pointers, counts and what is an error. */
class DnsTest extends LayerTest {
    static byte[] dnsUdp(byte[] message) {
        return ipv4(17, "192.0.2.1", "192.0.2.2", udp(40000, 53, message));
    }

    static byte[] dnsHeader(int questions, int answers) {
        return concat(bytes(0, 1, 0x81, 0x80), be16(questions), be16(answers), bytes(0, 0, 0, 0));
    }

    /** Two questions: "x", then a pointer to the last of {@code n} pointers after the questions, each to the one before. */
    static byte[] pointerChain(int n) {
        byte[] head = concat(dnsHeader(2, 0), dnsName("x"), be16(1), be16(1));
        int chainStart = head.length + 6;
        byte[] chain = new byte[0];
        for (int i = 0; i < n; i++) {
            chain = concat(chain, pointer(i == 0 ? 12 : chainStart + 2 * (i - 1)));
        }
        return concat(head, pointer(chainStart + 2 * (n - 1)), be16(1), be16(1), chain);
    }

    static byte[] pointer(int offset) {
        return bytes(0xC0 | offset >> 8, offset);
    }

    @Test
    void responseOverIpv6() {
        PacketRecord r = decode(1, IpTest.IPV6_DNS);
        assertNull(r.getString(Field.DECODE_ERROR));
        assertTrue(r.getBool(Field.DNS_RESPONSE));
        assertFalse(r.getBool(Field.DNS_QUERY));
        assertEquals("a.example", r.getString(Field.DNS_QNAME));
        assertEquals(1, r.getNumber(Field.DNS_QTYPE));
        assertEquals(2, r.getNumber(Field.DNS_ANSWER_COUNT));
        assertEquals(32, r.getNumber(Field.DNS_ANSWER_SIZE));
        assertEquals("a.example", decode(1, Arrays.copyOf(IpTest.IPV6_DNS, 78 + 12 + 11 + 4), IpTest.IPV6_DNS.length)
                .getString(Field.DNS_QNAME));
        assertFalse(rec.has(Field.DNS_ANSWER_SIZE), "answers not captured");
        assertEquals(2, rec.getNumber(Field.DNS_ANSWER_COUNT));
        assertNull(rec.getString(Field.DECODE_ERROR));
    }

    @Test
    void pointerLoopsAndBadNames() {
        // a question name that points at itself, and two names pointing at each other
        assertEquals("dns: label pointer loop", error(12, dnsUdp(concat(dnsHeader(1, 0), bytes(0xC0, 12, 0, 1, 0, 1)))));
        assertTrue(rec.getBool(Field.DNS_RESPONSE), "the header stays");
        assertEquals("dns: label pointer loop", error(12, dnsUdp(concat(dnsHeader(1, 0), bytes(1, 'a', 0xC0, 16, 0xC0, 12)))));
        // the question is fine, the answer's owner name loops: qname kept, no answer size
        PacketRecord r = decode(12, dnsUdp(concat(dnsHeader(1, 1), dnsName("ok.test"), be16(1), be16(1), bytes(0xC0, 25, 0xC0, 25))));
        assertEquals("dns: label pointer loop", r.getString(Field.DECODE_ERROR));
        assertEquals("ok.test", r.getString(Field.DNS_QNAME));
        assertFalse(r.has(Field.DNS_ANSWER_SIZE));
        // a chain of pointers: 128 jumps are fine, 129 are not
        assertNull(error(12, dnsUdp(pointerChain(127))));
        assertEquals("x", rec.getString(Field.DNS_QNAME));
        assertEquals("dns: label pointer loop", error(12, dnsUdp(pointerChain(128))));
        // longer than 255 bytes, by labels and through a pointer
        String label = "a".repeat(63);
        byte[] longName = dnsName(String.join(".", label, label, label, label));
        assertEquals("dns: name longer than 255 bytes", error(12, dnsUdp(concat(dnsHeader(1, 0), longName, be16(1), be16(1)))));
        byte[] name253 = dnsName(String.join(".", label, label, label, "a".repeat(61)));
        assertNull(error(12, dnsUdp(concat(dnsHeader(1, 0), name253, be16(1), be16(1)))));
        assertEquals(253, rec.getString(Field.DNS_QNAME).length());
        assertEquals("dns: bad label type 0x40", error(12, dnsUdp(concat(dnsHeader(1, 0), bytes(0x41, 0), be16(1), be16(1)))));
    }

    @Test
    void aShortMessageIsAnErrorOnlyWhenWhollyCaptured() {
        byte[] shortMsg = dnsUdp(concat(dnsHeader(1, 1), dnsName("x"), be16(1), be16(1)));
        assertEquals("dns: message truncated (19 bytes)", error(12, shortMsg));
        assertEquals("dns: header truncated (4 of 12 bytes)", error(12, dnsUdp(new byte[4])));
        byte[] full = dnsUdp(dnsResponse(1, "x.y", "1.2.3.4"));
        assertNull(decode(12, Arrays.copyOf(full, full.length - 3), full.length).getString(Field.DECODE_ERROR));
        assertEquals("x.y", rec.getString(Field.DNS_QNAME));
        assertFalse(decode(12, ipv4(17, "1.1.1.1", "2.2.2.2", udp(40000, 53, new byte[0]))).has(Field.DNS_QUERY),
                "an empty datagram is not DNS");
    }

    @Test
    void overTcp() {
        byte[] q = dnsQuery(5, "tcp.example", 16);
        PacketRecord r = decode(12, ipv4(6, "1.1.1.1", "2.2.2.2", tcp(40000, 53, 1, 1, 0x18, 9, concat(be16(q.length), q))));
        assertEquals("tcp.example", r.getString(Field.DNS_QNAME));
        assertEquals(16, r.getNumber(Field.DNS_QTYPE));
        assertTrue(r.getBool(Field.DNS_QUERY));
        // a message split over segments: the first segment decodes without error
        r = decode(12, ipv4(6, "1.1.1.1", "2.2.2.2", tcp(40000, 53, 1, 1, 0x18, 9, concat(be16(q.length + 100), q))));
        assertEquals("tcp.example", r.getString(Field.DNS_QNAME));
        assertNull(r.getString(Field.DECODE_ERROR));
        // a continuation segment: no DNS fields, no error
        byte[] text = "continuation of a big answer, not a header".getBytes(StandardCharsets.US_ASCII);
        r = decode(12, ipv4(6, "1.1.1.1", "2.2.2.2", tcp(53, 40000, 1, 1, 0x18, 9, text)));
        assertFalse(r.has(Field.DNS_QUERY));
        assertNull(r.getString(Field.DECODE_ERROR));
        // not a DNS port: no DNS
        assertFalse(decode(12, ipv4(17, "1.1.1.1", "2.2.2.2", udp(40000, 8053, q))).has(Field.DNS_QUERY));
    }
}
