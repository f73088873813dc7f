package org.packetrelay.receiver;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.apache.camel.BeanInject;
import org.apache.camel.test.main.junit5.CamelMainTest;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Slow-header clients (slowloris): 200 connections that send part of a request's headers, then nothing or a
 * byte now and then, are closed after receiver.header-timeout, while normal POSTs keep being answered; a
 * keep-alive connection that starts a second request but does not finish its headers is closed after
 * receiver.keep-alive-timeout.
 * (Camel's own server has no such timeout: they stayed open for as long as the client liked.)
 */
@CamelMainTest(propertyPlaceholderLocations = "file:application.properties",
               properties = {
                       "camel.main.routes-include-pattern=file:routes/receiver.yaml",
                       "relay.roles=receiver",
                       "receiver.port=0",
                       "receiver.header-timeout=1",
                       "receiver.keep-alive-timeout=2",
                       "camel.management.enabled=false",
                       "receiver.jdbc-url=jdbc:h2:mem:receiver-slow-test;DB_CLOSE_DELAY=-1",
               })
class ReceiverSlowClientTest {
    static final String PARTIAL = "POST /ingest_packets HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n";

    @BeanInject("receiverHttpServer")
    ReceiverHttpServer server;

    @Test
    void slowHeaderConnectionsAreClosedAndNormalPostsStillAnswered() throws Exception {
        List<Socket> silent = new ArrayList<>();
        List<Socket> trickling = new ArrayList<>();
        try {
            for (int i = 0; i < 200; i++) {
                Socket s = new Socket("127.0.0.1", server.getPort());
                s.getOutputStream().write(PARTIAL.getBytes(StandardCharsets.US_ASCII));
                (i % 4 == 0 ? trickling : silent).add(s);
            }
            HttpResponse<String> ok = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(
                    "http://127.0.0.1:" + server.getPort() + "/ingest_packets")).header("Content-Type", "application/json")
                    .header("Idempotency-Key", "slow-1").POST(HttpRequest.BodyPublishers.ofString("[{\"length\": 60}]")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ok.statusCode(), "a normal POST beside 200 slow connections: " + ok.body());

            // the tricklers send one more header byte every 200 ms: the timeout counts from the connection's
            // opening, so a trickle does not extend it; the server's close makes a write fail (reset)
            long end = System.currentTimeMillis() + 30_000;
            List<Socket> open = new ArrayList<>(trickling);
            while (!open.isEmpty() && System.currentTimeMillis() < end) {
                open.removeIf(s -> !writeOneByte(s));
                Thread.sleep(200);
            }
            assertTrue(open.isEmpty(), open.size() + " of " + trickling.size() + " trickling connections still open after 30 s");
            for (Socket s : silent) {
                s.setSoTimeout((int) Math.max(1, end - System.currentTimeMillis()));
                assertTrue(closedByServer(s.getInputStream()), "a silent connection is closed by the server");
            }
        } finally {
            for (Socket s : silent) {
                s.close();
            }
            for (Socket s : trickling) {
                s.close();
            }
        }
    }

    @Test
    void aKeepAliveConnectionThatStallsInItsNextRequestIsClosed() throws Exception {
        String body = "[{\"length\": 61}]";
        try (Socket s = new Socket("127.0.0.1", server.getPort())) {
            s.setSoTimeout(30_000);
            OutputStream out = s.getOutputStream();
            out.write((PARTIAL + "Idempotency-Key: keep-alive-1\r\nContent-Length: " + body.length() + "\r\n\r\n" + body)
                    .getBytes(StandardCharsets.US_ASCII));
            InputStream in = s.getInputStream();
            StringBuilder answer = new StringBuilder();
            // the answer is chunked: read up to its last chunk
            while (!answer.toString().endsWith("\r\n0\r\n\r\n")) {
                int c = in.read();
                assertTrue(c >= 0, "connection closed before the answer ended: " + answer);
                answer.append((char) c);
            }
            assertTrue(answer.toString().startsWith("HTTP/1.1 200") && answer.toString().contains("{\"stored\":1}"), answer.toString());
            out.write(PARTIAL.getBytes(StandardCharsets.US_ASCII));
            assertTrue(closedByServer(in), "the stalled second request's connection is closed by the server");
        }
    }

    private static boolean writeOneByte(Socket s) {
        try {
            OutputStream out = s.getOutputStream();
            out.write('X');
            out.flush();
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** True once the server has closed (end of stream or reset); false when the read timed out: still open. */
    private static boolean closedByServer(InputStream in) {
        try {
            while (true) {
                if (in.read() < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true;
        }
    }
}
