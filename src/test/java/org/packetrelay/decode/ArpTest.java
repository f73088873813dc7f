package org.packetrelay.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.packetrelay.decode.Packets.*;

import org.junit.jupiter.api.Test;
import org.packetrelay.catalog.Field;
import org.packetrelay.catalog.PacketRecord;

import java.util.Arrays;

class ArpTest extends LayerTest {
    static final byte[] ARP = ethernet(0x0806, concat(bytes(0, 1, 8, 0, 6, 4, 0, 1), bytes(2, 0, 0, 0, 0, 1), addr("192.0.2.1"),
            new byte[6], addr("192.0.2.2")));

    @Test
    void ethernetIpv4Request() {
        PacketRecord r = decode(1, ARP);
        assertEquals("ARP", r.getString(Field.PROTOCOL));
        assertEquals(1, r.getNumber(Field.ARP_OP));
        assertEquals("192.0.2.1", r.getString(Field.ARP_PSRC));
        assertEquals("192.0.2.2", r.getString(Field.ARP_PDST));
        assertEquals("02:00:00:00:00:01", r.getString(Field.ARP_HWSRC));
        assertEquals("00:00:00:00:00:00", r.getString(Field.ARP_HWDST));
        assertNull(r.getString(Field.SRC_IP));
        assertNull(r.getString(Field.DECODE_ERROR));
    }

    @Test
    void otherHardwareGivesTheOperationOnly() {
        byte[] ieee1394 = ethernet(0x0806, concat(bytes(0, 24, 8, 0, 16, 4, 0, 2), new byte[40]));
        PacketRecord r = decode(1, ieee1394);
        assertEquals(2, r.getNumber(Field.ARP_OP));
        assertFalse(r.has(Field.ARP_PSRC));
        assertNull(r.getString(Field.DECODE_ERROR));
        assertEquals("arp: header truncated (27 of 28 bytes)", error(1, Arrays.copyOf(ARP, 14 + 27)));
        assertEquals(1, rec.getNumber(Field.ARP_OP), "the operation was decoded before the cut");
    }
}
