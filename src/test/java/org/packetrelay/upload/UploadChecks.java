package org.packetrelay.upload;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BooleanSupplier;

import org.packetrelay.testing.IngestServer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What the upload tests check at the server: records by the tag in their http_path, each stored once. */
final class UploadChecks {
    private UploadChecks() {
    }

    /** Waits for a condition (a bound against a hung test, not a measure of speed). */
    static void await(BooleanSupplier done, long timeoutMs, String what) throws InterruptedException {
        long end = System.currentTimeMillis() + timeoutMs;
        while (!done.getAsBoolean()) {
            if (System.currentTimeMillis() > end) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(50);
        }
    }

    static long storedWithTag(IngestServer server, String tag) {
        return server.stored().values().stream().flatMap(List::stream)
                .filter(n -> n.get("http_path").asText().contains("tag=" + tag + ",")).count();
    }

    static void assertExactlyOnce(IngestServer server, String tag, int expected) {
        Set<String> ids = new HashSet<>();
        server.stored().values().stream().flatMap(List::stream)
                .filter(n -> n.get("http_path").asText().contains("tag=" + tag + ","))
                .forEach(n -> assertTrue(ids.add(n.get("community_id").asText()), "stored twice: " + n.get("community_id")));
        assertEquals(expected, ids.size(), "records of " + tag + " at the server");
    }

    /** Requests the server got for file {@code name} (its keys name it), faulted ones included. */
    static List<IngestServer.Request> requestsFor(IngestServer server, String name) {
        return server.log().stream().filter(r -> r.key() != null && r.key().contains(":" + name + ":")).toList();
    }
}
