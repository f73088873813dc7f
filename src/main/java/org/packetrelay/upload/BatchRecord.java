package org.packetrelay.upload;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import org.packetrelay.catalog.Field;
import org.packetrelay.catalog.FieldType;
import org.packetrelay.catalog.Subnet;

/**
 * One record of a {@link RecordBatch}: a map from the catalog's field names to typed values, as the server gets them
 * (Long for INT and LONG, BigDecimal for the timestamp, Boolean, String, null for an empty cell). In a route,
 * {@code ${body[protocol]}} reads a field and {@code ${body.inSubnet('src_ip', '10.1.0.0/16')}} tests an address.
 *
 * <p>Its values are parsed from the row's JSON on first use; {@link #put} sets a field (converted to the field's type,
 * or refused with the reason) and makes the batch write this record from its values, through the same escaper as
 * the rows read from the file. A name outside the catalog is refused rather than read as null, so that a misspelt
 * field in a filter fails loudly instead of matching nothing.
 */
public final class BatchRecord extends AbstractMap<String, Object> {
    private static final JsonFactory JSON = new JsonFactory();

    private final byte[] json;
    private final int start;
    private final int end;
    private Object[] values;
    private boolean modified;

    BatchRecord(byte[] json, int start, int end) {
        this.json = json;
        this.start = start;
        this.end = end;
    }

    private static Field field(Object key) {
        Field f = key == null ? null : Field.byKey(key.toString());
        if (f == null) {
            throw new IllegalArgumentException("no field '" + key + "' in a packet record (fields: " + Field.CSV_HEADER + ")");
        }
        return f;
    }

    @Override
    public Object get(Object key) {
        return typed()[field(key).ordinal()];
    }

    @Override
    public boolean containsKey(Object key) {
        return key != null && Field.byKey(key.toString()) != null;
    }

    /** Sets a field; the value is converted to its type (a String "443" for a port, say). Returns the old value. */
    @Override
    public Object put(String key, Object value) {
        Field f = field(key);
        Object[] v = typed();
        Object old = v[f.ordinal()];
        v[f.ordinal()] = convert(f, value);
        modified = true;
        return old;
    }

    /** Empties a field (null). */
    @Override
    public Object remove(Object key) {
        return put(field(key).key(), null);
    }

    @Override
    public Set<Entry<String, Object>> entrySet() {
        Map<String, Object> m = new LinkedHashMap<>();
        Object[] v = typed();
        for (Field f : Field.ALL) {
            m.put(f.key(), v[f.ordinal()]);
        }
        return Collections.unmodifiableMap(m).entrySet();
    }

    /** Whether the address in field {@code key} lies in {@code cidr} (10.1.0.0/16, 2001:db8::/32 or one address). */
    public boolean inSubnet(String key, String cidr) {
        Object v = get(key);
        return v != null && Subnet.parse(cidr).contains(v.toString());
    }

    boolean isModified() {
        return modified;
    }

    private Object[] typed() {
        if (values == null) {
            values = parse();
        }
        return values;
    }

    /** The row's JSON object, which {@link SpoolTranscoder} wrote with every key in catalog order. */
    private Object[] parse() {
        Object[] v = new Object[Field.COUNT];
        try (JsonParser p = JSON.createParser(json, start, end - start)) {
            p.nextToken();
            for (Field f : Field.ALL) {
                p.nextToken();
                JsonToken t = p.nextToken();
                v[f.ordinal()] = switch (t) {
                    case VALUE_NULL -> null;
                    case VALUE_TRUE -> Boolean.TRUE;
                    case VALUE_FALSE -> Boolean.FALSE;
                    case VALUE_STRING -> p.getText();
                    case VALUE_NUMBER_INT -> f == Field.TIMESTAMP ? new BigDecimal(p.getText()) : (Object) p.getLongValue();
                    default -> new BigDecimal(p.getText());
                };
            }
        } catch (IOException e) {
            throw new UncheckedIOException("a record's JSON cannot be read back", e);
        }
        return v;
    }

    /** A value for field {@code f}: its type's Java type, or IllegalArgumentException saying what the field takes. */
    static Object convert(Field f, Object value) {
        if (value == null || value instanceof CharSequence s && s.isEmpty()) {
            return null;
        }
        switch (f.type()) {
            case STRING -> {
                String s = value.toString();
                try {
                    StandardCharsets.UTF_8.newEncoder().encode(CharBuffer.wrap(s));
                } catch (CharacterCodingException e) {
                    throw new IllegalArgumentException(f.key() + " takes text, and this is not valid Unicode (a lone surrogate)");
                }
                return s;
            }
            case BOOL -> {
                if (value instanceof Boolean b) {
                    return b;
                }
                if ("true".equals(value.toString()) || "false".equals(value.toString())) {
                    return Boolean.valueOf(value.toString());
                }
            }
            case INT, LONG -> {
                try {
                    BigDecimal d = value instanceof Number ? new BigDecimal(value.toString()) : new BigDecimal(value.toString().trim());
                    long n = d.toBigIntegerExact().longValueExact();
                    if (f.type() == FieldType.LONG || n >= Integer.MIN_VALUE && n <= Integer.MAX_VALUE) {
                        return n;
                    }
                } catch (ArithmeticException | NumberFormatException e) {
                    // said below
                }
            }
            default -> {
                try {
                    BigDecimal d = new BigDecimal(value.toString().trim());
                    if (d.signum() >= 0) {
                        return d;
                    }
                } catch (NumberFormatException e) {
                    // said below
                }
            }
        }
        String shown = value.toString();
        throw new IllegalArgumentException(f.key() + " takes " + switch (f.type()) {
            case BOOL -> "true or false";
            case INT -> "a whole number within 32 bits";
            case LONG -> "a whole number";
            case TIMESTAMP -> "epoch seconds such as 1701234567.123456";
            default -> "text";
        } + ", not '" + (shown.length() > 40 ? shown.substring(0, 40) + "..." : shown) + "'");
    }

    /** Writes the record's values as one JSON object, keys in catalog order, as {@link SpoolTranscoder} does. */
    void writeTo(SpoolTranscoder.Output out) {
        Object[] v = typed();
        for (Field f : Field.ALL) {
            byte[] k = SpoolTranscoder.KEY_BYTES[f.ordinal()];
            out.put(k, 0, k.length);
            Object x = v[f.ordinal()];
            if (x instanceof String s) {
                byte[] b = s.getBytes(StandardCharsets.UTF_8);
                out.ensure(b.length + 2 + 16);
                JsonText.put(out, b, 0, b.length, false, 16);
            } else {
                String t = x == null ? "null" : x instanceof BigDecimal d ? d.toPlainString() : x.toString();
                byte[] b = t.getBytes(StandardCharsets.US_ASCII);
                out.put(b, 0, b.length);
            }
        }
        out.put((byte) '}');
    }

    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }
}
