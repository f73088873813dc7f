package org.packetrelay.upload;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.camel.Exchange;
import org.packetrelay.spool.Spool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What became of each spool file (bean {@code uploadStatus}): the upload route's last step ({@link #finish}) and its
 * route configuration's failure step ({@link #failed}). It logs one line per file, keeps the counters of the metrics
 * and the summary line, the last result for {@code make status} ({@code <logs-dir>/.state/last-upload}) and health,
 * and writes {@code failed_uploads/<name>.error} for a permanent failure, which keeps the file from being retried
 * until a person moves it back.
 */
public class UploadStatus {
    private static final Logger LOG = LoggerFactory.getLogger(UploadStatus.class);
    /** Exchange property: rows of the file that got a 2xx, set when the whole file is uploaded. */
    public static final String ROWS_UPLOADED = "PacketRelayRowsUploaded";

    private String logsDir = "logs";
    private String roles = "sender";
    private final AtomicLong recordsUploaded = new AtomicLong();
    private final AtomicLong batchesPosted = new AtomicLong();
    private final AtomicLong batchesRetried = new AtomicLong();
    private final AtomicLong filesProcessed = new AtomicLong();
    private final AtomicLong filesFailed = new AtomicLong();
    private volatile String lastResult = "none yet";
    private volatile long failingSinceMillis;

    public void setLogsDir(String logsDir) {
        this.logsDir = logsDir;
    }

    public void setRoles(String roles) {
        this.roles = roles;
    }

    /** Whether this process uploads (the sender role). */
    public boolean isActive() {
        return roles != null && roles.contains("sender");
    }

    /**
     * The end of a file's upload: throws the attempt's failure, if any (so the file consumer moves the file to
     * failed_uploads/ and {@link #failed} records it); else removes its checkpoint and any old {@code .error}.
     */
    public void finish(Exchange exchange) throws Exception {
        FileProgress p = exchange.getProperty(FileProgress.PROPERTY, FileProgress.class);
        if (p == null) {
            throw new IllegalStateException("no upload progress on the exchange: the route must unmarshal with spoolFormat first");
        }
        p.close();
        if (p.getFailure() == null && !p.isEndOfFile()) {
            // nothing failed, yet the split ended early (a stop, an interrupt): the rest of the file is still to go
            p.fail(Integer.MAX_VALUE - 1, new UploadException(false, "the upload of " + p.getFile()
                                                                     + " ended before the end of the file, at row " + p.getRowsDone()));
        }
        count(p);
        if (p.getFailure() != null) {
            throw p.getFailure();
        }
        String name = p.getFile();
        new Checkpoints(Paths.get(logsDir, ".state")).delete(name);
        Files.deleteIfExists(Paths.get(logsDir, "failed_uploads", name + ".error"));
        exchange.setProperty(ROWS_UPLOADED, p.getRowsDone()); // for MoveFailures, should the move to processed/ fail
        filesProcessed.incrementAndGet();
        long rows = p.getRowsDone() - p.getResumedAt();
        result(Instant.now() + " " + name + " uploaded: " + p.getRowsDone() + " records", true);
        LOG.info("Uploaded {}: {} records in {} batches ({} retried{}{}) in {} s", name, p.getRecords(), p.getBatches(), p.getRetried(),
                p.getResumedAt() > 0 ? ", resumed at row " + p.getResumedAt() : "",
                rows != p.getRecords() ? ", " + (rows - p.getRecords()) + " of " + rows + " rows removed by route steps" : "",
                String.format("%.2f", p.getSeconds()));
    }

    /** The route configuration's step for a file whose upload failed: logs it, and writes .error when permanent. */
    public void failed(Exchange exchange) throws IOException {
        Exception caught = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        FileProgress p = exchange.getProperty(FileProgress.PROPERTY, FileProgress.class);
        String name = p != null ? p.getFile() : exchange.getIn().getHeader(Exchange.FILE_NAME_ONLY, String.class);
        if (p != null && p.getFailure() == null) {
            p.close();
            count(p); // not counted by finish: the failure came before it
        }
        UploadException e = caught instanceof UploadException u ? u
                : new UploadException(false, String.valueOf(caught));
        long done = p != null ? p.getRowsDone() : 0;
        filesFailed.incrementAndGet();
        result(Instant.now() + " " + name + " failed: " + e.getMessage(), false);
        if (e.isPermanent()) {
            Path errorFile = Paths.get(logsDir, "failed_uploads", name + ".error");
            Files.createDirectories(errorFile.getParent(), Spool.OWNER_ONLY_DIR);
            Checkpoints.write(errorFile, "file: " + name + "\ntime: " + Instant.now() + "\nrows uploaded before: " + done + "\nerror: "
                                         + e.getMessage() + "\n");
            LOG.error("Upload of {} failed permanently (not retried until moved back to pending_upload/): {}", name, e.getMessage());
        } else {
            LOG.warn("Upload of {} failed, will be retried from failed_uploads/ (resuming at row {}): {}", name, done, e.getMessage());
        }
    }

    private void count(FileProgress p) {
        batchesPosted.addAndGet(p.getBatches());
        batchesRetried.addAndGet(p.getRetried());
        recordsUploaded.addAndGet(p.getRecords());
    }

    /** Remembers the last result for the status command and health. */
    private void result(String text, boolean ok) {
        lastResult = text;
        if (ok) {
            failingSinceMillis = 0;
        } else if (failingSinceMillis == 0) {
            failingSinceMillis = System.currentTimeMillis();
        }
        try {
            Checkpoints.write(Paths.get(logsDir, ".state", "last-upload"), text + "\n");
        } catch (IOException e) {
            LOG.debug("cannot write last-upload: {}", e.toString());
        }
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
}
