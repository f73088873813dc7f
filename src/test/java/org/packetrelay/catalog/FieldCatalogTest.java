package org.packetrelay.catalog;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class FieldCatalogTest {

    /** The catalog's keys, in order, are the field list of the contract's "Fields" section. */
    @Test
    void catalogMatchesTheContract() throws Exception {
        Path contract = Paths.get(System.getProperty("shared.dir", "../shared"), "CONTRACT.md");
        String text = Files.readString(contract);
        String section = text.substring(text.indexOf("## Fields"), text.indexOf("- `timestamp`:"));
        List<String> keys = new ArrayList<>();
        Matcher m = Pattern.compile("`([^`]+)`").matcher(section);
        while (m.find()) {
            for (String k : m.group(1).split("[,\\s]+")) {
                if (k.matches("[a-z_]+")) {
                    keys.add(k);
                }
            }
        }
        assertEquals(keys, Field.KEYS);
        assertEquals(String.join(",", keys), Field.CSV_HEADER);
    }

    @Test
    void typedValuesRoundTripThroughCsvCells() {
        PacketRecord r = new PacketRecord();
        r.setTimestamp(1_701_234_567_123_456_789L, 6);
        r.setNumber(Field.SEQ, 4_294_967_295L);
        r.setBool(Field.TCP_SYN, true);
        r.setString(Field.TCP_FLAGS, "SYN,ACK");
        assertEquals(new BigDecimal("1701234567.123456"), r.get(Field.TIMESTAMP));
        r.setTimestamp(1_701_234_567_000_000_009L, 9);
        assertEquals(new BigDecimal("1701234567.000000009"), r.get(Field.TIMESTAMP));
        assertEquals(4_294_967_295L, FieldType.LONG.parse("4294967295"));
        assertEquals(Boolean.TRUE, FieldType.BOOL.parse("true"));
        assertNull(FieldType.INT.parse(""));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FieldType.INT.parse("80x"));
        assertEquals("not an integer: '80x'", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> FieldType.INT.parse("4294967296"));
        assertThrows(IllegalArgumentException.class, () -> FieldType.BOOL.parse("yes"));
        String row = r.toString();
        assertEquals(Field.COUNT - 1, row.chars().filter(c -> c == ',').count() - 1, "one quoted comma in SYN,ACK: " + row);
    }

    @Test
    void wireTextIsCutAtMaxCharsOnAnEscapeBoundary() {
        int max = WireText.MAX_CHARS;
        byte[] plain = new byte[max + 1];
        Arrays.fill(plain, (byte) 'p');
        assertEquals(max, WireText.escape(plain, 0, max).length());
        assertFalse(WireText.isTruncated(WireText.escape(plain, 0, max)));
        String cut = WireText.escape(plain, 0, max + 1);
        assertEquals("p".repeat(max - 4) + "\\...", cut);
        assertTrue(WireText.isTruncated(cut));

        byte[] backslashes = new byte[max / 2 + 1];
        Arrays.fill(backslashes, (byte) '\\');
        String exact = WireText.escape(backslashes, 0, max / 2); // each one escaped as two characters: exactly max
        assertEquals(max, exact.length());
        assertFalse(WireText.isTruncated(exact));
        String over = WireText.escape(backslashes, 0, backslashes.length);
        assertEquals(max - 4 + WireText.TRUNCATED.length(), over.length());

        // a 4-byte UTF-8 character (two UTF-16 units) across the cut is left out whole, never half a surrogate pair
        byte[] emoji = "\uD83D\uDE00".getBytes(StandardCharsets.UTF_8);
        byte[] mixed = new byte[max - 5 + emoji.length + 10];
        Arrays.fill(mixed, (byte) 'p');
        System.arraycopy(emoji, 0, mixed, max - 5, emoji.length);
        mixed[mixed.length - 1] = (byte) 0xFF; // not UTF-8: the slow path
        String pair = WireText.escape(mixed, 0, mixed.length);
        assertEquals("p".repeat(max - 5) + WireText.TRUNCATED, pair);
        assertTrue(WireText.isTruncated(pair));
        assertTrue(WireText.isTruncated(over));
        assertEquals((max - 4) / 2, WireText.unescape(over).length, "whole escapes kept");

        byte[] text = "ab\\...".getBytes(StandardCharsets.US_ASCII); // an escaped backslash, then dots
        String notCut = WireText.escape(text, 0, text.length);
        assertEquals("ab\\\\...", notCut);
        assertFalse(WireText.isTruncated(notCut));
        assertArrayEquals(text, WireText.unescape(notCut));
    }

    @Test
    void wireTextEscapesControlAndInvalidBytesReversibly() {
        byte[] in = {'a', ',', '"', 0, '\r', '\n', '\\', (byte) 0xFF, (byte) 0xC3, (byte) 0xA9, (byte) 0xE2, (byte) 0x82};
        String s = WireText.escape(in, 0, in.length);
        assertEquals("a,\"\\x00\\x0D\\x0A\\\\\\xFF\u00e9\\xE2\\x82", s);
        assertEquals(new String(in, StandardCharsets.ISO_8859_1),
                new String(WireText.unescape(s), StandardCharsets.ISO_8859_1));
        assertNull(WireText.escape(in, 0, 0));
    }
}
