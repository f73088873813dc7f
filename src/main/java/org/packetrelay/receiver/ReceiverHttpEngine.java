package org.packetrelay.receiver;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.Processor;
import org.apache.camel.component.platform.http.PlatformHttpEndpoint;
import org.apache.camel.component.platform.http.spi.Method;
import org.apache.camel.component.platform.http.spi.PlatformHttpConsumer;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpConsumer;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpEngine;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.apache.camel.support.service.ServiceHelper;

/**
 * The platform-http engine bound to the receiver's port, which starts the receiver's own server
 * ({@link ReceiverHttpServer}) when platform-http is first used. Camel's own engine looks for the one embedded
 * HTTP server to attach routes to and, when the management server (camel.management.*) runs too, finds two and
 * falls back to port 8080; this one is told the port (receiver.port).
 * <p>
 * A stopped or suspended route answers {@code 503} with {@code Retry-After}: a transient failure that senders
 * retry. (Camel removes a stopped route's path from the server, which then answered 404, a permanent failure
 * for a sender, and answers a suspended one 503 without Retry-After.)
 */
public class ReceiverHttpEngine extends VertxPlatformHttpEngine {
    /** Seconds in the Retry-After of a 503 from a stopped or suspended route. */
    static final String RETRY_AFTER = "5";
    private final Set<String> fallbacks = ConcurrentHashMap.newKeySet();
    private int port;
    private ReceiverHttpServer server;

    public void setPort(int port) {
        this.port = port;
    }

    /** The server the routes attach to; started and stopped with this engine (when platform-http is first used). */
    public void setServer(ReceiverHttpServer server) {
        this.server = server;
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        if (server != null) {
            server.setCamelContext(getCamelContext());
            ServiceHelper.startService(server);
        }
    }

    @Override
    protected void doStop() throws Exception {
        ServiceHelper.stopService(server);
        super.doStop();
    }

    @Override
    public int getServerPort() {
        return port > 0 ? port : super.getServerPort();
    }

    @Override
    public PlatformHttpConsumer createConsumer(PlatformHttpEndpoint endpoint, Processor processor) {
        return new Consumer(endpoint, processor);
    }

    static void unavailable(RoutingContext ctx) {
        ctx.response().setStatusCode(503).putHeader("Retry-After", RETRY_AFTER)
                .putHeader("Content-Type", "application/json")
                .end("{\"error\":\"receiver is stopped; retry later\"}");
    }

    private final class Consumer extends VertxPlatformHttpConsumer {
        Consumer(PlatformHttpEndpoint endpoint, Processor processor) {
            super(endpoint, processor, getHandlers(), VertxPlatformHttpRouter.getRouterNameFromPort(getServerPort()));
        }

        @Override
        protected void doStart() throws Exception {
            super.doStart();
            // once per path: a route after Camel's (which a stop removes) answering 503 for the route's methods
            String path = getEndpoint().getPath().startsWith("/") ? getEndpoint().getPath() : "/" + getEndpoint().getPath();
            VertxPlatformHttpRouter router = VertxPlatformHttpRouter.lookup(getEndpoint().getCamelContext(),
                    VertxPlatformHttpRouter.getRouterNameFromPort(getServerPort()));
            if (router == null) {
                // receiver.port=0 (tests): the router is registered under the name for port 0
                router = VertxPlatformHttpRouter.lookup(getEndpoint().getCamelContext(), VertxPlatformHttpRouter.PLATFORM_HTTP_ROUTER_NAME_ZERO);
            }
            if (router == null || !fallbacks.add(getServerPort() + path)) {
                return;
            }
            Route route = router.route(path).order(Integer.MAX_VALUE);
            for (Method m : Method.parseList(getEndpoint().getHttpMethodRestrict())) {
                route.method(HttpMethod.valueOf(m.name()));
            }
            route.handler(ReceiverHttpEngine::unavailable);
        }

        @Override
        protected void handleRequest(RoutingContext ctx) {
            if (isSuspended() || isSuspending()) {
                unavailable(ctx);
                return;
            }
            super.handleRequest(ctx);
        }
    }
}
