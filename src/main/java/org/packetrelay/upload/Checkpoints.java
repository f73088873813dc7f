package org.packetrelay.upload;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import org.packetrelay.spool.Spool;

/**
 * Upload progress per spool file, kept in {@code <logs-dir>/.state/<file>.progress}: how many leading rows got a
 * 2xx. Keyed by file name, so it follows a file from pending_upload/ to failed_uploads/ and back. Written as a
 * temp file and renamed, so it is always whole; after a power cut it may be older than the truth, which only
 * means some batches are posted again with the same Idempotency-Key.
 */
public final class Checkpoints {
    private final Path dir;

    public Checkpoints(Path stateDir) {
        this.dir = stateDir;
    }

    private Path file(String name) {
        return dir.resolve(name + ".progress");
    }

    public long load(String name) throws IOException {
        Path f = file(name);
        if (!Files.exists(f)) {
            return 0;
        }
        String s = Files.readString(f, StandardCharsets.US_ASCII).trim();
        try {
            return Long.parseLong(s.startsWith("rows=") ? s.substring(5) : s);
        } catch (NumberFormatException e) {
            throw new IOException("unreadable checkpoint " + f + ": '" + s + "'");
        }
    }

    public void save(String name, long rowsDone) throws IOException {
        Files.createDirectories(dir, Spool.OWNER_ONLY_DIR);
        write(file(name), "rows=" + rowsDone + "\n");
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
