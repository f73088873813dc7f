package org.packetrelay.upload;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes files older than {@code sender.prune-after-days} from processed/ (bean {@code spoolPruner}, called by the
 * route {@code prune}); 0 turns it off. Only uploaded files: failed_uploads/ holds records not yet accounted for and
 * is never pruned (the spool cap bounds it).
 */
public class SpoolPruner {
    private static final Logger LOG = LoggerFactory.getLogger(SpoolPruner.class);

    private String logsDir = "logs";
    private int pruneAfterDays;

    public void setLogsDir(String logsDir) {
        this.logsDir = logsDir;
    }

    public void setPruneAfterDays(int pruneAfterDays) {
        this.pruneAfterDays = pruneAfterDays;
    }

    public void prune() throws IOException {
        if (pruneAfterDays <= 0) {
            return;
        }
        long cutoff = System.currentTimeMillis() - pruneAfterDays * 86_400_000L;
        Path dir = Paths.get(logsDir, "processed");
        if (!Files.isDirectory(dir)) {
            return;
        }
        int n = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
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
