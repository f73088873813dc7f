package org.packetrelay.testing;

import java.math.BigDecimal;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.packetrelay.catalog.Field;

/**
 * Typed JSON batches (as a sender posts or publishes them) whose records say which batch they are of: record i of
 * batch b has {@code seq} = b and {@code length} = i, every field set to a value of its type. What a receiver
 * stored is then checked row by row: each (seq, length) sent is in the table exactly once, nothing else is.
 */
public final class Batches {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Batches() {
    }

    /** Batch {@code b} of {@code n} records. */
    public static String json(int b, int n) {
        ArrayNode array = JSON.createArrayNode();
        for (int i = 0; i < n; i++) {
            ObjectNode r = array.addObject();
            for (Field f : Field.ALL) {
                switch (f.type()) {
                    case TIMESTAMP -> r.put(f.key(), new BigDecimal("1700000000." + String.format("%06d", i)));
                    case INT -> r.put(f.key(), f == Field.LENGTH ? i : 7);
                    case LONG -> r.put(f.key(), f == Field.SEQ ? b : 4_294_967_295L);
                    case BOOL -> r.put(f.key(), i % 2 == 0);
                    case STRING -> r.put(f.key(), f == Field.DECODE_ERROR ? null : f.key() + " 'ä\" " + b);
                }
            }
        }
        return array.toString();
    }

    /**
     * Asserts that the packets table at {@code url} holds exactly the records of these batches (batch number ->
     * record count), each once: none lost, none stored twice, none that was not sent.
     */
    public static void assertStoredOnce(PostgresServer pg, String url, Map<Integer, Integer> sent) throws SQLException {
        List<String> problems = new ArrayList<>();
        Map<Integer, Integer> perBatch = new TreeMap<>();
        long rows = 0;
        for (List<String> row : pg.query(url, "SELECT \"seq\", \"length\", COUNT(*) FROM packets GROUP BY \"seq\", \"length\"")) {
            int b = Integer.parseInt(row.get(0));
            int i = Integer.parseInt(row.get(1));
            int count = Integer.parseInt(row.get(2));
            rows += count;
            if (count != 1) {
                problems.add("record " + i + " of batch " + b + " stored " + count + " times");
            }
            if (!sent.containsKey(b) || i >= sent.get(b)) {
                problems.add("record " + i + " of batch " + b + " was never sent");
            }
            perBatch.merge(b, 1, Integer::sum);
        }
        sent.forEach((b, n) -> {
            int got = perBatch.getOrDefault(b, 0);
            if (got != n) {
                problems.add("batch " + b + ": " + got + " of its " + n + " records stored");
            }
        });
        if (!problems.isEmpty()) {
            throw new AssertionError(rows + " rows; " + problems.size() + " problems, the first: "
                                     + problems.subList(0, Math.min(10, problems.size())));
        }
    }
}
