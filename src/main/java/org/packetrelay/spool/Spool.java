package org.packetrelay.spool;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;
import org.apache.camel.RuntimeCamelException;
import org.packetrelay.catalog.CsvBytes;
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
public class Spool implements AggregationStrategy {
    public static final String PART_SUFFIX = ".part";
    public static final String READY_SUFFIX = ".ready";
    private static final Logger LOG = LoggerFactory.getLogger(Spool.class);
    /** Mode of spool files and of the folders the relay creates (captured traffic is sensitive). */
    public static final FileAttribute<?> OWNER_ONLY =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------"));
    public static final FileAttribute<?> OWNER_ONLY_DIR =
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));
    private static final DateTimeFormatter NAME_TIME = DateTimeFormatter.ofPattern("yyyyMMdd_HHmmss_SSS").withZone(ZoneOffset.UTC);
    private static final String HEADER_TEXT = Field.CSV_HEADER + "\n";
    private static final byte[] HEADER = HEADER_TEXT.getBytes(StandardCharsets.UTF_8);

    private String logsDir = "logs";
    private String roles = "sniffer";
    private final AtomicLong filesSpooled = new AtomicLong();
    private long maxSpoolMb;
    private long minFreeMb = 64;
    private int pruneAfterDays;
    private SpoolSpace space;
    private final List<SpoolFile> unfinished = new ArrayList<>();
    private final LongAdder packetsDropped = new LongAdder();
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

    /** Cap of pending_upload/ plus failed_uploads/ in MiB; 0: none. */
    public void setMaxSpoolMb(long maxSpoolMb) {
        this.maxSpoolMb = maxSpoolMb;
    }

    /** Free space the spool leaves on its disk, in MiB. */
    public void setMinFreeMb(long minFreeMb) {
        this.minFreeMb = minFreeMb;
    }

    /** Above 0, pruning is on: processed/ files may then also be deleted early when the disk is short. */
    public void setPruneAfterDays(int pruneAfterDays) {
        this.pruneAfterDays = pruneAfterDays;
    }

    /** Packets dropped because the spool was full or could not be written. */
    public long getPacketsDropped() {
        return packetsDropped.sum();
    }

    /** Why the spool drops packets right now, or null when it writes. */
    public String getFullReason() {
        return space == null ? null : space.fullReason();
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
        SpoolFile file = oldExchange != null ? oldExchange.getIn().getBody(SpoolFile.class) : null;
        if (file == null) {
            String name = nextName();
            file = new SpoolFile(pendingDir().resolve(name + PART_SUFFIX), name);
        }
        write(file, batch);
        file.note(batch.isReplayComplete(), batch.getCounters());
        into.getIn().setBody(file);
        into.getIn().setHeader(PcapConstants.PACKETS, file.getPackets());
        if (file.isReplayComplete()) {
            into.getIn().setHeader(PcapConstants.REPLAY_COMPLETE, true);
        }
        return into;
    }

    /**
     * Appends a batch to the file, or drops it, counted, when the spool is over its cap, the disk is short of
     * space or the write fails: a failed write is cut back, so the file only ever holds whole batches.
     */
    private void write(SpoolFile file, PacketBatch batch) {
        if (!unfinished.isEmpty()) {
            retryUnfinished();
        }
        if (batch.getPackets() == 0) {
            return;
        }
        long bytes = file.isOpen() ? 0 : HEADER.length;
        for (CsvBytes chunk : batch.chunks()) {
            bytes += chunk.length();
        }
        SpoolSpace room = space();
        String full = room.refuse(bytes);
        for (int attempt = 1; full == null; attempt++) {
            long before = file.size();
            try {
                if (!file.isOpen()) {
                    open(file);
                }
                for (CsvBytes chunk : batch.chunks()) {
                    file.write(chunk.array(), chunk.length());
                }
                file.addRows(batch.getPackets());
                room.wrote(bytes);
                room.wroteOk();
                return;
            } catch (IOException e) {
                try {
                    file.rollback(before);
                } catch (IOException again) {
                    throw new RuntimeCamelException("cannot write the spool file " + file.part()
                                                                     + " nor cut it back to its last whole batch: " + again.getMessage(), again);
                }
                // the disk filled up between two measurements: measure again (pruning processed/ when that is on)
                // and try once more before dropping
                room.writeFailed();
                full = room.refuse(bytes);
                if (full == null && attempt == 2) {
                    full = "cannot write " + file.part() + ": " + e.getMessage();
                }
            }
        }
        packetsDropped.add(batch.getPackets());
        if (batch.getCounters() != null) {
            batch.getCounters().spoolDropped(batch.getPackets());
        }
        room.dropped(batch.getPackets(), full);
    }

    private SpoolSpace space() {
        if (space == null) {
            space = new SpoolSpace(Paths.get(logsDir), maxSpoolMb, minFreeMb, pruneAfterDays > 0);
        }
        return space;
    }

    private void open(SpoolFile file) throws IOException {
        Path dir = pendingDir();
        if (!Files.isDirectory(dir)) {
            Files.createDirectories(dir, OWNER_ONLY_DIR);
        }
        file.open(FileChannel.open(file.part(), EnumSet.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE), OWNER_ONLY));
        file.write(HEADER, HEADER.length);
    }

    /**
     * Completes a spool file (the aggregation completed: save-interval, size cap, end of replay or stop): forces
     * it to disk, renames {@code <name>.part} to {@code <name>}, forces the folder, then creates the marker
     * {@code <name>.ready}. A file without rows is removed. Logs the file with the capture counters.
     */
    public void complete(Exchange exchange) {
        SpoolFile file = exchange.getIn().getBody(SpoolFile.class);
        retryUnfinished();
        if (file == null || !file.isOpen()) {
            return; // nothing written: every batch was dropped
        }
        try {
            file.channel().close(); // markReady forces the data to the device before the marker exists
            if (file.getPackets() == 0) {
                Files.deleteIfExists(file.part());
                return;
            }
            Path target = finish(file);
            exchange.getIn().setHeader(Exchange.FILE_NAME_PRODUCED, target.toString());
        } catch (IOException e) {
            unfinished.add(file);
            LOG.error("Cannot complete the spool file {} ({} packets): {}; it is kept and completed as soon as the disk allows",
                    file.part(), file.getPackets(), e.toString());
        }
    }

    /** Renames {@code <name>.part} to {@code <name>} and marks it ready (after forcing it); each step may be repeated. */
    private Path finish(SpoolFile file) throws IOException {
        Path target = file.part().resolveSibling(file.getName());
        if (Files.exists(file.part())) {
            Files.move(file.part(), target, StandardCopyOption.ATOMIC_MOVE);
        }
        markReady(target);
        filesSpooled.incrementAndGet();
        LOG.info("Spooled {}: {} packets{}", target, file.getPackets(),
                file.getCounters() != null ? " (" + file.getCounters().line() + ")" : "");
        return target;
    }

    /** Completes the files whose completion failed before (e.g. no room for the marker on a full disk). */
    private void retryUnfinished() {
        for (Iterator<SpoolFile> it = unfinished.iterator(); it.hasNext();) {
            SpoolFile file = it.next();
            try {
                finish(file);
                it.remove();
            } catch (IOException e) {
                LOG.debug("still cannot complete {}: {}", file.part(), e.toString());
            }
        }
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
        Files.createDirectories(dir, OWNER_ONLY_DIR);
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
            boolean headerOk = all.length >= HEADER.length && Arrays.equals(all, 0, HEADER.length, HEADER, 0, HEADER.length);
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
            Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
        }
        markReady(target);
        LOG.warn("Recovered {}: interrupted spool file, kept its {} complete rows as {}", name, rows, target.getFileName());
    }
}
