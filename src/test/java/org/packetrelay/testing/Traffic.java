package org.packetrelay.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.ThreadLocalRandom;

/** Real traffic on the loopback interface, made by the tests themselves. */
public final class Traffic {
    private Traffic() {
    }

    /**
     * A TCP port free now, chosen below the kernel's ephemeral range (32768-60999): a port that the kernel hands
     * out (port 0) may be taken by an outgoing connection, or by another build, before the test binds it again.
     */
    public static int freePort() throws IOException {
        for (int attempt = 0; attempt < 200; attempt++) {
            int port = 20_000 + ThreadLocalRandom.current().nextInt(32_768 - 20_000);
            try (ServerSocket s = new ServerSocket(port)) {
                return s.getLocalPort();
            } catch (IOException busy) {
                // try another
            }
        }
        throw new IOException("no free TCP port between 20000 and 32767");
    }

    /** Sends {@code n} UDP datagrams to host:port (nobody needs to listen). */
    public static void udp(String host, int port, int n, byte[] payload) throws IOException {
        try (DatagramSocket s = new DatagramSocket()) {
            InetAddress a = InetAddress.getByName(host);
            for (int i = 0; i < n; i++) {
                s.send(new DatagramPacket(payload, payload.length, a, port));
            }
        }
    }

    /** Sends {@code n} UDP datagrams from a given local address (e.g. 127.0.0.2, also on lo). */
    public static void udpFrom(String source, String host, int port, int n, byte[] payload) throws IOException {
        try (DatagramSocket s = new DatagramSocket(new InetSocketAddress(InetAddress.getByName(source), 0))) {
            InetAddress a = InetAddress.getByName(host);
            for (int i = 0; i < n; i++) {
                s.send(new DatagramPacket(payload, payload.length, a, port));
            }
        }
    }

    /** Opens a TCP connection to a local server on host:port, sends {@code request}, reads the reply, closes. */
    public static void tcpExchange(String host, int port, byte[] request, byte[] reply) throws Exception {
        try (ServerSocket server = new ServerSocket()) {
            server.bind(new InetSocketAddress(InetAddress.getByName(host), port));
            Thread t = new Thread(() -> {
                try (Socket c = server.accept()) {
                    InputStream in = c.getInputStream();
                    byte[] buf = new byte[65536];
                    int got = 0;
                    while (got < request.length) {
                        int r = in.read(buf);
                        if (r < 0) {
                            break;
                        }
                        got += r;
                    }
                    c.getOutputStream().write(reply);
                    c.getOutputStream().flush();
                } catch (IOException e) {
                    // the client's assertions will tell
                }
            });
            t.start();
            try (Socket c = new Socket()) {
                c.connect(server.getLocalSocketAddress(), 5000);
                c.setSoTimeout(5000);
                OutputStream out = c.getOutputStream();
                out.write(request);
                out.flush();
                InputStream in = c.getInputStream();
                int got = 0;
                byte[] buf = new byte[4096];
                while (got < reply.length) {
                    int r = in.read(buf);
                    if (r < 0) {
                        break;
                    }
                    got += r;
                }
            }
            t.join(5000);
        }
    }

    /** ICMP echo with the system's ping (iputils-ping). */
    public static void ping(String host, int count) throws Exception {
        Process p = new ProcessBuilder("ping", host.contains(":") ? "-6" : "-4", "-c", String.valueOf(count), "-i", "0.2", "-W", "1", host)
                .redirectErrorStream(true).start();
        p.getInputStream().readAllBytes();
        if (p.waitFor() != 0) {
            throw new IllegalStateException("ping " + host + " failed with exit " + p.exitValue());
        }
    }
}
