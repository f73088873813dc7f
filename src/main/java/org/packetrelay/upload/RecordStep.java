package org.packetrelay.upload;

import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.Exchange;
import org.apache.camel.Expression;
import org.apache.camel.Predicate;
import org.apache.camel.Processor;

/**
 * What the record steps ({@link DropRecords}, {@link SetField}) share: their expressions are in a Camel language
 * ({@code language}, simple by default), compiled once, and evaluated on one record at a time as {@code ${body}}
 * with the batch's headers.
 */
public abstract class RecordStep implements Processor, CamelContextAware {
    private CamelContext camelContext;
    private String language = "simple";

    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
    }

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }

    public void setLanguage(String language) {
        this.language = language;
    }

    Predicate predicate(String text) {
        Predicate p = camelContext.resolveLanguage(language).createPredicate(text);
        p.init(camelContext);
        return p;
    }

    Expression expression(String text) {
        Expression e = camelContext.resolveLanguage(language).createExpression(text);
        e.init(camelContext);
        return e;
    }

    /** An exchange for one record at a time: a copy of the batch's (its headers), the record set as the body. */
    static Exchange forRecords(Exchange batch) {
        return batch.copy();
    }
}
