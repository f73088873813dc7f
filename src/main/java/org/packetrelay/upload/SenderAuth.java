package org.packetrelay.upload;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Paths;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * The bearer token of the uploads (bean {@code senderAuth}, a step of the route {@code post}): sets
 * {@code Authorization: Bearer <token>} when {@code sender.auth-token} (or the file {@code sender.auth-token-file},
 * read at start) holds one. camel-http's own bearer option sends the token only after the server's 401 challenge, a
 * round trip per connection more, so the header is set here. The token is never logged; it is taken off the exchange
 * again once the POST is done ({@link #clear}).
 */
public class SenderAuth implements Processor {
    private String roles = "sender";
    private String token = "";
    private String tokenFile = "";

    public void setRoles(String roles) {
        this.roles = roles;
    }

    public void setToken(String token) {
        this.token = token == null ? "" : token.trim();
    }

    public void setTokenFile(String tokenFile) {
        this.tokenFile = tokenFile == null ? "" : tokenFile.trim();
    }

    public void start() {
        if (roles == null || !roles.contains("sender") || !token.isEmpty() || tokenFile.isEmpty()) {
            return;
        }
        try {
            token = Files.readString(Paths.get(tokenFile), StandardCharsets.UTF_8).trim();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read sender.auth-token-file " + tokenFile + ": " + e.getMessage());
        }
    }

    @Override
    public void process(Exchange exchange) {
        if (!token.isEmpty()) {
            exchange.getIn().setHeader("Authorization", "Bearer " + token);
        }
    }

    /** Removes the header (after the POST, so no later step or copy of the exchange carries the token). */
    public void clear(Exchange exchange) {
        exchange.getIn().removeHeader("Authorization");
    }

    @Override
    public String toString() {
        return "SenderAuth[" + (token.isEmpty() ? "no token" : "token set") + "]";
    }
}
