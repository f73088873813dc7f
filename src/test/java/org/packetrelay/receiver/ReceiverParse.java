package org.packetrelay.receiver;

import java.util.List;

/** For tests of other packages: what the receiver makes of a JSON body (its default limits), or why it refuses it. */
public final class ReceiverParse {
    private ReceiverParse() {
    }

    /** The records, each in catalog order; an AssertionError with the HTTP status the receiver would answer. */
    public static List<Object[]> parse(byte[] body) {
        try {
            return new IngestStore().parse(body);
        } catch (IngestStore.Rejected e) {
            throw new AssertionError("the receiver answers " + e.status + ": " + e.getMessage());
        }
    }
}
