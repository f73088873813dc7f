package org.packetrelay.decode;

/** Builds the decoder's number-to-name tables from {@code "n=NAME n=NAME ..."}. */
final class NameTable {
    private NameTable() {
    }

    /** A table of {@code size} names; a number without one is {@code unknownPrefix + n}. */
    static String[] of(int size, String unknownPrefix, String spec) {
        String[] table = new String[size];
        for (String kv : spec.split(" ")) {
            int eq = kv.indexOf('=');
            table[Integer.parseInt(kv.substring(0, eq))] = kv.substring(eq + 1);
        }
        for (int i = 0; i < size; i++) {
            if (table[i] == null) {
                table[i] = unknownPrefix + i;
            }
        }
        return table;
    }
}
