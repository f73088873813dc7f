package org.packetrelay.spool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;

import org.apache.camel.Exchange;
import org.packetrelay.catalog.Field;
import org.packetrelay.pcap.PacketBatch;
import org.packetrelay.pcap.PcapConstants;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The sniffer's side of the spool folder {@code <logs-dir>/pending_upload}: names new spool files, turns an
 * aggregated batch into the file's bytes, and at start-up deals with what a crash left behind.
 *
 * <p>A spool file is appended to under {@code <name>.part} while packets arrive (see {@link #aggregate}),
 * renamed to {@code <name>} when complete and only then marked ready with the empty {@code <name>.ready}. Rows never hold a raw line break (wire text
 * is escaped, see {@link org.packetrelay.catalog.WireText}), so every complete line of a {@code .part} file is a
 * complete record.
 */
public class Spool implements org.apache.camel.AggregationStrategy {
    public static final String PART_SUFFIX = ".part";
    public static final String READY_SUFFIX = ".ready";
    private static final Logger LOG = LoggerFactory.getLogger(Spool.class);
    private static final java.nio.file.attribute.FileAttribute<?> OWNER_ONLY =
            java.nio.file.attribute.PosixFilePermissions.asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
    private static final java.nio.file.attribute.FileAttribute<?> OWNER_ONLY_DIR =
            java.nio.file.attribute.PosixFilePermissions.asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
    private static final DateTimeFormatter NAME_TIME = DateTimeFormatter.ofPattern("yyyyMMdd_HHmmss_SSS").withZone(ZoneOffset.UTC);
    private static final String HEADER_TEXT = Field.CSV_HEADER + "\n";
    private static final byte[] HEADER = HEADER_TEXT.getBytes(StandardCharsets.UTF_8);

    private String logsDir = "logs";
    private String roles = "sniffer";
    private final java.util.concurrent.atomic.AtomicLong filesSpooled = new java.util.concurrent.atomic.AtomicLong();
    private String lastStem = "";
    private int lastSuffix;

    public void setLogsDir(String logsDir) {
        this.logsDir = logsDir;
    }

    public String getLogsDir() {
        return logsDir;
    }

    public void setRoles(String roles) {
        this.roles = roles;
    }

    public long getFilesSpooled() {
        return filesSpooled.get();
    }

    public Path pendingDir() {
        return Paths.get(logsDir, "pending_upload");
    }

    /**
     * The capture route's aggregation: the first micro-batch of a file opens {@code <name>.part} (header row
     * first) and every micro-batch is appended to it at once, so the aggregated state is the file itself, not
     * memory: a kill -9 loses at most the micro-batch being filled (up to {@code batchInterval}, 200 ms), and a
     * power cut at most about a second (the file is forced every second). Names are
     * {@code packets_<yyyyMMdd_HHmmss_SSS>[_<nnn>].csv} in UTC: they sort in capture order and never collide
     * (a second file in the same millisecond gets {@code _001}, zero-padded so that names keep sorting).
     */
    @Override
    public Exchange aggregate(Exchange oldExchange, Exchange newExchange) {
        PacketBatch batch = newExchange.getIn().getBody(PacketBatch.class);
        Exchange into = oldExchange != null ? oldExchange : newExchange;
        try {
            SpoolFile file = oldExchange != null ? oldExchange.getIn().getBody(SpoolFile.class) : open();
            for (StringBuilder chunk : batch.chunks()) {
                if (chunk.length() > 0) {
                    file.write(SpoolFile.utf8(chunk));
                }
            }
            file.addRows(batch.getPackets());
            file.note(batch.isReplayComplete(), batch.getSource());
            into.getIn().setBody(file);
            into.getIn().setHeader(PcapConstants.PACKETS, file.getPackets());
            if (file.isReplayComplete()) {
                into.getIn().setHeader(PcapConstants.REPLAY_COMPLETE, true);
            }
        } catch (IOException e) {
            throw new org.apache.camel.RuntimeCamelException("cannot write the spool file in " + pendingDir() + " ("
                                                             + batch.getPackets() + " packets not spooled): " + e.getMessage(), e);
        }
        return into;
    }

    private SpoolFile open() throws IOException {
        Path dir = pendingDir();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, OWNER_ONLY_DIR);
        }
        String name = nextName();
        Path part = dir.resolve(name + PART_SUFFIX);
        FileChannel ch = FileChannel.open(part, java.util.EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), OWNER_ONLY);
        SpoolFile f = new SpoolFile(part, name, ch);
        f.write(HEADER);
        return f;
    }

    /**
     * Completes a spool file (the aggregation completed: save-interval, size cap, end of replay or stop): forces
     * it to disk, renames {@code <name>.part} to {@code <name>}, forces the folder, then creates the marker
     * {@code <name>.ready}. A file without rows is removed. Logs the file with the capture counters.
     */
    public void complete(Exchange exchange) throws IOException {
        SpoolFile file = exchange.getIn().getBody(SpoolFile.class);
        if (file == null) {
            return;
        }
        file.channel().force(true);
        file.channel().close();
        if (file.getPackets() == 0) {
            Files.deleteIfExists(file.part());
            return;
        }
        Path target = file.part().resolveSibling(file.getName());
        Files.move(file.part(), target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        markReady(target);
        filesSpooled.incrementAndGet();
        exchange.getIn().setHeader(Exchange.FILE_NAME_PRODUCED, target.toString());
        LOG.info("Spooled {}: {} packets{}", target, file.getPackets(),
                file.getSource() != null ? " (" + file.getSource().countersLine() + ")" : "");
    }

    /** fsync the data file and its folder, then create the marker and fsync the folder. */
    static void markReady(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            ch.force(true);
        }
        forceDir(file.toAbsolutePath().getParent());
        Path marker = file.resolveSibling(file.getFileName() + READY_SUFFIX);
        if (!Files.exists(marker)) {
            Files.createFile(marker, OWNER_ONLY);
        }
        forceDir(file.toAbsolutePath().getParent());
    }

    private static void forceDir(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    synchronized String nextName() {
        String stem = "packets_" + NAME_TIME.format(Instant.now());
        int n = stem.equals(lastStem) ? lastSuffix + 1 : 0;
        String name;
        while (true) {
            name = n == 0 ? stem + ".csv" : stem + String.format("_%03d.csv", n);
            Path dir = pendingDir();
            if (!Files.exists(dir.resolve(name)) && !Files.exists(dir.resolve(name + PART_SUFFIX))) {
                break;
            }
            n++;
        }
        lastStem = stem;
        lastSuffix = n;
        return name;
    }

    /**
     * Start-up recovery (sniffer role only): a {@code .csv} without its marker was completely written and
     * renamed before the crash, so it gets its marker; a {@code .part} file keeps its complete lines under
     * its final name (or is removed when it holds no complete row).
     */
    public void recover() throws IOException {
        if (roles == null || !roles.contains("sniffer")) {
            return;
        }
        Path dir = pendingDir();
        Files.createDirectories(dir);
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path p : files) {
                String name = p.getFileName().toString();
                if (name.endsWith(".csv") && !Files.exists(dir.resolve(name + READY_SUFFIX))) {
                    recoverPart(p); // renamed but not yet marked: check and keep its complete lines the same way
                } else if (name.endsWith(".csv" + PART_SUFFIX)) {
                    recoverPart(p);
                }
            }
        }
    }

    /** Keeps the complete lines of an interrupted (.part) or unmarked (.csv) spool file, then marks it ready. */
    private void recoverPart(Path part) throws IOException {
        String name = part.getFileName().toString();
        String finalName = name.endsWith(PART_SUFFIX) ? name.substring(0, name.length() - PART_SUFFIX.length()) : name;
        long keep;
        long rows = 0;
        try (FileChannel ch = FileChannel.open(part, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            byte[] all = new byte[(int) Math.min(ch.size(), Integer.MAX_VALUE - 16)];
            ch.read(ByteBuffer.wrap(all), 0);
            int lastNl = -1;
            for (int i = 0; i < all.length; i++) {
                if (all[i] == '\n') {
                    lastNl = i;
                    rows++;
                }
            }
            rows = Math.max(0, rows - 1); // the header line
            boolean headerOk = all.length >= HEADER.length && java.util.Arrays.equals(all, 0, HEADER.length, HEADER, 0, HEADER.length);
            keep = headerOk ? lastNl + 1 : 0;
            if (keep > 0 && rows > 0 && keep < all.length) {
                ch.truncate(keep);
            }
        }
        Path dir = part.getParent();
        if (keep == 0 || rows == 0) {
            Files.delete(part);
            LOG.warn("Removed {}: interrupted spool file with no complete row", name);
            return;
        }
        Path target = dir.resolve(finalName);
        if (!target.equals(part)) {
            if (Files.exists(target)) {
                target = dir.resolve(finalName.replace(".csv", "_recovered_" + System.currentTimeMillis() + ".csv"));
            }
            Files.move(part, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        }
        markReady(target);
        LOG.warn("Recovered {}: interrupted spool file, kept its {} complete rows as {}", name, rows, target.getFileName());
    }
}
