package org.packetrelay.catalog;

import java.math.BigDecimal;

/** How a field's value is held, written to CSV and typed in JSON. */
public enum FieldType {
    /** epoch seconds with a fraction, e.g. {@code 1701234567.123456}; a JSON number. */
    TIMESTAMP,
    /** a whole number (JSON number). */
    INT,
    /** a whole number that may exceed 32 bits (JSON number). */
    LONG,
    /** {@code true}/{@code false} (JSON boolean). */
    BOOL,
    /** text (JSON string). */
    STRING;

    /**
     * Converts a CSV cell back to its typed value: null for an empty cell, else BigDecimal (TIMESTAMP),
     * Long (INT, LONG), Boolean (BOOL) or the String itself.
     *
     * @throws IllegalArgumentException naming the problem when the cell does not hold this type
     */
    public Object parse(String cell) {
        if (cell == null || cell.isEmpty()) {
            return null;
        }
        switch (this) {
            case TIMESTAMP:
                try {
                    return new BigDecimal(cell);
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("not a timestamp: '" + excerpt(cell) + "'");
                }
            case INT:
            case LONG:
                try {
                    long v = Long.parseLong(cell);
                    if (this == INT && (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE)) {
                        throw new NumberFormatException();
                    }
                    return v;
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("not a" + (this == INT ? "n integer" : " number") + ": '" + excerpt(cell) + "'");
                }
            case BOOL:
                if ("true".equals(cell)) {
                    return Boolean.TRUE;
                }
                if ("false".equals(cell)) {
                    return Boolean.FALSE;
                }
                throw new IllegalArgumentException("not true/false: '" + excerpt(cell) + "'");
            default:
                return cell;
        }
    }

    private static String excerpt(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
}
