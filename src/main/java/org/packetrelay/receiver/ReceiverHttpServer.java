package org.packetrelay.receiver;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.http.HttpConnection;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServer;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpServerConfiguration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receiver's HTTP server: Camel's Vert.x platform-http server (the routes attach to it as to
 * {@code camel.server.*}), listening with what Camel's has no setting for:
 * <ul>
 * <li>a header timeout: a connection must deliver its first request's headers within
 * {@code receiver.header-timeout} seconds of opening, and each later one within
 * {@code receiver.keep-alive-timeout} of the previous answer, else it is closed: slow-header clients cannot
 * hold connections open. (The second is longer so that a sender's pooled connection, idle between two spool
 * files, 30 s by default, is not closed just as the sender reuses it.)</li>
 * <li>the {@link IngestGate} before any body is read;</li>
 * <li>JSON answers, logged as one WARN line, for a body over the limit (Vert.x's own are plain text and logged
 * as an ERROR with a stack trace).</li>
 * </ul>
 */
public class ReceiverHttpServer extends VertxPlatformHttpServer {
    private static final Logger LOG = LoggerFactory.getLogger(ReceiverHttpServer.class);
    private final VertxPlatformHttpServerConfiguration config;
    private final Map<HttpConnection, Deadline> deadlines = new ConcurrentHashMap<>();
    private String roles = "receiver";
    private long headerTimeoutMs = 30_000;
    private long keepAliveTimeoutMs = 120_000;
    private IngestGate gate;
    private HttpServer server;
    private Vertx ownVertx;

    public ReceiverHttpServer() {
        this(new VertxPlatformHttpServerConfiguration());
    }

    private ReceiverHttpServer(VertxPlatformHttpServerConfiguration config) {
        super(config);
        this.config = config;
        // a body of known length is read into one buffer of that size, not grown by doubling (copy after copy)
        config.getBodyHandler().setPreallocateBodyBuffer(true);
        config.getBodyHandler().setHandleFileUploads(false);
    }

    public void setRoles(String roles) {
        this.roles = roles;
    }

    public void setHost(String host) {
        config.setBindHost(host);
    }

    public void setPort(int port) {
        config.setBindPort(port);
    }

    public void setMaxBodyBytes(long maxBodyBytes) {
        config.setMaxBodySize(maxBodyBytes);
    }

    /** Seconds; see the class comment. */
    public void setHeaderTimeout(double seconds) {
        this.headerTimeoutMs = Math.max(1, Math.round(seconds * 1000));
    }

    /** Seconds; see the class comment. */
    public void setKeepAliveTimeout(double seconds) {
        this.keepAliveTimeoutMs = Math.max(1, Math.round(seconds * 1000));
    }

    public void setGate(IngestGate gate) {
        this.gate = gate;
    }

    @Override
    protected void doStart() throws Exception {
        // the server belongs to the receiver role: nothing listens in a process without it
        if (roles != null && roles.contains("receiver")) {
            gate.start();
            super.doStart();
        }
    }

    @Override
    protected void doStop() throws Exception {
        if (server != null) {
            super.doStop();
        }
    }

    @Override
    protected Vertx createVertxInstance() {
        ownVertx = super.createVertxInstance();
        return ownVertx;
    }

    /** Camel's closes its own Vert.x on an executor that only its startServer creates. */
    @Override
    protected void stopVertx() {
        if (ownVertx != null) {
            closeQuietly(ownVertx.close(), "Vert.x");
            ownVertx = null;
        }
    }

    @Override
    protected void startServer() throws Exception {
        VertxPlatformHttpRouter router = VertxPlatformHttpRouter.lookup(getCamelContext(),
                VertxPlatformHttpRouter.getRouterNameFromPort(config.getBindPort()));
        router.route().order(Integer.MIN_VALUE).handler(this::headersArrived);
        router.route().order(Integer.MIN_VALUE + 1).handler(gate);
        router.errorHandler(413, ReceiverHttpServer::tooLarge);
        Vertx vertx = getVertx();
        // HTTP/1.1 only: with h2c detection Vert.x creates the connection (and calls connectionHandler) only once
        // a request has arrived, too late to time its headers
        HttpServer s = vertx.createHttpServer(new HttpServerOptions().setHttp2ClearTextEnabled(false));
        s.connectionHandler(conn -> {
            Deadline d = new Deadline(vertx, conn);
            deadlines.put(conn, d);
            conn.closeHandler(v -> deadlines.remove(conn).cancel());
            d.arm(headerTimeoutMs);
        });
        s.requestHandler(router);
        server = s.listen(config.getBindPort(), config.getBindHost()).toCompletionStage().toCompletableFuture()
                .get(30, TimeUnit.SECONDS);
        LOG.info("Receiver listening on {}:{}", config.getBindHost(), server.actualPort());
    }

    @Override
    protected void stopServer() {
        if (server != null) {
            closeQuietly(server.close(), "HTTP server");
            server = null;
        }
    }

    private static void closeQuietly(Future<Void> closing, String what) {
        try {
            closing.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            LOG.warn("Closing the receiver's {}: {}", what, e.toString());
        }
    }

    @Override
    public HttpServer getServer() {
        return server;
    }

    @Override
    public int getPort() {
        return server != null ? server.actualPort() : config.getBindPort();
    }

    /** The first handler of every request: its connection's header timer stops until the answer is written. */
    private void headersArrived(RoutingContext ctx) {
        Deadline d = deadlines.get(ctx.request().connection());
        if (d != null) {
            d.requestStarted();
            ctx.addEndHandler(v -> d.requestEnded());
        }
        ctx.next();
    }

    /** A body over receiver.max-body-bytes that declared no length: Vert.x's body handler fails the request. */
    private static void tooLarge(RoutingContext ctx) {
        LOG.warn("Refused a body from {}: over receiver.max-body-bytes", ctx.request().remoteAddress());
        if (!ctx.response().ended()) {
            IngestGate.refuse(ctx, 413, "body larger than receiver.max-body-bytes");
        }
    }

    /** The header timer of one connection: running while the connection waits for a request's headers. */
    private final class Deadline {
        private final Vertx vertx;
        private final HttpConnection conn;
        private int active;
        private long timer = -1;

        Deadline(Vertx vertx, HttpConnection conn) {
            this.vertx = vertx;
            this.conn = conn;
        }

        // all on the connection's event loop: no locking
        void arm(long ms) {
            timer = vertx.setTimer(ms, t -> {
                LOG.debug("Closing {}: no request headers within {} ms", conn.remoteAddress(), ms);
                conn.close();
            });
        }

        void cancel() {
            if (timer >= 0) {
                vertx.cancelTimer(timer);
                timer = -1;
            }
        }

        void requestStarted() {
            active++;
            cancel();
        }

        void requestEnded() {
            if (--active == 0) {
                arm(keepAliveTimeoutMs);
            }
        }
    }
}
