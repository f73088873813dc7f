package org.packetrelay.upload;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.camel.Exchange;
import org.apache.camel.spi.ExceptionHandler;
import org.packetrelay.spool.Spool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The upload file consumers' {@code onCompletionExceptionHandler}: what happens when moving a file to processed/
 * or failed_uploads/ fails (an I/O error, a read-only or full disk). Camel deletes the {@code .ready} marker before
 * it moves the file, so on its own a failed move would leave the file in pending_upload/ without a marker, never
 * taken again. Here the file gets its marker back, and after a successful upload its checkpoint says that every
 * row got a 2xx: the next poll takes it again, posts nothing and retries the move. Nothing is deleted.
 */
public class MoveFailures implements ExceptionHandler {
    private static final Logger LOG = LoggerFactory.getLogger(MoveFailures.class);

    private String logsDir = "logs";
    private final AtomicLong failures = new AtomicLong();

    public void setLogsDir(String logsDir) {
        this.logsDir = logsDir;
    }

    /** Moves (or marker deletions) that failed. */
    public long getFailures() {
        return failures.get();
    }

    @Override
    public void handleException(Throwable exception) {
        handleException(null, null, exception);
    }

    @Override
    public void handleException(String message, Throwable exception) {
        handleException(message, null, exception);
    }

    @Override
    public void handleException(String message, Exchange exchange, Throwable exception) {
        failures.incrementAndGet();
        String path = exchange == null ? null : exchange.getIn().getHeader(Exchange.FILE_PATH, String.class);
        if (path == null || !Files.exists(Paths.get(path))) {
            LOG.error("{}: {}", message != null ? message : "File completion failed", exception.getMessage());
            return;
        }
        Path file = Paths.get(path);
        String name = file.getFileName().toString();
        Path marker = file.resolveSibling(name + ".ready");
        try {
            Long rows = exchange.getProperty(UploadStatus.ROWS_UPLOADED, Long.class);
            if (rows != null && !exchange.isFailed()) {
                new Checkpoints(Paths.get(logsDir, ".state")).save(name, rows, 0); // every row: no batch left
            }
            // pending_upload/ is read with done files; failed_uploads/ is retried on its own timer
            boolean needsMarker = file.getParent() != null && "pending_upload".equals(String.valueOf(file.getParent().getFileName()));
            if (needsMarker && !Files.exists(marker)) {
                Files.createFile(marker, Spool.OWNER_ONLY);
            }
            LOG.error("{} ({}): {}; the file stays in {} and is taken again at the next poll", message, name,
                    exception.getMessage(), file.getParent());
        } catch (Exception e) {
            LOG.error("{} ({}): {}; and it cannot be marked for another try ({}): it stays in {} without a marker until "
                      + "the sniffer's start-up recovery or a person adds {}", message, name, exception.getMessage(), e.toString(),
                    file.getParent(), marker.getFileName());
        }
    }
}
