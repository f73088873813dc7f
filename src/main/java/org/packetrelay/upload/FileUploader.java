package org.packetrelay.upload;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.http.base.HttpOperationFailedException;
import org.apache.camel.support.DefaultExchange;
import org.packetrelay.spool.Spool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Uploads one spool file: streams its rows, converts each batch of {@code batchSize} rows to typed JSON (straight
 * from the CSV bytes, {@link SpoolTranscoder}) and POSTs it through the route {@code direct:post-batch} (camel-http
 * under the redelivery policy of the route configuration {@code upload-errors}), with up to {@code parallelBatches}
 * batches of the file in flight over keep-alive connections.
 *
 * <p>No record lost, none sent twice: every batch carries an {@code Idempotency-Key} made of the host id, the
 * file name, its first row and its row count, identical on every retry, after a restart and from
 * failed_uploads/. Progress is checkpointed per file (see {@link Checkpoints}): a batch counts as done only
 * when it and every batch before it got a 2xx, and the next attempt resumes after the last such batch.
 *
 * <p>A failure ends the attempt: transient ones (connection errors, timeouts, 408, 429, 5xx, after the
 * redeliveries) and permanent ones (other 4xx; a CSV that cannot be read) are thrown as
 * {@link UploadException} so the file consumer moves the file to failed_uploads/. A permanent failure also
 * writes {@code failed_uploads/<name>.error}, which keeps the file from being retried automatically. A 413
 * splits the batch in halves before it counts as a failure.
 */
public class FileUploader implements Processor, CamelContextAware {
    private static final Logger LOG = LoggerFactory.getLogger(FileUploader.class);
    /** A batch buffer that grew beyond this (very long rows) is not kept for the next file. */
    private static final int KEEP_BUFFER_BYTES = 8 << 20;
    private static FileLock processLock;

    private CamelContext camelContext;
    private ProducerTemplate template;
    private String logsDir = "logs";
    private String roles = "sender";
    private int batchSize = 500;
    private int parallelBatches = 4;
    private String authToken = "";
    private String authTokenFile = "";
    private String hostId = "";
    /** sender.url is https://: a connection closed without a response may be a refused client certificate */
    private boolean https;
    private static final String POST_ROUTE = "direct:post-batch";
    private int pruneAfterDays;
    private Checkpoints checkpoints;
    /** Exchange property: rows of the file that got a 2xx, set when the whole file is uploaded. */
    public static final String ROWS_UPLOADED = "PacketRelayRowsUploaded";
    private final AtomicLong recordsUploaded = new AtomicLong();
    private final AtomicLong batchesPosted = new AtomicLong();
    private final AtomicLong batchesRetried = new AtomicLong();
    private final AtomicLong filesProcessed = new AtomicLong();
    private final AtomicLong filesFailed = new AtomicLong();
    private volatile String lastResult = "none yet";
    private volatile long failingSinceMillis;
    /** The batch buffer of the last file, for the next one (files may be uploaded on two threads at once). */
    private final AtomicReference<SpoolTranscoder.Output> spareBuffer = new AtomicReference<>();

    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
    }

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }

    public void setLogsDir(String logsDir) {
        this.logsDir = logsDir;
    }

    public void setRoles(String roles) {
        this.roles = roles;
    }

    public void setBatchSize(int batchSize) {
        this.batchSize = batchSize;
    }

    public void setParallelBatches(int parallelBatches) {
        this.parallelBatches = Math.max(1, parallelBatches);
    }

    /** The bearer token; never logged. */
    public void setAuthToken(String authToken) {
        this.authToken = authToken == null ? "" : authToken.trim();
    }

    /** A file holding the token (e.g. a mounted secret), read at start when {@code authToken} is empty. */
    public void setAuthTokenFile(String authTokenFile) {
        this.authTokenFile = authTokenFile == null ? "" : authTokenFile.trim();
    }

    public void setUrl(String url) {
        this.https = url != null && url.trim().startsWith("https:");
    }

    public void setHostId(String hostId) {
        this.hostId = hostId == null ? "" : hostId.trim();
    }

    /** Files in processed/ and failed_uploads/ older than this many days are deleted; 0: never. */
    public void setPruneAfterDays(int pruneAfterDays) {
        this.pruneAfterDays = pruneAfterDays;
    }

    public long getRecordsUploaded() {
        return recordsUploaded.get();
    }

    public long getBatchesPosted() {
        return batchesPosted.get();
    }

    public long getBatchesRetried() {
        return batchesRetried.get();
    }

    public long getFilesProcessed() {
        return filesProcessed.get();
    }

    public long getFilesFailed() {
        return filesFailed.get();
    }

    public String getLastResult() {
        return lastResult;
    }

    /** When the current run of failed uploads began; 0 when the last upload succeeded. */
    public long getFailingSinceMillis() {
        return failingSinceMillis;
    }

    public boolean isActive() {
        return checkpoints != null;
    }

    /** Remembers the last result for the status command ({@code <logs-dir>/.state/last-upload}). */
    private void result(String text, boolean ok) {
        lastResult = text;
        if (ok) {
            failingSinceMillis = 0;
        } else if (failingSinceMillis == 0) {
            failingSinceMillis = System.currentTimeMillis();
        }
        try {
            Path f = Paths.get(logsDir, ".state", "last-upload");
            Path tmp = f.resolveSibling("last-upload.tmp");
            Files.writeString(tmp, text + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            LOG.debug("cannot write last-upload: {}", e.toString());
        }
    }

    /** Takes the sender lock of the spool folder and prepares the state folder. */
    public void start() throws IOException {
        if (roles == null || !roles.contains("sender")) {
            return;
        }
        if (authToken.isEmpty() && !authTokenFile.isEmpty()) {
            try {
                authToken = Files.readString(Paths.get(authTokenFile), StandardCharsets.UTF_8).trim();
            } catch (IOException e) {
                throw new IllegalStateException("cannot read sender.auth-token-file " + authTokenFile + ": " + e.getMessage());
            }
        }
        Path logs = Paths.get(logsDir);
        // folders it creates are owner-only like the spool files (existing ones are left as they are)
        Files.createDirectories(logs.resolve("pending_upload"), Spool.OWNER_ONLY_DIR);
        Files.createDirectories(logs.resolve("processed"), Spool.OWNER_ONLY_DIR);
        Files.createDirectories(logs.resolve("failed_uploads"), Spool.OWNER_ONLY_DIR);
        lockSpool(logs);
        Files.createDirectories(logs.resolve(".state"), Spool.OWNER_ONLY_DIR);
        checkpoints = new Checkpoints(logs.resolve(".state"));
        if (hostId.isEmpty()) {
            hostId = defaultHostId();
        }
        template = camelContext.createProducerTemplate();
    }

    public void stop() throws Exception {
        if (template != null) {
            template.stop();
        }
    }

    /**
     * Only one sender per spool folder: an exclusive lock on {@code <logs-dir>/.sender.lock}, held until the
     * process ends. Another process that holds it makes this one fail with a clear message.
     */
    public static synchronized void lockSpool(Path logs) throws IOException {
        if (processLock != null && processLock.isValid()) {
            return;
        }
        Files.createDirectories(logs, Spool.OWNER_ONLY_DIR);
        Path lockFile = logs.resolve(".sender.lock");
        RandomAccessFile raf = new RandomAccessFile(lockFile.toFile(), "rw");
        FileLock lock = raf.getChannel().tryLock();
        if (lock == null) {
            raf.close();
            throw new IllegalStateException("another sender is already uploading from " + logs.toAbsolutePath()
                                            + " (it holds " + lockFile + "); stop it or use another relay.logs-dir");
        }
        raf.setLength(0);
        raf.write((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII));
        processLock = lock;
    }

    private static String defaultHostId() {
        try {
            Path mid = Paths.get("/etc/machine-id");
            if (Files.isReadable(mid)) {
                String id = Files.readString(mid).trim();
                if (!id.isEmpty()) {
                    return id;
                }
            }
        } catch (IOException e) {
            // fall through
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown-host";
        }
    }

    /**
     * Deletes what is older than {@code pruneAfterDays} in processed/ (uploaded files only: failed_uploads/ holds
     * records not yet accounted for and is never pruned; the spool cap bounds it).
     */
    public void prune() throws IOException {
        if (pruneAfterDays <= 0) {
            return;
        }
        long cutoff = System.currentTimeMillis() - pruneAfterDays * 86_400_000L;
        for (String folder : new String[] { "processed" }) {
            Path dir = Paths.get(logsDir, folder);
            if (!Files.isDirectory(dir)) {
                continue;
            }
            int n = 0;
            try (var files = Files.newDirectoryStream(dir)) {
                for (Path p : files) {
                    if (Files.isRegularFile(p) && Files.getLastModifiedTime(p).toMillis() < cutoff) {
                        Files.deleteIfExists(p);
                        n++;
                    }
                }
            }
            if (n > 0) {
                LOG.info("Pruned {} files older than {} days from {}", n, pruneAfterDays, dir);
            }
        }
    }

    /** Records that all {@code rows} of file {@code name} got a 2xx (its move to processed/ failed and is retried). */
    public void checkpointUploaded(String name, long rows) throws IOException {
        checkpoints.save(name, rows);
    }

    /** The Idempotency-Key of {@code count} rows from row {@code first} of file {@code name}. */
    public String key(String name, long first, int count) {
        return hostId + ":" + name + ":" + first + "+" + count;
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        Path file = Paths.get(exchange.getIn().getHeader(Exchange.FILE_PATH, String.class));
        String name = file.getFileName().toString();
        Path errorFile = Paths.get(logsDir, "failed_uploads", name + ".error");
        long started = System.nanoTime();
        long resumeAt = checkpoints.load(name);
        Attempt a = new Attempt(name, resumeAt);
        try {
            a.run(file);
        } catch (UploadException e) {
            filesFailed.incrementAndGet();
            result(Instant.now() + " " + name + " failed: " + e.getMessage(), false);
            if (e.isPermanent()) {
                Files.createDirectories(errorFile.getParent(), Spool.OWNER_ONLY_DIR);
                Path tmp = errorFile.resolveSibling(errorFile.getFileName() + ".tmp");
                Files.writeString(tmp, "file: " + name + "\ntime: " + Instant.now() + "\nrows uploaded before: "
                                       + a.done + "\nerror: " + e.getMessage() + "\n", StandardCharsets.UTF_8);
                Files.move(tmp, errorFile, java.nio.file.StandardCopyOption.REPLACE_EXISTING,
                        java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                LOG.error("Upload of {} failed permanently (not retried until moved back to pending_upload/): {}", name, e.getMessage());
            } else {
                LOG.warn("Upload of {} failed, will be retried from failed_uploads/ (resuming at row {}): {}", name, a.done, e.getMessage());
            }
            throw e;
        }
        checkpoints.delete(name);
        exchange.setProperty(ROWS_UPLOADED, a.done); // for MoveFailures, should the move to processed/ fail
        Files.deleteIfExists(errorFile);
        filesProcessed.incrementAndGet();
        double secs = (System.nanoTime() - started) / 1e9;
        result(Instant.now() + " " + name + " uploaded: " + a.done + " records", true);
        LOG.info("Uploaded {}: {} records in {} batches ({} retried{}) in {} s", name, a.done - resumeAt, a.batches,
                a.retried, resumeAt > 0 ? ", resumed at row " + resumeAt : "", String.format("%.2f", secs));
    }

    /** One attempt at one file. */
    private final class Attempt {
        final String name;
        long done;
        int batches;
        int retried;
        private final Deque<InFlight> inFlight = new ArrayDeque<>();
        private UploadException failure;

        Attempt(String name, long done) {
            this.name = name;
            this.done = done;
        }

        void run(Path file) throws UploadException, IOException {
            SpoolTranscoder.Output out = spareBuffer.getAndSet(null);
            if (out == null) {
                // about 850 bytes of JSON per row of the sniffer's: one batch fits, it grows for longer rows
                out = new SpoolTranscoder.Output((int) Math.min(KEEP_BUFFER_BYTES, 1024L * batchSize + 16));
            }
            int[] offsets = new int[batchSize + 1];
            try (SpoolTranscoder reader = new SpoolTranscoder(file)) {
                reader.skip(done);
                long next = done;
                boolean more = true;
                while (more && failure == null) {
                    // [ + rows joined by , + ]; offsets[i]: where row i starts, offsets[count]: after the last row + 1
                    out.reset();
                    out.put((byte) '[');
                    int count = 0;
                    while (count < batchSize) {
                        int mark = out.size();
                        if (count > 0) {
                            out.put((byte) ',');
                        }
                        offsets[count] = out.size();
                        if (!reader.next(out)) {
                            out.truncate(mark);
                            more = false;
                            break;
                        }
                        count++;
                    }
                    if (count == 0) {
                        break;
                    }
                    offsets[count] = out.size() + 1;
                    out.put((byte) ']');
                    byte[] json = out.toByteArray();
                    inFlight.add(new InFlight(next, count, json, Arrays.copyOf(offsets, count + 1), post(json, key(name, next, count))));
                    next += count;
                    while (inFlight.size() >= parallelBatches && failure == null) {
                        complete(inFlight.poll());
                    }
                }
            } catch (SpoolFormatException e) {
                fail(e);
            } finally {
                while (!inFlight.isEmpty()) {
                    complete(inFlight.poll());
                }
                if (out.capacity() <= KEEP_BUFFER_BYTES) {
                    spareBuffer.set(out);
                }
            }
            if (failure != null) {
                throw failure;
            }
        }

        private void fail(UploadException e) {
            if (failure == null) {
                failure = e;
            }
        }

        /** Waits for the oldest batch in flight; on success moves the checkpoint past it. */
        private void complete(InFlight b) {
            Exchange ex = b.future.join();
            batches++;
            batchesPosted.incrementAndGet();
            Integer redeliveries = ex.getIn().getHeader(Exchange.REDELIVERY_COUNTER, Integer.class);
            if (redeliveries != null && redeliveries > 0) {
                retried++;
                batchesRetried.incrementAndGet();
            }
            Exception e = ex.getException();
            if (e == null || failure != null) {
                if (e == null && failure == null) {
                    advance(b);
                }
                return;
            }
            HttpOperationFailedException http = ex.getException(HttpOperationFailedException.class);
            if (http != null && http.getStatusCode() == 413) {
                try {
                    postSplit(b, 0, b.count);
                    advance(b);
                } catch (UploadException split) {
                    fail(split);
                }
                return;
            }
            fail(classify(ex, b.first / Math.max(1, batchSize), https));
        }

        private void advance(InFlight b) {
            done = b.first + b.count;
            recordsUploaded.addAndGet(b.count);
            try {
                checkpoints.save(name, done);
            } catch (IOException io) {
                fail(new UploadException(false, "cannot save the checkpoint: " + io));
            }
        }

        /**
         * 413: post the two halves of rows [from, to) of batch {@code b} one after the other, each split again on a
         * 413, down to one record; a half's body is its rows' bytes copied from the batch's body.
         */
        private void postSplit(InFlight b, int from, int to) throws UploadException {
            int n = to - from;
            int mid = from + n / 2;
            for (int[] half : new int[][] { { from, mid }, { mid, to } }) {
                int count = half[1] - half[0];
                if (count == 0) {
                    continue;
                }
                long start = b.first + half[0];
                Exchange ex = post(b.slice(half[0], half[1]), key(name, start, count)).join();
                batchesPosted.incrementAndGet();
                HttpOperationFailedException http = ex.getException(HttpOperationFailedException.class);
                if (http != null && http.getStatusCode() == 413 && count > 1) {
                    postSplit(b, half[0], half[1]);
                } else if (ex.getException() != null) {
                    throw classify(ex, b.first / Math.max(1, batchSize), https);
                }
            }
        }
    }

    /**
     * A batch posted: {@code count} rows from row {@code first}; its body {@code json} holds row i at
     * [offsets[i], offsets[i + 1] - 1), the rows separated by one comma.
     */
    private record InFlight(long first, int count, byte[] json, int[] offsets, CompletableFuture<Exchange> future) {
        /** The body of rows [from, to): [ + their bytes + ]. */
        byte[] slice(int from, int to) {
            int s = offsets[from];
            int len = offsets[to] - 1 - s;
            byte[] body = new byte[len + 2];
            body[0] = '[';
            System.arraycopy(json, s, body, 1, len);
            body[len + 1] = ']';
            return body;
        }
    }

    private CompletableFuture<Exchange> post(byte[] json, String idempotencyKey) {
        Exchange ex = new DefaultExchange(camelContext);
        ex.getIn().setBody(json);
        ex.getIn().setHeader(Exchange.HTTP_METHOD, "POST");
        ex.getIn().setHeader(Exchange.CONTENT_TYPE, "application/json");
        ex.getIn().setHeader("Idempotency-Key", idempotencyKey);
        if (!authToken.isEmpty()) {
            ex.getIn().setHeader("Authorization", "Bearer " + authToken);
        }
        return template.asyncSend(POST_ROUTE, ex);
    }

    /**
     * Transient: connection errors, timeouts, TLS failures, 408, 429, 5xx. Permanent: any other 4xx (and 3xx). A TLS
     * failure says so and names the setting to look at.
     */
    static UploadException classify(Exchange ex, long batchIndex, boolean https) {
        Exception e = ex.getException();
        HttpOperationFailedException http = ex.getException(HttpOperationFailedException.class);
        if (http != null) {
            int s = http.getStatusCode();
            String body = http.getResponseBody() == null ? "" : http.getResponseBody();
            body = body.length() > 500 ? body.substring(0, 500) + "..." : body;
            String msg = "HTTP " + s + " on batch " + batchIndex + ": " + body.replaceAll("\\s+", " ").strip();
            boolean transientStatus = s == 408 || s == 429 || s >= 500;
            return new UploadException(!transientStatus, msg);
        }
        Throwable root = e;
        javax.net.ssl.SSLException tls = null;
        while (true) {
            if (tls == null && root instanceof javax.net.ssl.SSLException ssl) {
                tls = ssl;
            }
            if (root.getCause() == null || root.getCause() == root) {
                break;
            }
            root = root.getCause();
        }
        if (tls != null) {
            return new UploadException(false, "batch " + batchIndex + ": TLS/certificate problem with the server (" + tlsHint(tls, root)
                                              + "): " + tls.getClass().getSimpleName() + ": " + tls.getMessage());
        }
        String hint = "";
        if (https && root instanceof java.net.SocketException && !(root instanceof java.net.ConnectException)
            && !(root instanceof java.net.NoRouteToHostException)) {
            // TLS 1.3: the client's handshake is done before the server checks the client certificate; a server that
            // refuses it closes the connection while the request is being written
            hint = " (the server closed the HTTPS connection: a server that requires a TLS client certificate does so when it"
                   + " gets none or one it does not trust; see sender.tls.key-store)";
        }
        return new UploadException(false, "batch " + batchIndex + ": " + root.getClass().getSimpleName() + ": " + root.getMessage() + hint);
    }

    /** What a TLS failure most likely means, naming the setting to look at. */
    private static String tlsHint(javax.net.ssl.SSLException tls, Throwable root) {
        String m = String.valueOf(tls.getMessage());
        if (tls instanceof javax.net.ssl.SSLPeerUnverifiedException) {
            return "its certificate does not name the host of sender.url; see sender.tls.verify-hostname";
        }
        if (root instanceof java.security.cert.CertificateException || root instanceof java.security.cert.CertPathBuilderException
            || root instanceof java.security.cert.CertPathValidatorException) {
            return "its certificate is not trusted; see sender.tls.trust-store";
        }
        if (m.contains("bad_certificate") || m.contains("certificate_required") || m.contains("unknown_ca")
            || m.contains("certificate_unknown") || m.contains("access_denied")) {
            return "it refused this client's certificate or got none; see sender.tls.key-store";
        }
        return "handshake failed";
    }
}
