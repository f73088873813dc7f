package org.packetrelay.bench;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * nginx (Debian's nginx-light or nginx) as the ingest sink, one instance per run, one worker, on a free port of
 * 127.0.0.1. The location reads every body to its end before answering (a {@code mirror} with
 * {@code mirror_request_body on} makes nginx read it first; the content handler then answers 405, which
 * {@code error_page} turns into an empty 200) and logs, per request: end time, duration, status, request length
 * (with the body: the proof it was read), Content-Length, Content-Type and Idempotency-Key. {@link #stop} reads
 * that log as {@link UploadSinkLog.Req}s (records from the key's {@code +count}; bodies are not parsed).
 */
final class UploadNginx implements AutoCloseable {
    private final Path dir;
    private final int port;
    private final Process process;

    static Path binary() {
        for (String d : (System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/usr/local/sbin:/sbin").split(":")) {
            if (!d.isEmpty() && Files.isExecutable(Paths.get(d, "nginx"))) {
                return Paths.get(d, "nginx");
            }
        }
        return null;
    }

    UploadNginx(Path nginx, Path dir) throws Exception {
        this.dir = dir.toAbsolutePath();
        Files.createDirectories(this.dir.resolve("logs"));
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        String conf = """
                worker_processes 1;
                daemon off;
                pid %1$s/nginx.pid;
                error_log %1$s/logs/error.log warn;
                events { worker_connections 1024; }
                http {
                  access_log off;
                  log_format bench '$msec $request_time $status $request_length $content_length "$content_type" "$http_idempotency_key"';
                  client_body_temp_path %1$s/body;
                  proxy_temp_path %1$s/proxy;
                  fastcgi_temp_path %1$s/fastcgi;
                  uwsgi_temp_path %1$s/uwsgi;
                  scgi_temp_path %1$s/scgi;
                  keepalive_requests 10000000;
                  keepalive_timeout 120s;
                  server {
                    listen 127.0.0.1:%2$d backlog=1024;
                    location /ingest_packets {
                      client_max_body_size 10m;
                      client_body_buffer_size 1m;
                      mirror /discard;
                      mirror_request_body on;
                      error_page 405 =200 @ok;
                      empty_gif;
                    }
                    location @ok {
                      access_log %1$s/logs/access.log bench buffer=1m;
                      return 200;
                    }
                    location = /discard { internal; access_log off; return 204; }
                  }
                }
                """.formatted(this.dir, port);
        Files.writeString(this.dir.resolve("nginx.conf"), conf);
        process = new ProcessBuilder(nginx.toString(), "-c", this.dir.resolve("nginx.conf").toString(), "-p", this.dir.toString(),
                "-e", this.dir.resolve("logs/error.log").toString())
                .redirectErrorStream(true).redirectOutput(this.dir.resolve("logs/stdout.log").toFile()).start();
        long end = System.currentTimeMillis() + 10_000;
        while (true) {
            try (Socket s = new Socket("127.0.0.1", port)) {
                break;
            } catch (IOException e) {
                if (!process.isAlive() || System.currentTimeMillis() > end) {
                    process.destroyForcibly();
                    throw new IOException("nginx did not start: " + Files.readString(this.dir.resolve("logs/stdout.log"))
                                          + (Files.exists(this.dir.resolve("logs/error.log")) ? Files.readString(this.dir.resolve("logs/error.log")) : ""));
                }
                Thread.sleep(20);
            }
        }
    }

    String url() {
        return "http://127.0.0.1:" + port + "/ingest_packets";
    }

    int port() {
        return port;
    }

    /** CPU seconds of the master and its workers so far. */
    double cpuSeconds() {
        long ticks = 0;
        List<Long> pids = new ArrayList<>();
        pids.add(process.pid());
        process.toHandle().children().forEach(h -> pids.add(h.pid()));
        for (long pid : pids) {
            try {
                String s = Files.readString(Paths.get("/proc/" + pid + "/stat"));
                String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
                ticks += Long.parseLong(f[11]) + Long.parseLong(f[12]);
            } catch (IOException | RuntimeException e) {
                // gone
            }
        }
        return ticks / 100.0;
    }

    /** Stops nginx (SIGTERM: the workers flush their log buffers) and reads its access log. */
    List<UploadSinkLog.Req> stop() throws Exception {
        close();
        Path log = dir.resolve("logs/access.log");
        List<UploadSinkLog.Req> out = new ArrayList<>();
        if (!Files.exists(log)) {
            return out;
        }
        for (String l : Files.readAllLines(log, StandardCharsets.UTF_8)) {
            // msec request_time status request_length content_length "type" "key"
            String[] f = l.split(" ", 6);
            double end = Double.parseDouble(f[0]);
            long endMs = Math.round(end * 1000);
            long startMs = Math.round((end - Double.parseDouble(f[1])) * 1000);
            long reqLen = Long.parseLong(f[3]);
            long bodyLen = f[4].equals("-") ? -1 : Long.parseLong(f[4]);
            String rest = f[5];
            int mid = rest.indexOf("\" \"");
            String type = rest.substring(1, mid);
            String key = rest.substring(mid + 3, rest.length() - 1);
            long count = UploadSinkLog.countOf(key);
            String problem = null;
            if (!f[2].equals("200")) {
                problem = "status " + f[2] + " for " + key;
            } else if (bodyLen < 0 || reqLen < bodyLen) {
                problem = "body not read whole for " + key + ": request length " + reqLen + ", Content-Length " + f[4];
            } else if (!type.equals("application/json")) {
                problem = "Content-Type " + type + " for " + key;
            } else if (count < 0) {
                problem = "Idempotency-Key without a count: " + key;
            }
            out.add(new UploadSinkLog.Req(key.equals("-") || key.isEmpty() ? null : key, count, -1, Math.max(0, bodyLen), startMs, endMs, problem));
        }
        return out;
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroy();
            if (!process.waitFor(10, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, TimeUnit.SECONDS);
            }
        }
    }
}
