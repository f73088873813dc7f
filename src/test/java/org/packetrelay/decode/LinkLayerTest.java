package org.packetrelay.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.packetrelay.decode.Packets.*;

import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.packetrelay.catalog.Field;
import org.packetrelay.catalog.PacketRecord;

/** Ethernet, VLAN tags, LLC/SNAP, Linux SLL/SLL2, BSD loopback, raw IP and link types the decoder does not read. */
class LinkLayerTest extends LayerTest {
    static final byte[] IP4 = ipv4(17, "192.0.2.1", "192.0.2.2", udp(1, 2, new byte[0]));
    static final byte[] IP6 = ipv6(17, "2001:db8::1", "2001:db8::2", udp(1, 2, new byte[0]));
    static final byte[] QINQ = ethernet(0x88A8, concat(be16(0x2064), be16(0x8100), be16(200), be16(0x0800),
            ipv4(17, "198.51.100.1", "198.51.100.2", udp(5000, 6000, bytes(1, 2, 3)))));

    @Test
    void ethernetAddressesAndEtherTypes() {
        PacketRecord r = decode(1, ethernet(0x0800, IP4));
        assertEquals("02:00:00:00:00:01", r.getString(Field.SRC_MAC));
        assertEquals("02:00:00:00:00:02", r.getString(Field.DST_MAC));
        assertEquals("UDP", r.getString(Field.PROTOCOL));
        assertEquals("LLDP", decode(1, ethernet(0x88CC, new byte[20])).getString(Field.PROTOCOL));
        assertEquals("0x88b5", decode(1, ethernet(0x88B5, new byte[20])).getString(Field.PROTOCOL));
        assertNull(rec.getString(Field.DECODE_ERROR), "an ether type the decoder does not read is no error");
        assertEquals("ethernet: header truncated (13 of 14 bytes)", error(1, new byte[13]));
    }

    @Test
    void qinqTagsGiveTheOuterVlanId() {
        PacketRecord r = decode(1, QINQ);
        assertEquals(100, r.getNumber(Field.VLAN_ID), "the outer tag's id");
        assertEquals("UDP", r.getString(Field.PROTOCOL));
        assertEquals(3, r.getNumber(Field.PAYLOAD_LENGTH));
        assertEquals("vlan: header truncated (2 of 4 bytes)", error(1, Arrays.copyOf(QINQ, 20)));
        assertEquals("VLAN", rec.getString(Field.PROTOCOL));
    }

    @Test
    void llcAndSnap() {
        assertEquals("LLC", decode(1, ethernet(38, concat(bytes(0x42, 0x42, 3), new byte[35]))).getString(Field.PROTOCOL));
        // SNAP with an ether type continues
        assertEquals("UDP", decode(1, ethernet(IP4.length + 8, concat(bytes(0xAA, 0xAA, 3, 0, 0, 0, 8, 0), IP4))).getString(Field.PROTOCOL));
    }

    /** 16,000 VLAN tags, and VLAN / LLC / SNAP-with-a-VLAN-type repeated: bounded, no stack overflow. */
    @Test
    void nestedTagsAreBounded() {
        byte[] tags = new byte[64_000];
        for (int i = 0; i < tags.length; i += 4) {
            tags[i + 2] = (byte) 0x81;
        }
        assertEquals("vlan: header truncated (0 of 4 bytes)", error(1, ethernet(0x8100, tags)));
        byte[] nest = new byte[0];
        for (int i = 0; i < 5000; i++) {
            nest = concat(nest, be16(1), be16(20), bytes(0xAA, 0xAA, 3, 0, 0, 0, 0x81, 0));
        }
        PacketRecord r = decode(1, ethernet(0x8100, nest));
        assertEquals("LLC", r.getString(Field.PROTOCOL));
        assertNull(r.getString(Field.DECODE_ERROR));
    }

    @Test
    void loopbackRawAndCookedLinkTypes() {
        for (byte[] af : List.of(bytes(2, 0, 0, 0), bytes(0, 0, 0, 2))) {
            assertEquals("192.0.2.1", decode(0, concat(af, IP4)).getString(Field.SRC_IP));
            assertEquals("192.0.2.1", decode(108, concat(af, IP4)).getString(Field.SRC_IP));
        }
        for (int af : new int[] {10, 24, 28, 30}) {
            assertEquals("2001:db8::1", decode(0, concat(bytes(af, 0, 0, 0), IP6)).getString(Field.SRC_IP));
        }
        assertEquals("NULL", decode(0, concat(bytes(7, 0, 0, 0), IP4)).getString(Field.PROTOCOL));
        assertEquals("null: header truncated (3 of 4 bytes)", error(0, bytes(2, 0, 0)));
        for (int dlt : new int[] {12, 101}) {
            assertEquals(4, decode(dlt, IP4).getNumber(Field.IP_VERSION));
            assertEquals(6, decode(dlt, IP6).getNumber(Field.IP_VERSION));
        }
        assertEquals("ip: bad version 5", error(12, concat(bytes(0x55), IP4)));
        assertEquals("raw: header truncated (0 of 1 bytes)", error(12, new byte[0]));
        assertEquals("UDP", decode(228, IP4).getString(Field.PROTOCOL));
        assertEquals("UDP", decode(229, IP6).getString(Field.PROTOCOL));
        byte[] sll = concat(bytes(0, 0, 0, 1, 0, 6, 2, 0, 0, 0, 0, 9, 0, 0), be16(0x0800), IP4);
        assertEquals("02:00:00:00:00:09", decode(113, sll).getString(Field.SRC_MAC));
        assertEquals("UDP", rec.getString(Field.PROTOCOL));
        byte[] sll2 = concat(be16(0x86DD), bytes(0, 0, 0, 0, 0, 2, 0, 1, 0, 6), bytes(2, 0, 0, 0, 0, 7, 0, 0), IP6);
        assertEquals("02:00:00:00:00:07", decode(276, sll2).getString(Field.SRC_MAC));
        assertEquals(6, rec.getNumber(Field.IP_VERSION));
        assertEquals("sll2: header truncated (19 of 20 bytes)", error(276, Arrays.copyOf(sll2, 19)));
    }

    @Test
    void linkTypesNotReadGiveTheirNameAndNoError() {
        for (int[] t : new int[][] {{127, 0}, {9, 0}, {9999, 0}}) {
            PacketRecord r = decode(t[0], IP4);
            assertEquals(t[0] == 127 ? "IEEE802_11_RADIO" : t[0] == 9 ? "PPP" : "DLT_9999", r.getString(Field.PROTOCOL));
            assertNull(r.getString(Field.DECODE_ERROR));
            assertEquals(IP4.length, r.getNumber(Field.CAPTURED_LENGTH));
        }
    }
}
