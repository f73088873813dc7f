package org.packetrelay.bench;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * The bench's own loopback traffic, on ports it owns (listed by {@link #filter()} for the capture): UDP datagrams of
 * many sizes over IPv4 and IPv6, DNS queries and answers on 53 and 5353 where those ports are free, and HTTP/1.1
 * over TCP (JDK HttpServer; JDK HttpClient on kept-alive connections and raw sockets with Connection: close), on
 * 127.0.0.1 and ::1.
 */
public final class BenchTraffic implements AutoCloseable {
    private static final String[] WORDS = {"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel",
        "india", "juliett", "kilo", "lima", "mike", "november", "oscar", "papa"};
    private static final int[] DNS_TYPES = {1, 28, 16, 15, 5, 12};

    private final Random random = new Random(20240601L);
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final List<Integer> udpPorts = new ArrayList<>();
    private final List<Integer> tcpPorts = new ArrayList<>();
    private final List<InetSocketAddress> dnsServers = new ArrayList<>();
    private final List<InetSocketAddress> udpSinks = new ArrayList<>();
    private final List<HttpServer> httpServers = new ArrayList<>();
    private final List<String> notes = new ArrayList<>();
    private ExecutorService httpExecutor;

    /** Binds every server socket (nothing is sent yet). */
    public void open() throws IOException {
        InetAddress v4 = InetAddress.getByName("127.0.0.1");
        InetAddress v6 = InetAddress.getByName("::1");
        // DNS: the standard ports when free (we run as root in the bench), else an ephemeral one
        for (InetAddress a : List.of(v4, v6)) {
            for (int port : a == v4 ? new int[] {53, 5353} : new int[] {5353}) {
                DatagramSocket s = bindUdp(a, port);
                if (s == null) {
                    notes.add("DNS port " + port + " on " + a.getHostAddress() + " is taken: DNS goes to an ephemeral port");
                    s = bindUdp(a, 0);
                }
                startDnsResponder(s);
                dnsServers.add(new InetSocketAddress(a, s.getLocalPort()));
                udpPorts.add(s.getLocalPort());
            }
        }
        for (InetAddress a : List.of(v4, v4, v6)) {
            DatagramSocket s = bindUdp(a, 0);
            startSink(s);
            udpSinks.add(new InetSocketAddress(a, s.getLocalPort()));
            udpPorts.add(s.getLocalPort());
        }
        httpExecutor = Executors.newFixedThreadPool(2);
        for (InetAddress a : List.of(v4, v6)) {
            HttpServer server = HttpServer.create(new InetSocketAddress(a, 0), 50);
            server.createContext("/", this::handleHttp);
            server.setExecutor(httpExecutor);
            server.start();
            httpServers.add(server);
            tcpPorts.add(server.getAddress().getPort());
        }
    }

    /** The BPF filter that matches this traffic and nothing else of ours. */
    public String filter() {
        return "(udp and (" + ports(udpPorts) + ")) or (tcp and (" + ports(tcpPorts) + "))";
    }

    public List<String> notes() {
        return notes;
    }

    private static String ports(List<Integer> ports) {
        StringBuilder sb = new StringBuilder();
        for (int p : ports.stream().distinct().toList()) {
            sb.append(sb.length() == 0 ? "" : " or ").append("port ").append(p);
        }
        return sb.toString();
    }

    /** Sends the mix; {@code scale} multiplies every count (1 gives a few thousand packets). */
    public void run(int scale) throws Exception {
        try (DatagramSocket client4 = new DatagramSocket(0, InetAddress.getByName("127.0.0.1"));
             DatagramSocket client6 = new DatagramSocket(0, InetAddress.getByName("::1"))) {
            client4.setSoTimeout(1000);
            client6.setSoTimeout(1000);
            for (int round = 0; round < 4 * scale; round++) {
                udpBurst(client4, client6, 500);
                dns(client4, client6, 60);
                httpClient(40 + round * 5);
                rawHttp(8);
            }
        }
    }

    // ---------------------------------------------------------------- UDP

    private void udpBurst(DatagramSocket c4, DatagramSocket c6, int n) throws IOException, InterruptedException {
        for (int i = 0; i < n; i++) {
            InetSocketAddress to = udpSinks.get(random.nextInt(udpSinks.size()));
            byte[] payload = payload(udpSize());
            (to.getAddress() instanceof Inet6Address ? c6 : c4).send(new DatagramPacket(payload, payload.length, to));
            if (i % 100 == 99) {
                Thread.sleep(2); // let the capture thread keep up
            }
        }
    }

    /** Sizes seen on real links: many small datagrams, MTU-sized ones, a few jumbo ones (lo's MTU is 64 KiB). */
    private int udpSize() {
        int r = random.nextInt(100);
        if (r < 5) {
            return random.nextInt(8); // empty and tiny
        } else if (r < 55) {
            return 16 + random.nextInt(240);
        } else if (r < 85) {
            return 256 + random.nextInt(1216);
        } else if (r < 97) {
            return 1472;
        }
        return 1473 + random.nextInt(7500);
    }

    private byte[] payload(int n) {
        byte[] b = new byte[n];
        if (random.nextBoolean()) {
            random.nextBytes(b);
        } else {
            byte[] text = ("packet-relay bench " + WORDS[random.nextInt(WORDS.length)] + " ").getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < n; i++) {
                b[i] = text[i % text.length];
            }
        }
        return b;
    }

    private static DatagramSocket bindUdp(InetAddress a, int port) {
        try {
            return new DatagramSocket(new InetSocketAddress(a, port));
        } catch (SocketException e) {
            return null;
        }
    }

    private void startSink(DatagramSocket s) {
        resources.add(s);
        Thread t = new Thread(() -> {
            byte[] buf = new byte[65536];
            DatagramPacket p = new DatagramPacket(buf, buf.length);
            while (!s.isClosed()) {
                try {
                    s.receive(p);
                } catch (IOException e) {
                    return;
                }
            }
        }, "bench-udp-sink-" + s.getLocalPort());
        t.setDaemon(true);
        t.start();
    }

    // ---------------------------------------------------------------- DNS

    private void dns(DatagramSocket c4, DatagramSocket c6, int n) throws IOException {
        byte[] buf = new byte[4096];
        for (int i = 0; i < n; i++) {
            InetSocketAddress to = dnsServers.get(i % dnsServers.size());
            DatagramSocket c = to.getAddress() instanceof Inet6Address ? c6 : c4;
            String name = WORDS[random.nextInt(WORDS.length)] + (random.nextInt(3) == 0 ? "-" + i : "") + "."
                          + WORDS[random.nextInt(WORDS.length)] + (random.nextBoolean() ? ".example.com" : ".local");
            byte[] q = dnsQuery(random.nextInt(65536), name, DNS_TYPES[random.nextInt(DNS_TYPES.length)]);
            c.send(new DatagramPacket(q, q.length, to));
            try {
                c.receive(new DatagramPacket(buf, buf.length));
            } catch (SocketTimeoutException e) {
                // counted as a lost answer: harmless for the bench
            }
        }
    }

    static byte[] dnsQuery(int id, String name, int qtype) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        u16(b, id);
        u16(b, 0x0100); // standard query, recursion desired
        u16(b, 1);
        u16(b, 0);
        u16(b, 0);
        u16(b, 0);
        for (String label : name.split("\\.")) {
            byte[] l = label.getBytes(StandardCharsets.US_ASCII);
            b.write(l.length);
            b.write(l, 0, l.length);
        }
        b.write(0);
        u16(b, qtype);
        u16(b, 1);
        return b.toByteArray();
    }

    /** The answer to a query: the question echoed and 0 to 3 records of the asked type (NXDOMAIN for some). */
    private static byte[] dnsAnswer(byte[] q, int len, Random random) {
        if (len < 17) {
            return null;
        }
        int qend = 12;
        while (qend < len && q[qend] != 0) {
            qend += (q[qend] & 0xff) + 1;
        }
        qend += 5; // the root label, qtype, qclass
        if (qend > len) {
            return null;
        }
        int qtype = ((q[qend - 4] & 0xff) << 8) | (q[qend - 3] & 0xff);
        boolean nx = random.nextInt(8) == 0;
        int answers = nx ? 0 : 1 + random.nextInt(3);
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        b.write(q, 0, 2);
        u16(b, nx ? 0x8183 : 0x8180);
        u16(b, 1);
        u16(b, answers);
        u16(b, 0);
        u16(b, 0);
        b.write(q, 12, qend - 12);
        for (int i = 0; i < answers; i++) {
            u16(b, 0xC00C); // the name of the question
            u16(b, qtype);
            u16(b, 1);
            u16(b, 0);
            u16(b, 300);
            byte[] rdata = switch (qtype) {
                case 1 -> new byte[] {10, 0, (byte) random.nextInt(256), (byte) (1 + i)};
                case 28 -> {
                    byte[] a = new byte[16];
                    a[0] = 0x20;
                    a[1] = 0x01;
                    a[2] = 0x0d;
                    a[3] = (byte) 0xb8;
                    a[15] = (byte) (1 + i);
                    yield a;
                }
                case 16 -> {
                    byte[] t = ("v=bench" + i + " relay").getBytes(StandardCharsets.US_ASCII);
                    byte[] r = new byte[t.length + 1];
                    r[0] = (byte) t.length;
                    System.arraycopy(t, 0, r, 1, t.length);
                    yield r;
                }
                case 15 -> new byte[] {0, (byte) (10 * (i + 1)), (byte) 0xC0, 0x0C};
                default -> new byte[] {(byte) 0xC0, 0x0C}; // CNAME / PTR: the question's name
            };
            u16(b, rdata.length);
            b.write(rdata, 0, rdata.length);
        }
        return b.toByteArray();
    }

    private static void u16(ByteArrayOutputStream b, int v) {
        b.write((v >> 8) & 0xff);
        b.write(v & 0xff);
    }

    private void startDnsResponder(DatagramSocket s) {
        resources.add(s);
        Thread t = new Thread(() -> {
            Random r = new Random(s.getLocalPort());
            byte[] buf = new byte[4096];
            while (!s.isClosed()) {
                DatagramPacket p = new DatagramPacket(buf, buf.length);
                try {
                    s.receive(p);
                    byte[] a = dnsAnswer(buf, p.getLength(), r);
                    if (a != null) {
                        s.send(new DatagramPacket(a, a.length, p.getSocketAddress()));
                    }
                } catch (IOException e) {
                    return;
                }
            }
        }, "bench-dns-" + s.getLocalPort());
        t.setDaemon(true);
        t.start();
    }

    // ---------------------------------------------------------------- HTTP

    /** /bytes/N: N bytes; /chunked/N: N bytes, chunked; /status/C: status C; HEAD: headers only. */
    private void handleHttp(HttpExchange ex) throws IOException {
        try (ex) {
            try (InputStream in = ex.getRequestBody()) {
                in.transferTo(OutputStream.nullOutputStream());
            }
            String[] path = ex.getRequestURI().getPath().split("/");
            String kind = path.length > 1 ? path[1] : "";
            int arg = 0;
            try {
                arg = path.length > 2 ? Integer.parseInt(path[2]) : 0;
            } catch (NumberFormatException e) {
                arg = 0;
            }
            ex.getResponseHeaders().add("Content-Type", "text/plain; charset=utf-8");
            ex.getResponseHeaders().add("Server", "packet-relay-bench");
            if ("HEAD".equals(ex.getRequestMethod())) {
                ex.sendResponseHeaders(200, -1);
                return;
            }
            int status = 200;
            int size = arg;
            boolean chunked = false;
            switch (kind) {
                case "status" -> {
                    status = arg >= 200 && arg <= 599 && arg != 204 && arg != 304 ? arg : 200;
                    size = 20;
                    if (status / 100 == 3) {
                        ex.getResponseHeaders().add("Location", "/bytes/10");
                    }
                }
                case "chunked" -> chunked = true;
                case "bytes" -> {
                }
                default -> {
                    status = 404;
                    size = 9;
                }
            }
            byte[] body = new byte[size];
            byte[] text = "0123456789abcdefghijklmnopqrstuvwxyz\n".getBytes(StandardCharsets.US_ASCII);
            for (int i = 0; i < size; i++) {
                body[i] = text[i % text.length];
            }
            ex.sendResponseHeaders(status, chunked ? 0 : size == 0 ? -1 : size);
            if (size > 0) {
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(body);
                }
            }
        }
    }

    private String httpPath() {
        int r = random.nextInt(10);
        if (r < 5) {
            return "/bytes/" + (random.nextInt(4) == 0 ? random.nextInt(20_000) : random.nextInt(1500));
        } else if (r < 7) {
            return "/chunked/" + random.nextInt(6000);
        } else if (r < 9) {
            int[] codes = {200, 201, 301, 302, 400, 403, 404, 500, 503};
            return "/status/" + codes[random.nextInt(codes.length)];
        }
        return "/api/" + WORDS[random.nextInt(WORDS.length)] + "?q=" + random.nextInt(1000) + "&page=" + random.nextInt(9);
    }

    private void httpClient(int n) throws Exception {
        HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
        for (int i = 0; i < n; i++) {
            HttpServer server = httpServers.get(i % 4 == 3 ? 1 : 0);
            String host = server.getAddress().getAddress() instanceof Inet6Address ? "[::1]" : "127.0.0.1";
            URI uri = URI.create("http://" + host + ":" + server.getAddress().getPort() + httpPath());
            HttpRequest.Builder rb = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10))
                    .header("User-Agent", "packet-relay-bench/1.0")
                    .header("Accept", "*/*");
            int m = random.nextInt(10);
            if (m < 5) {
                rb.GET();
            } else if (m < 7) {
                rb.header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofByteArray(json(random.nextInt(4000))));
            } else if (m < 8) {
                rb.PUT(HttpRequest.BodyPublishers.ofByteArray(payload(random.nextInt(2000))));
            } else if (m < 9) {
                rb.DELETE();
            } else {
                rb.method("HEAD", HttpRequest.BodyPublishers.noBody());
            }
            client.send(rb.build(), HttpResponse.BodyHandlers.discarding());
        }
    }

    private byte[] json(int n) {
        StringBuilder sb = new StringBuilder("[");
        while (sb.length() < n) {
            sb.append(sb.length() > 1 ? "," : "").append("{\"name\":\"").append(WORDS[random.nextInt(WORDS.length)])
                    .append("\",\"value\":").append(random.nextInt(100000)).append('}');
        }
        return sb.append(']').toString().getBytes(StandardCharsets.UTF_8);
    }

    /** One request per connection, Connection: close: handshakes and FINs too. */
    private void rawHttp(int n) throws IOException {
        for (int i = 0; i < n; i++) {
            HttpServer server = httpServers.get(i % 3 == 2 ? 1 : 0);
            try (Socket s = new Socket()) {
                s.connect(server.getAddress(), 5000);
                s.setSoTimeout(10_000);
                byte[] body = i % 2 == 0 ? new byte[0] : json(200 + random.nextInt(3000));
                String head = (body.length == 0 ? "GET " : "POST ") + httpPath() + " HTTP/1.1\r\n"
                              + "Host: bench" + i + ".example.test\r\n"
                              + "User-Agent: raw-socket\r\n"
                              + (body.length > 0 ? "Content-Type: application/json\r\nContent-Length: " + body.length + "\r\n" : "")
                              + "Connection: close\r\n\r\n";
                OutputStream out = s.getOutputStream();
                out.write(head.getBytes(StandardCharsets.US_ASCII));
                out.write(body);
                out.flush();
                s.getInputStream().transferTo(OutputStream.nullOutputStream());
            }
        }
    }

    /** Stops the servers (closing their connections: FINs) and closes the sockets. */
    @Override
    public void close() {
        for (HttpServer s : httpServers) {
            s.stop(0);
        }
        httpServers.clear();
        if (httpExecutor != null) {
            httpExecutor.shutdownNow();
        }
        for (AutoCloseable r : resources) {
            try {
                r.close();
            } catch (Exception e) {
                // closing anyway
            }
        }
        resources.clear();
    }
}
