package org.packetrelay.upload;

import org.apache.camel.Exchange;
import org.apache.camel.Expression;
import org.apache.camel.Predicate;
import org.packetrelay.catalog.Field;

/**
 * A route step that sets one field of the records of a {@link RecordBatch} (all, or those a predicate picks), for
 * example in routes/upload.yaml:
 *
 * <pre>
 * - beans:
 *     - name: siteName
 *       type: org.packetrelay.upload.SetField
 *       properties:
 *         field: interface
 *         value: "edge-7/${body[interface]}"
 *         when: "${body[interface]} != null"
 * </pre>
 *
 * {@code value} and {@code when} are in the {@code language} (simple by default) and see one record as
 * {@code ${body}} and the batch's headers. The value is converted to the field's type ({@link BatchRecord#put}); one
 * that does not fit (text for a port, say) fails the batch, permanently, with the reason.
 */
public class SetField extends RecordStep {
    private String field;
    private String value;
    private String when;
    /**
     * The value and condition, compiled by the first batch. The upload route's split runs batches on several threads
     * at once, so they are published together: a batch that saw the value without its condition set every record.
     */
    private volatile Compiled compiled;

    private record Compiled(Expression value, Predicate when) {
    }

    public void setField(String field) {
        this.field = field;
    }

    public void setValue(String value) {
        this.value = value;
    }

    /** Only the records for which this holds; empty: all. */
    public void setWhen(String when) {
        this.when = when;
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        Compiled c = compiled();
        RecordBatch batch = exchange.getIn().getMandatoryBody(RecordBatch.class);
        Exchange one = forRecords(exchange);
        for (BatchRecord r : batch) {
            one.getIn().setBody(r);
            if (c.when() == null || c.when().matches(one)) {
                r.put(field, c.value().evaluate(one, Object.class));
            }
        }
    }

    private Compiled compiled() {
        Compiled c = compiled;
        if (c != null) {
            return c;
        }
        synchronized (this) {
            if (compiled == null) {
                if (field == null || value == null) {
                    throw new IllegalArgumentException("SetField needs the properties 'field' and 'value'");
                }
                if (Field.byKey(field) == null) {
                    throw new IllegalArgumentException("SetField: no field '" + field + "' in a packet record (fields: " + Field.CSV_HEADER + ")");
                }
                compiled = new Compiled(expression(value), when != null && !when.isBlank() ? predicate(when) : null);
            }
            return compiled;
        }
    }
}
