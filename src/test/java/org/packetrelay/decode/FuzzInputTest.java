package org.packetrelay.decode;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** A seed written from a captured packet gives the fuzz test that same packet back. */
class FuzzInputTest {
    @Test
    void seedsReproduceTheirPacket() {
        byte[] data = {1, 2, 3, 4, 5};
        for (int dlt : new int[] {1, 108, 229, 127, 65535}) {
            FuzzInput in = new FuzzInput(dlt, data, 1500, 1_700_000_000_123_456_789L, 9);
            FuzzInput back = FuzzInput.parse(in.encode());
            assertEquals(dlt, back.dlt());
            assertArrayEquals(data, back.data());
            assertEquals(1500, back.wireLength());
            assertEquals(in.epochNanos(), back.epochNanos());
            assertEquals(9, back.digits());
        }
        FuzzInput big = FuzzInput.parse(new FuzzInput(1, data, 262_149, 0, 6).encode());
        assertEquals(262_149 - 5 >> 2 << 2, big.wireLength() - 5, "wire lengths past 64 KiB are rounded down by the shift");
        assertEquals(6, big.digits());
        FuzzInput empty = FuzzInput.parse(new byte[0]);
        assertEquals(1, empty.dlt());
        assertEquals(0, empty.data().length);
    }
}
