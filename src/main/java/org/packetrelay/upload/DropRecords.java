package org.packetrelay.upload;

import org.apache.camel.Exchange;
import org.apache.camel.Predicate;

/**
 * A route step that removes from a {@link RecordBatch} every record for which a predicate holds, for example in
 * routes/upload.yaml:
 *
 * <pre>
 * - beans:
 *     - name: dropIcmp
 *       type: org.packetrelay.upload.DropRecords
 *       properties:
 *         when: "${body[protocol]} == 'ICMP' || ${body.inSubnet('src_ip', '10.1.0.0/16')}"
 * ...
 *           - process:
 *               ref: dropIcmp
 * </pre>
 *
 * The predicate is in the {@code language} (simple by default) and sees one record as {@code ${body}} (a map of the
 * catalog's fields to typed values) and the batch's headers. Removed records are not posted; the batch keeps its
 * Idempotency-Key, which names the rows it spans.
 */
public class DropRecords extends RecordStep {
    private String when;
    /** Compiled by the first batch; volatile, as batches come on several threads at once (the route's parallel split). */
    private volatile Predicate predicate;

    /** The records to drop. */
    public void setWhen(String when) {
        this.when = when;
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        Predicate p = compiled();
        RecordBatch batch = exchange.getIn().getMandatoryBody(RecordBatch.class);
        Exchange one = forRecords(exchange);
        batch.removeIf(r -> {
            one.getIn().setBody(r);
            return p.matches(one);
        });
    }

    private Predicate compiled() {
        Predicate p = predicate;
        if (p != null) {
            return p;
        }
        synchronized (this) {
            if (predicate == null) {
                if (when == null || when.isBlank()) {
                    throw new IllegalArgumentException("DropRecords needs the property 'when' (a predicate on a record)");
                }
                predicate = predicate(when);
            }
            return predicate;
        }
    }
}
