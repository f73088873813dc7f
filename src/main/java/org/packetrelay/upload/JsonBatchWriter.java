package org.packetrelay.upload;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.SerializableString;
import com.fasterxml.jackson.core.io.SerializedString;
import org.packetrelay.catalog.Field;

/**
 * Writes CSV rows (cells indexed by the field catalog) as a JSON array of typed objects, streaming with Jackson:
 * numbers for INT/LONG/TIMESTAMP, true/false for BOOL, strings, null for an empty cell. A cell that does not hold
 * its field's type is a {@link SpoolFormatException} naming the line and field.
 */
public final class JsonBatchWriter {
    private static final JsonFactory JSON = new JsonFactory();
    private static final SerializableString[] KEYS = new SerializableString[Field.COUNT];

    static {
        for (Field f : Field.ALL) {
            KEYS[f.ordinal()] = new SerializedString(f.key());
        }
    }

    private JsonBatchWriter() {
    }

    /** The JSON body for rows {@code from} (inclusive) to {@code to} (exclusive) of {@code rows}. */
    public static byte[] write(List<SpoolRow> rows, int from, int to) throws SpoolFormatException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(64, (to - from) * 700));
        try (JsonGenerator g = JSON.createGenerator(out)) {
            g.writeStartArray();
            for (int i = from; i < to; i++) {
                writeRow(g, rows.get(i));
            }
            g.writeEndArray();
        } catch (IOException e) {
            throw new IllegalStateException("writing JSON to memory failed", e);
        }
        return out.toByteArray();
    }

    private static void writeRow(JsonGenerator g, SpoolRow row) throws IOException, SpoolFormatException {
        String[] cells = row.cells();
        g.writeStartObject();
        for (int i = 0; i < Field.COUNT; i++) {
            g.writeFieldName(KEYS[i]);
            String c = cells[i];
            if (c == null || c.isEmpty()) {
                g.writeNull();
                continue;
            }
            Field f = Field.ALL[i];
            switch (f.type()) {
                case INT, LONG -> g.writeNumber(number(row, f, c));
                case BOOL -> {
                    if ("true".equals(c)) {
                        g.writeBoolean(true);
                    } else if ("false".equals(c)) {
                        g.writeBoolean(false);
                    } else {
                        throw bad(row, f, c, "true or false");
                    }
                }
                case TIMESTAMP -> g.writeNumber(timestamp(row, f, c));
                case STRING -> g.writeString(c);
            }
        }
        g.writeEndObject();
    }

    private static long number(SpoolRow row, Field f, String c) throws SpoolFormatException {
        try {
            Object v = f.type().parse(c);
            return (Long) v;
        } catch (IllegalArgumentException e) {
            throw bad(row, f, c, f.type() == org.packetrelay.catalog.FieldType.INT ? "an integer" : "a whole number");
        }
    }

    /** Epoch seconds with an optional fraction, digits only: written as is (no float rounding). */
    private static String timestamp(SpoolRow row, Field f, String c) throws SpoolFormatException {
        int dot = -1;
        for (int i = 0; i < c.length(); i++) {
            char ch = c.charAt(i);
            if (ch == '.' && dot < 0 && i > 0) {
                dot = i;
            } else if (ch < '0' || ch > '9') {
                throw bad(row, f, c, "epoch seconds such as 1701234567.123456");
            }
        }
        if (dot == c.length() - 1 || c.length() > 30) {
            throw bad(row, f, c, "epoch seconds such as 1701234567.123456");
        }
        return c;
    }

    private static SpoolFormatException bad(SpoolRow row, Field f, String c, String expected) {
        String shown = c.length() > 40 ? c.substring(0, 40) + "..." : c;
        return new SpoolFormatException(row.line(), f.key() + " is '" + shown + "', expected " + expected);
    }
}
