package org.packetrelay.bench;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * An HTTP ingest sink on 127.0.0.1 in this JVM (JDK HttpServer, a thread pool): reads every body to its end, counts
 * the records of the body with a byte scanner that knows JSON strings (objects directly inside the top-level array),
 * compares that with the count ending the Idempotency-Key ({@code ...:first+count}) and answers 200 with no body. Logs
 * every request ({@link UploadSinkLog.Req}); {@link UploadSinkLog#summarize} counts each key once.
 */
final class UploadSink implements AutoCloseable {
    private final HttpServer server;
    private final ExecutorService pool;
    private final Queue<UploadSinkLog.Req> log = new ConcurrentLinkedQueue<>();
    private final ThreadLocal<byte[]> buffers = ThreadLocal.withInitial(() -> new byte[1 << 16]);

    UploadSink(int threads) throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 128);
        pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "upload-sink");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(pool);
        server.createContext("/ingest_packets", this::handle);
        server.start();
    }

    String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/ingest_packets";
    }

    int port() {
        return server.getAddress().getPort();
    }

    /** Forgets the requests seen so far. */
    void reset() {
        log.clear();
    }

    /** The requests seen since the last reset. */
    List<UploadSinkLog.Req> requests() {
        return new ArrayList<>(log);
    }

    private void handle(HttpExchange ex) throws IOException {
        long start = System.currentTimeMillis();
        String key = ex.getRequestHeaders().getFirst("Idempotency-Key");
        long count = UploadSinkLog.countOf(key);
        ObjectCounter c = new ObjectCounter();
        long n = 0;
        String problem = null;
        try (ex) {
            byte[] buf = buffers.get();
            try (InputStream in = ex.getRequestBody()) {
                int r;
                while ((r = in.read(buf)) > 0) {
                    c.feed(buf, 0, r);
                    n += r;
                }
            } catch (IOException e) {
                problem = "body not read whole for " + key + ": " + e;
            }
            String type = ex.getRequestHeaders().getFirst("Content-Type");
            if (problem != null) {
                // above
            } else if (count < 0) {
                problem = "Idempotency-Key without a count: " + key;
            } else if (!c.wellFormed() || c.objects != count) {
                problem = "key " + key + " says " + count + " records, body holds " + c.objects + (c.wellFormed() ? "" : " (not one JSON array)");
            } else if (!"application/json".equals(type)) {
                problem = "Content-Type " + type + " for " + key;
            }
            // logged before the answer: whoever got the answer finds the request in the log
            log.add(new UploadSinkLog.Req(key, count, c.objects, n, start, System.currentTimeMillis(), problem));
            ex.sendResponseHeaders(200, -1);
        }
    }

    @Override
    public void close() {
        server.stop(0);
        pool.shutdownNow();
    }

    /** Counts the objects directly inside a top-level JSON array, skipping strings (with escapes). */
    static final class ObjectCounter {
        int depth;
        boolean inString;
        boolean escape;
        boolean sawArray;
        boolean badTop;
        long objects;

        void feed(byte[] b, int off, int len) {
            int d = depth;
            boolean s = inString;
            boolean e = escape;
            long o = objects;
            for (int i = off, end = off + len; i < end; i++) {
                byte x = b[i];
                if (s) {
                    if (e) {
                        e = false;
                    } else if (x == '\\') {
                        e = true;
                    } else if (x == '"') {
                        s = false;
                    }
                    continue;
                }
                switch (x) {
                    case '"' -> s = true;
                    case '{' -> {
                        if (d == 1) {
                            o++;
                        } else if (d == 0) {
                            badTop = true;
                        }
                        d++;
                    }
                    case '[' -> {
                        if (d == 0) {
                            if (sawArray) {
                                badTop = true;
                            }
                            sawArray = true;
                        }
                        d++;
                    }
                    case '}', ']' -> d--;
                    default -> {
                    }
                }
            }
            depth = d;
            inString = s;
            escape = e;
            objects = o;
        }

        boolean wellFormed() {
            return sawArray && !badTop && depth == 0 && !inString;
        }
    }

    /**
     * The sink alone: {@code connections} keep-alive sockets each POSTing the same prepared body (with its own
     * Idempotency-Key) as fast as the sink answers, {@code requests} in all. Returns seconds.
     */
    static double hammer(String host, int port, byte[] body, int recordsPerBody, int connections, int requests) throws Exception {
        ExecutorService ex = Executors.newFixedThreadPool(connections);
        AtomicLong next = new AtomicLong();
        long t0 = System.nanoTime();
        List<Future<?>> fs = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            fs.add(ex.submit(() -> {
                try (Socket s = new Socket(host, port)) {
                    s.setTcpNoDelay(true);
                    OutputStream out = s.getOutputStream();
                    InputStream in = new BufferedInputStream(s.getInputStream(), 8192);
                    long i;
                    while ((i = next.getAndIncrement()) < requests) {
                        String head = "POST /ingest_packets HTTP/1.1\r\nHost: " + host + ":" + port
                                      + "\r\nContent-Type: application/json\r\nIdempotency-Key: calibration:" + i + "+" + recordsPerBody
                                      + "\r\nContent-Length: " + body.length + "\r\n\r\n";
                        out.write(head.getBytes(StandardCharsets.US_ASCII));
                        out.write(body);
                        out.flush();
                        readResponse(in);
                    }
                }
                return null;
            }));
        }
        for (Future<?> f : fs) {
            f.get();
        }
        ex.shutdown();
        return (System.nanoTime() - t0) / 1e9;
    }

    private static void readResponse(InputStream in) throws IOException {
        StringBuilder line = new StringBuilder();
        long contentLength = 0;
        boolean first = true;
        while (true) {
            line.setLength(0);
            int b;
            while ((b = in.read()) != '\n') {
                if (b < 0) {
                    throw new IOException("connection closed by the sink");
                }
                if (b != '\r') {
                    line.append((char) b);
                }
            }
            if (line.length() == 0) {
                break;
            }
            String l = line.toString();
            if (first && !l.startsWith("HTTP/1.1 200")) {
                throw new IOException("sink answered " + l);
            }
            first = false;
            if (l.toLowerCase(Locale.ROOT).startsWith("content-length:")) {
                contentLength = Long.parseLong(l.substring(15).trim());
            }
        }
        in.skipNBytes(contentLength);
    }
}
