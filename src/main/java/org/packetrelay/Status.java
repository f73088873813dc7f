package org.packetrelay;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code java -jar packet-relay.jar status} (or {@code make status}): the spool counts — pending, processed,
 * failed with the reason of each permanent failure — and the last upload result, read from the spool folder.
 */
final class Status {
    private Status() {
    }

    static int print(Settings settings, PrintStream out) {
        Path logs = Paths.get(settings.get("relay.logs-dir"));
        if (!Files.isDirectory(logs)) {
            out.println("No spool folder at " + logs.toAbsolutePath() + " (nothing captured yet, or relay.logs-dir differs)");
            return 1;
        }
        try {
            out.println("Spool " + logs.toAbsolutePath());
            long[] pending = count(logs.resolve("pending_upload"));
            long ready = 0;
            for (Path p : csvFiles(logs.resolve("pending_upload"))) {
                if (Files.exists(p.resolveSibling(p.getFileName() + ".ready"))) {
                    ready++;
                }
            }
            out.printf("  pending_upload/  %6d files %12d bytes (%d ready for upload)%n", pending[0], pending[1], ready);
            long[] processed = count(logs.resolve("processed"));
            out.printf("  processed/       %6d files %12d bytes%n", processed[0], processed[1]);
            Path failedDir = logs.resolve("failed_uploads");
            long[] failed = count(failedDir);
            List<Path> failedFiles = csvFiles(failedDir);
            long permanent = failedFiles.stream().filter(p -> Files.exists(p.resolveSibling(p.getFileName() + ".error"))).count();
            out.printf("  failed_uploads/  %6d files %12d bytes (%d permanent, %d retried every %s s)%n", failed[0], failed[1],
                    permanent, failed[0] - permanent, settings.get("sender.failed-retry-interval"));
            for (Path p : failedFiles) {
                Path err = p.resolveSibling(p.getFileName() + ".error");
                if (Files.exists(err)) {
                    String reason = Files.readAllLines(err, StandardCharsets.UTF_8).stream()
                            .filter(l -> l.startsWith("error: ")).map(l -> l.substring(7)).findFirst().orElse("?");
                    out.println("    " + p.getFileName() + ": " + reason);
                }
            }
            Path last = logs.resolve(".state/last-upload");
            out.println("Last upload: " + (Files.exists(last) ? Files.readString(last, StandardCharsets.UTF_8).strip() : "none yet"));
            return 0;
        } catch (IOException e) {
            out.println("Cannot read the spool: " + e.getMessage());
            return 1;
        }
    }

    private static List<Path> csvFiles(Path dir) throws IOException {
        List<Path> list = new ArrayList<>();
        if (Files.isDirectory(dir)) {
            try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*.csv")) {
                s.forEach(list::add);
            }
        }
        list.sort(null);
        return list;
    }

    private static long[] count(Path dir) throws IOException {
        long n = 0;
        long bytes = 0;
        for (Path p : csvFiles(dir)) {
            n++;
            bytes += Files.size(p);
        }
        return new long[] { n, bytes };
    }
}
