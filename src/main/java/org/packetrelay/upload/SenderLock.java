package org.packetrelay.upload;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import org.packetrelay.spool.Spool;

/**
 * One sender per spool folder (bean {@code senderLock}): an exclusive lock on {@code <logs-dir>/.sender.lock}, held
 * until the process ends; another process that holds it makes this one fail with a clear message. At start it also
 * makes the folders the upload routes use, owner-only like the spool files (existing ones are left as they are).
 */
public class SenderLock {
    private static FileLock processLock;

    private String logsDir = "logs";
    private String roles = "sender";

    public void setLogsDir(String logsDir) {
        this.logsDir = logsDir;
    }

    public void setRoles(String roles) {
        this.roles = roles;
    }

    public void start() throws IOException {
        if (roles == null || !roles.contains("sender")) {
            return;
        }
        Path logs = Paths.get(logsDir);
        for (String folder : new String[] { "pending_upload", "processed", "failed_uploads" }) {
            Files.createDirectories(logs.resolve(folder), Spool.OWNER_ONLY_DIR);
        }
        lock(logs);
        Files.createDirectories(logs.resolve(".state"), Spool.OWNER_ONLY_DIR);
    }

    /** Takes the lock of spool folder {@code logs} for this process (again: a no-op). */
    public static synchronized void lock(Path logs) throws IOException {
        if (processLock != null && processLock.isValid()) {
            return;
        }
        Files.createDirectories(logs, Spool.OWNER_ONLY_DIR);
        Path lockFile = logs.resolve(".sender.lock");
        if (!Files.exists(lockFile)) {
            Files.createFile(lockFile, Spool.OWNER_ONLY);
        }
        RandomAccessFile raf = new RandomAccessFile(lockFile.toFile(), "rw");
        FileLock lock = raf.getChannel().tryLock();
        if (lock == null) {
            raf.close();
            throw new IllegalStateException("another sender is already uploading from " + logs.toAbsolutePath()
                                            + " (it holds " + lockFile + "); stop it or use another relay.logs-dir");
        }
        processLock = lock;
        try {
            raf.setLength(0);
            raf.write((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            // the pid is for people only; the lock holds without it (on a full disk, say)
        }
    }
}
