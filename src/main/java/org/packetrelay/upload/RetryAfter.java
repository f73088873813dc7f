package org.packetrelay.upload;

import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.http.base.HttpOperationFailedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The redelivery policy's {@code onRedelivery} step: when the server answered with a {@code Retry-After}
 * (seconds or an HTTP date) longer than the backoff already waited, waits the difference (capped).
 */
public class RetryAfter implements Processor {
    private static final Logger LOG = LoggerFactory.getLogger(RetryAfter.class);
    private long maxSeconds = 600;

    public void setMaxSeconds(long maxSeconds) {
        this.maxSeconds = maxSeconds;
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        HttpOperationFailedException e = exchange.getException(HttpOperationFailedException.class);
        if (e == null) {
            e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, HttpOperationFailedException.class);
        }
        if (e == null || e.getResponseHeaders() == null) {
            return;
        }
        String value = null;
        for (var h : e.getResponseHeaders().entrySet()) {
            if ("Retry-After".equalsIgnoreCase(h.getKey())) {
                value = h.getValue();
            }
        }
        long wantMs = parseMillis(value);
        if (wantMs <= 0) {
            return;
        }
        wantMs = Math.min(wantMs, maxSeconds * 1000);
        Long waited = exchange.getIn().getHeader(Exchange.REDELIVERY_DELAY, Long.class);
        long extra = wantMs - (waited == null ? 0 : waited);
        if (extra > 0) {
            LOG.info("Server asked to retry after {} s: waiting {} ms more than the backoff", value, extra);
            Thread.sleep(extra);
        }
    }

    static long parseMillis(String value) {
        if (value == null || value.isBlank()) {
            return 0;
        }
        String v = value.trim();
        try {
            return Long.parseLong(v) * 1000;
        } catch (NumberFormatException e) {
            try {
                return ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant().toEpochMilli() - System.currentTimeMillis();
            } catch (RuntimeException e2) {
                return 0;
            }
        }
    }
}
