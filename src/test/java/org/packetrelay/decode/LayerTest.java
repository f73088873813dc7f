package org.packetrelay.decode;

import org.packetrelay.catalog.Field;
import org.packetrelay.catalog.PacketRecord;

/** What every per-layer decoder test uses: a decoder, a reused record, and decoding a built packet. */
abstract class LayerTest {
    final PacketDecoder decoder = new PacketDecoder();
    final PacketRecord rec = new PacketRecord();

    PacketRecord decode(int dlt, byte[] p) {
        return decode(dlt, p, p.length);
    }

    PacketRecord decode(int dlt, byte[] p, int wireLength) {
        decoder.decode(dlt, p, wireLength, 1_700_000_000_123_456_789L, 6, "eth0", rec);
        return rec;
    }

    /** decode_error of a packet of link type {@code dlt}. */
    String error(int dlt, byte[] p) {
        return decode(dlt, p).getString(Field.DECODE_ERROR);
    }
}
