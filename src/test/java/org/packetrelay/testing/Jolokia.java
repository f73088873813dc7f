package org.packetrelay.testing;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

/** The relay's JMX over HTTP ({@code /observe/jolokia} on the management port), as curl uses it. */
public final class Jolokia {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpClient http = HttpClient.newHttpClient();
    private final int port;

    public Jolokia(int port) {
        this.port = port;
    }

    /** GET {@code /observe/jolokia<path>} with the Origin the relay allows; the answer's JSON. */
    public JsonNode get(String path) throws IOException, InterruptedException {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/observe/jolokia" + path))
                .header("Origin", "http://127.0.0.1").build();
        return JSON.readTree(http.send(req, HttpResponse.BodyHandlers.ofString()).body());
    }

    private static String route(String id) {
        return "org.apache.camel:context=packet-relay,type=routes,name=%22" + id + "%22";
    }

    /** suspend, resume, stop or start a route. */
    public void exec(String routeId, String operation) throws IOException, InterruptedException {
        JsonNode answer = get("/exec/" + route(routeId) + "/" + operation + "()");
        if (answer.path("status").asInt() != 200) {
            throw new AssertionError(operation + " of route " + routeId + ": " + answer);
        }
    }

    public String routeState(String routeId) throws IOException, InterruptedException {
        return get("/read/" + route(routeId) + "/State").path("value").asText();
    }

    /** The relay's health with every check's details ({@code ?exposureLevel=full&data=true}). */
    public String health() throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/observe/health?exposureLevel=full&data=true"))
                .build(), HttpResponse.BodyHandlers.ofString()).body();
    }
}
