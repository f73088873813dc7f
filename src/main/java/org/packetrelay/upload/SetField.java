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
    private Expression expression;
    private Predicate predicate;

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
        if (expression == null) {
            if (field == null || value == null) {
                throw new IllegalArgumentException("SetField needs the properties 'field' and 'value'");
            }
            if (Field.byKey(field) == null) {
                throw new IllegalArgumentException("SetField: no field '" + field + "' in a packet record (fields: " + Field.CSV_HEADER + ")");
            }
            expression = expression(value);
            if (when != null && !when.isBlank()) {
                predicate = predicate(when);
            }
        }
        RecordBatch batch = exchange.getIn().getMandatoryBody(RecordBatch.class);
        Exchange one = forRecords(exchange);
        for (BatchRecord r : batch) {
            one.getIn().setBody(r);
            if (predicate == null || predicate.matches(one)) {
                r.put(field, expression.evaluate(one, Object.class));
            }
        }
    }
}
