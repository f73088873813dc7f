package org.packetrelay.upload;

import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.util.Locale;
import java.util.Map;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.http.base.HttpOperationFailedException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The redelivery policy's {@code onExceptionOccurred} step (bean {@code retryAfter}): when the server answered with a
 * {@code Retry-After} (seconds, or an HTTP date in any of RFC 9110's three forms) longer than the backoff of this
 * attempt, the attempt waits that long instead (at most {@code maxSeconds}). It sets Camel's per-attempt delay, the
 * header {@value Exchange#REDELIVERY_DELAY}, which the error handler reads right after this step: the wait is the
 * error handler's own scheduled redelivery (asyncDelayedRedelivery), holding no thread.
 */
public class RetryAfter implements Processor {
    private static final Logger LOG = LoggerFactory.getLogger(RetryAfter.class);
    /** RFC 850 ({@code Sunday, 06-Nov-94 08:49:37 GMT}): two-digit years are 1970-2069. */
    private static final DateTimeFormatter RFC_850 = new DateTimeFormatterBuilder().parseCaseInsensitive()
            .appendPattern("EEEE, dd-MMM-").appendValueReduced(ChronoField.YEAR, 2, 2, 1970).appendPattern(" HH:mm:ss 'GMT'")
            .toFormatter(Locale.US);
    /** asctime ({@code Sun Nov  6 08:49:37 1994}), read with its runs of spaces made one. */
    private static final DateTimeFormatter ASCTIME = new DateTimeFormatterBuilder().parseCaseInsensitive()
            .appendPattern("EEE MMM d HH:mm:ss yyyy").toFormatter(Locale.US);

    private long retryDelaySeconds = 5;
    private long maxBackoffSeconds = 300;
    private long maxSeconds = 600;

    /** sender.retry-delay: the first backoff, doubled each attempt (as the redelivery policy does). */
    public void setRetryDelay(long seconds) {
        this.retryDelaySeconds = seconds;
    }

    /** The policy's maximumRedeliveryDelay, in seconds. */
    public void setMaxBackoff(long seconds) {
        this.maxBackoffSeconds = seconds;
    }

    /** The longest Retry-After that is honoured. */
    public void setMaxSeconds(long maxSeconds) {
        this.maxSeconds = maxSeconds;
    }

    @Override
    public void process(Exchange exchange) {
        exchange.getIn().removeHeader(Exchange.REDELIVERY_DELAY);
        HttpOperationFailedException e = exchange.getException(HttpOperationFailedException.class);
        if (e == null) {
            e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, HttpOperationFailedException.class);
        }
        if (e == null || e.getResponseHeaders() == null) {
            return;
        }
        String value = null;
        for (Map.Entry<String, String> h : e.getResponseHeaders().entrySet()) {
            if ("Retry-After".equalsIgnoreCase(h.getKey())) {
                value = h.getValue();
            }
        }
        long wantMs = Math.min(parseMillis(value, System.currentTimeMillis()), maxSeconds * 1000);
        Integer attempt = exchange.getIn().getHeader(Exchange.REDELIVERY_COUNTER, Integer.class);
        int n = attempt == null ? 1 : Math.max(1, attempt);
        long backoffMs = Math.min(maxBackoffSeconds * 1000, retryDelaySeconds * 1000 * (1L << Math.min(30, n - 1)));
        if (wantMs > backoffMs) {
            LOG.info("Server asked to retry after {}: waiting {} s instead of the backoff's {} s", value.trim(), wantMs / 1000.0,
                    backoffMs / 1000.0);
            exchange.getIn().setHeader(Exchange.REDELIVERY_DELAY, wantMs);
        }
    }

    /** Milliseconds from {@code now} that a Retry-After value asks for; 0 when absent, past or unreadable. */
    static long parseMillis(String value, long now) {
        if (value == null || value.isBlank()) {
            return 0;
        }
        String v = value.trim();
        if (v.chars().allMatch(Character::isDigit)) {
            try {
                return Math.multiplyExact(Long.parseLong(v), 1000L);
            } catch (ArithmeticException | NumberFormatException e) {
                return Long.MAX_VALUE;
            }
        }
        for (DateTimeFormatter f : new DateTimeFormatter[] { DateTimeFormatter.RFC_1123_DATE_TIME, RFC_850, ASCTIME }) {
            try {
                long at = f == DateTimeFormatter.RFC_1123_DATE_TIME ? ZonedDateTime.parse(v, f).toInstant().toEpochMilli()
                        : LocalDateTime.parse(f == ASCTIME ? v.replaceAll("\\s+", " ") : v, f).toInstant(ZoneOffset.UTC).toEpochMilli();
                return Math.max(0, at - now);
            } catch (DateTimeParseException e) {
                // the next form
            }
        }
        return 0;
    }
}
