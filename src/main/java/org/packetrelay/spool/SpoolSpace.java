package org.packetrelay.spool;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whether the sniffer may write more to the spool: the spool (pending_upload/ and failed_uploads/) stays under
 * {@code sniffer.max-spool-mb} and the disk keeps {@code sniffer.min-free-mb} free. Both are measured at most once
 * a second (a folder scan and the file store's usable space) and advanced by what the spool writes in between.
 * When the disk is short and pruning is on ({@code sender.prune-after-days} above 0), the oldest files of
 * processed/ (already uploaded) are deleted before any packet is dropped. Also keeps the dropping episode: one
 * warning when it starts, one a minute while it lasts, one when writing resumes.
 */
final class SpoolSpace {
    private static final Logger LOG = LoggerFactory.getLogger(Spool.class);
    private static final long MB = 1024L * 1024;
    private static final long RECHECK_NANOS = 1_000_000_000L;
    private static final long LOG_EVERY_NANOS = 60_000_000_000L;

    private final Path logs;
    private final long maxSpoolBytes;
    private final long minFreeBytes;
    private final boolean pruneProcessed;
    private long checkedAt;
    private boolean checked;
    private long spoolBytes;
    private long usableBytes = Long.MAX_VALUE;
    private FileStore store;

    private volatile String fullReason;
    private long episodeDropped;
    private long episodeStarted;
    private long lastLog;

    SpoolSpace(Path logs, long maxSpoolMb, long minFreeMb, boolean pruneProcessed) {
        this.logs = logs;
        this.maxSpoolBytes = Math.max(0, maxSpoolMb) * MB;
        this.minFreeBytes = Math.max(0, minFreeMb) * MB;
        this.pruneProcessed = pruneProcessed;
    }

    /** Null when {@code bytes} more may be written now, else the reason why not. */
    String refuse(long bytes) {
        long now = System.nanoTime();
        if (!checked || now - checkedAt > RECHECK_NANOS) {
            measure(now);
        }
        String why = reason(bytes);
        if (why != null && pruneProcessed && usableBytes - bytes - freeMargin() < minFreeBytes && pruneProcessed(bytes)) {
            measure(System.nanoTime());
            why = reason(bytes);
        }
        return why;
    }

    private String reason(long bytes) {
        // once dropping, resume only with a margin (1 MiB or 1 %), so that batches of different sizes at the limit
        // do not flip between dropping and writing
        long capMargin = fullReason == null ? 0 : Math.max(MB, maxSpoolBytes / 100);
        long freeMargin = freeMargin();
        if (maxSpoolBytes > 0 && spoolBytes + bytes + capMargin > maxSpoolBytes) {
            return String.format("the spool (pending_upload/ and failed_uploads/) holds %.1f MB, sniffer.max-spool-mb is %d",
                    spoolBytes / (double) MB, maxSpoolBytes / MB);
        }
        if (usableBytes - bytes - freeMargin < minFreeBytes) {
            return String.format("the disk of %s has %.1f MB free, sniffer.min-free-mb is %d", logs,
                    Math.max(0, usableBytes) / (double) MB, minFreeBytes / MB);
        }
        return null;
    }

    private long freeMargin() {
        return fullReason == null ? 0 : Math.max(MB, minFreeBytes / 100);
    }

    /** Bytes written to the spool since the last measurement. */
    void wrote(long bytes) {
        spoolBytes += bytes;
        usableBytes -= bytes;
    }

    /** A write failed (e.g. the disk is full): the next check measures again and the episode is a dropping one. */
    void writeFailed() {
        checked = false;
    }

    private void measure(long now) {
        checked = true;
        checkedAt = now;
        if (maxSpoolBytes > 0) {
            spoolBytes = folderBytes(logs.resolve("pending_upload")) + folderBytes(logs.resolve("failed_uploads"));
        }
        if (minFreeBytes > 0 || pruneProcessed) {
            try {
                if (store == null) {
                    store = Files.getFileStore(logs);
                }
                usableBytes = store.getUsableSpace();
            } catch (IOException e) {
                usableBytes = Long.MAX_VALUE; // unknown: let the write itself tell
            }
        }
    }

    private static long folderBytes(Path dir) {
        long n = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path p : files) {
                try {
                    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
                    if (a.isRegularFile()) {
                        n += a.size();
                    }
                } catch (IOException e) {
                    // vanished meanwhile (uploaded and moved)
                }
            }
        } catch (IOException e) {
            // no folder yet
        }
        return n;
    }

    /** Deletes the oldest files of processed/ until {@code bytes} fit with the free-space margin; true when any went. */
    private boolean pruneProcessed(long bytes) {
        Path dir = logs.resolve("processed");
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*.csv")) {
            s.forEach(files::add);
        } catch (IOException e) {
            return false;
        }
        files.sort(Comparator.comparing(p -> p.getFileName().toString())); // names sort in capture order
        long freed = 0;
        int n = 0;
        long want = minFreeBytes + bytes + Math.max(16 * MB, minFreeBytes / 4) - usableBytes;
        for (Path p : files) {
            if (freed >= want) {
                break;
            }
            try {
                long size = Files.size(p);
                Files.delete(p);
                freed += size;
                n++;
            } catch (IOException e) {
                LOG.debug("cannot prune {}: {}", p, e.toString());
            }
        }
        if (n > 0) {
            LOG.warn("Disk nearly full: deleted the {} oldest files ({} MB) of {} (already uploaded) to keep capturing", n,
                    freed / MB, dir);
        }
        return n > 0;
    }

    /** Counts packets that could not be written and logs once a minute while that goes on. */
    void dropped(long packets, String reason) {
        long now = System.nanoTime();
        if (fullReason == null) {
            fullReason = reason;
            episodeStarted = now;
            episodeDropped = 0;
            lastLog = now - LOG_EVERY_NANOS;
        }
        episodeDropped += packets;
        if (now - lastLog >= LOG_EVERY_NANOS) {
            if (lastLog == episodeStarted - LOG_EVERY_NANOS) {
                LOG.warn("Spool full: {}; dropping captured packets until there is room (counted in PacketsDroppedSpoolFull)", reason);
            } else {
                LOG.warn("Spool still full: {}; {} captured packets dropped in the last {} s", reason, episodeDropped,
                        (now - episodeStarted) / 1_000_000_000L);
            }
            lastLog = now;
        }
        fullReason = reason;
    }

    /** Called after a successful write: ends a dropping episode. */
    void wroteOk() {
        if (fullReason != null) {
            LOG.warn("Spool has room again: writing resumed after dropping {} packets in {} s ({})", episodeDropped,
                    (System.nanoTime() - episodeStarted) / 1_000_000_000L, fullReason);
            fullReason = null;
        }
    }

    /** Why packets are being dropped right now, or null. */
    String fullReason() {
        return fullReason;
    }
}
