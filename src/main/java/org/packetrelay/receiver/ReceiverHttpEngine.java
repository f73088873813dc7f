package org.packetrelay.receiver;

import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpEngine;

/**
 * The platform-http engine bound to the receiver's port. Camel's own engine looks for the one embedded HTTP
 * server to attach routes to and, when the management server (camel.management.*) runs too, finds two and
 * falls back to port 8080; this one is told the port (receiver.port).
 */
public class ReceiverHttpEngine extends VertxPlatformHttpEngine {
    private int port;

    public void setPort(int port) {
        this.port = port;
    }

    @Override
    public int getServerPort() {
        return port > 0 ? port : super.getServerPort();
    }
}
