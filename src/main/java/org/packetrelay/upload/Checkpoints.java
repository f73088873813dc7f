package org.packetrelay.upload;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import org.packetrelay.spool.Spool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Upload progress per spool file, kept in {@code <logs-dir>/.state/<file>.progress}: how many leading rows got a
 * 2xx, and the batch size the file was first posted with ({@code rows=N}, {@code batch=B}; files of earlier versions
 * have only the rows). Keyed by file name, so it follows a file from pending_upload/ to failed_uploads/ and back.
 * Written as a temp file and renamed, so it is always whole; after a power cut it may be older than the truth (or, on
 * some file systems, empty), which only means some batches are posted again with the same Idempotency-Key.
 */
public final class Checkpoints {
    private static final Logger LOG = LoggerFactory.getLogger(Checkpoints.class);

    /** Rows done, and the batch size of the file's keys (0: not recorded). */
    public record Checkpoint(long rows, int batchSize) {
    }

    private final Path dir;

    public Checkpoints(Path stateDir) {
        this.dir = stateDir;
    }

    private Path file(String name) {
        return dir.resolve(name + ".progress");
    }

    /** The file's checkpoint, or null when it has none. One that cannot be read counts as row 0 (see the class). */
    public Checkpoint load(String name) throws IOException {
        Path f = file(name);
        if (!Files.exists(f)) {
            return null;
        }
        String text = Files.readString(f, StandardCharsets.US_ASCII);
        long rows = -1;
        int batch = 0;
        try {
            for (String line : text.split("\n")) {
                line = line.trim();
                if (line.startsWith("batch=")) {
                    batch = Integer.parseInt(line.substring(6));
                } else if (!line.isEmpty()) {
                    rows = Long.parseLong(line.startsWith("rows=") ? line.substring(5) : line);
                }
            }
        } catch (NumberFormatException e) {
            rows = -1;
        }
        if (rows < 0 || batch < 0) {
            // re-posting from row 0 is safe (the keys are the same) where refusing would hold the file back for good
            LOG.warn("Unreadable checkpoint {} ('{}'): uploading {} from its first row; rows already stored are answered as "
                     + "duplicates", f, text.trim(), name);
            return new Checkpoint(0, 0);
        }
        return new Checkpoint(rows, batch);
    }

    public void save(String name, long rowsDone, int batchSize) throws IOException {
        Files.createDirectories(dir, Spool.OWNER_ONLY_DIR);
        write(file(name), "rows=" + rowsDone + "\n" + (batchSize > 0 ? "batch=" + batchSize + "\n" : ""));
    }

    /** Replaces {@code target} with {@code text} (UTF-8) as a whole: a temp file, owner-only like the spool, renamed. */
    static void write(Path target, String text) throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
        Files.deleteIfExists(tmp);
        Files.createFile(tmp, Spool.OWNER_ONLY);
        Files.writeString(tmp, text, StandardCharsets.UTF_8);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    public void delete(String name) throws IOException {
        Files.deleteIfExists(file(name));
    }
}
