package org.packetrelay.receiver;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;
import java.security.MessageDigest;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

import io.vertx.core.Handler;
import io.vertx.core.http.HttpHeaders;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.HttpServerRequest;
import io.vertx.ext.web.RoutingContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a POST must pass before the receiver reads its body: the bearer token (only from the
 * {@code Authorization} header, scheme case-insensitive), at most one {@code Idempotency-Key} header, no query
 * parameter posing as one of those headers (Camel merges query parameters into the message headers, so
 * {@code ?Idempotency-Key=} would be a second key), {@code Content-Type: application/json}, a declared length
 * within {@code receiver.max-body-bytes}, and room in {@code receiver.max-bytes-in-flight}.
 * <p>
 * The last bounds memory under concurrency: every admitted request reserves its {@code Content-Length} (a body
 * of unknown length the whole {@code max-body-bytes}) until its answer is written; a request that does not fit
 * is answered {@code 503} with {@code Retry-After}, which senders retry, before any of its body is read.
 */
public class IngestGate implements Handler<RoutingContext> {
    private static final Logger LOG = LoggerFactory.getLogger(IngestGate.class);
    /** Seconds in the Retry-After of a 503 for a full in-flight budget. */
    static final String RETRY_AFTER = "2";

    private String roles = "receiver";
    private String host = "127.0.0.1";
    private String authToken = "";
    private String authTokenFile = "";
    private long maxBodyBytes = 32L * 1024 * 1024;
    private long maxBytesInFlight = 32L * 1024 * 1024;
    private final AtomicLong inFlight = new AtomicLong();
    private final AtomicLong refusedBusy = new AtomicLong();

    public void setRoles(String roles) {
        this.roles = roles;
    }

    public void setHost(String host) {
        this.host = host;
    }

    /** Bearer token the senders must present; required whenever the server listens beyond loopback. */
    public void setAuthToken(String authToken) {
        this.authToken = authToken == null ? "" : authToken.trim();
    }

    /** A file holding the token (e.g. a mounted secret); used when {@code authToken} is empty. */
    public void setAuthTokenFile(String file) {
        this.authTokenFile = file == null ? "" : file.trim();
    }

    public void setMaxBodyBytes(long maxBodyBytes) {
        this.maxBodyBytes = maxBodyBytes;
    }

    public void setMaxBytesInFlight(long maxBytesInFlight) {
        this.maxBytesInFlight = maxBytesInFlight;
    }

    /** Bytes reserved by the requests being received or processed now. */
    public long getBytesInFlight() {
        return inFlight.get();
    }

    /** Requests answered 503 because the in-flight budget was used up. */
    public long getRefusedBusy() {
        return refusedBusy.get();
    }

    static boolean isLoopback(String host) {
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (IOException e) {
            return false;
        }
    }

    /** Reads the token file and checks the settings; a problem ends start-up with one line naming the setting. */
    public void start() {
        if (roles == null || !roles.contains("receiver")) {
            return;
        }
        if (authToken.isEmpty() && !authTokenFile.isEmpty()) {
            try {
                authToken = Files.readString(Paths.get(authTokenFile), StandardCharsets.UTF_8).trim();
            } catch (IOException e) {
                throw new IllegalStateException("cannot read receiver.auth-token-file " + authTokenFile + ": " + e.getMessage());
            }
        }
        if (!isLoopback(host) && authToken.isEmpty()) {
            throw new IllegalStateException("receiver.host=" + host + " listens beyond loopback: set receiver.auth-token "
                                            + "(or sender.auth-token) so that only senders with the token can store records");
        }
        if (maxBytesInFlight < maxBodyBytes) {
            throw new IllegalStateException("receiver.max-bytes-in-flight=" + maxBytesInFlight + " is below receiver.max-body-bytes="
                                            + maxBodyBytes + ": a body of the allowed size could never be received");
        }
    }

    @Override
    public void handle(RoutingContext ctx) {
        HttpServerRequest req = ctx.request();
        if (req.method() != HttpMethod.POST) {
            ctx.next();
            return;
        }
        String refusal = refusal(ctx);
        if (refusal != null) {
            return;
        }
        String length = req.getHeader(HttpHeaders.CONTENT_LENGTH);
        long declared;
        try {
            declared = length == null ? -1 : Long.parseLong(length.trim());
        } catch (NumberFormatException e) {
            refuse(ctx, 400, "Content-Length is not a number");
            return;
        }
        if (declared > maxBodyBytes) {
            LOG.warn("Refused a body of {} bytes from {}: over receiver.max-body-bytes ({})", declared, req.remoteAddress(), maxBodyBytes);
            refuse(ctx, 413, "body larger than " + maxBodyBytes + " bytes (receiver.max-body-bytes)");
            return;
        }
        long reserve = declared >= 0 ? declared : maxBodyBytes;
        if (!reserve(reserve)) {
            refusedBusy.incrementAndGet();
            ctx.response().putHeader("Retry-After", RETRY_AFTER);
            refuse(ctx, 503, "receiver busy: " + maxBytesInFlight + " bytes in flight (receiver.max-bytes-in-flight); retry later");
            return;
        }
        // released once the answer is written or the connection is gone, whichever comes first
        ctx.addEndHandler(done -> inFlight.addAndGet(-reserve));
        ctx.next();
    }

    private boolean reserve(long bytes) {
        while (true) {
            long now = inFlight.get();
            if (now + bytes > maxBytesInFlight) {
                return false;
            }
            if (inFlight.compareAndSet(now, now + bytes)) {
                return true;
            }
        }
    }

    /** Answers the request and returns the reason when its headers do not pass; null when they do. */
    private String refusal(RoutingContext ctx) {
        HttpServerRequest req = ctx.request();
        if (!authToken.isEmpty() && !authorized(req.headers().getAll(HttpHeaders.AUTHORIZATION))) {
            ctx.response().putHeader("WWW-Authenticate", "Bearer realm=\"packet-relay\"");
            return refuse(ctx, 401, "missing or wrong bearer token (header Authorization: Bearer <token>)");
        }
        for (String name : req.params().names()) {
            if (name.equalsIgnoreCase(IngestStore.KEY) || name.equalsIgnoreCase("Authorization") || name.equalsIgnoreCase("Content-Type")) {
                return refuse(ctx, 400, "query parameter '" + name + "' is not accepted: send it as an HTTP header");
            }
        }
        List<String> keys = req.headers().getAll(IngestStore.KEY);
        // a blank or over-long key is the store's to refuse (it is the same from any transport)
        if (keys.size() > 1) {
            return refuse(ctx, 400, "more than one Idempotency-Key header");
        }
        List<String> types = req.headers().getAll(HttpHeaders.CONTENT_TYPE);
        if (types.size() != 1 || !types.get(0).toLowerCase(Locale.ROOT).startsWith("application/json")) {
            return refuse(ctx, 415, "Content-Type must be application/json");
        }
        return null;
    }

    private boolean authorized(List<String> values) {
        if (values.size() != 1) {
            return false;
        }
        String v = values.get(0).trim();
        // RFC 7235: the scheme is case-insensitive
        if (v.length() < 7 || !v.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return false;
        }
        return MessageDigest.isEqual(authToken.getBytes(StandardCharsets.UTF_8), v.substring(7).trim().getBytes(StandardCharsets.UTF_8));
    }

    /**
     * Answers with {@code {"error": reason}} and closes the connection: the body, if any, is not read, so the
     * connection cannot carry another request.
     */
    static String refuse(RoutingContext ctx, int status, String reason) {
        ctx.response().setStatusCode(status)
                .putHeader(HttpHeaders.CONTENT_TYPE, "application/json")
                .putHeader(HttpHeaders.CONNECTION, "close")
                .end("{\"error\":" + IngestStore.quote(reason) + "}");
        return reason;
    }
}
