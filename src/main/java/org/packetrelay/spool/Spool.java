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
 * <p>A spool file is written by Camel's file producer under {@code <name>.part}, renamed to {@code <name>}
 * and only then marked ready with the empty {@code <name>.ready}. Rows never hold a raw line break (wire text
 * is escaped, see {@link org.packetrelay.catalog.WireText}), so every complete line of a {@code .part} file is a
 * complete record.
 */
public class Spool {
    public static final String PART_SUFFIX = ".part";
    public static final String READY_SUFFIX = ".ready";
    private static final Logger LOG = LoggerFactory.getLogger(Spool.class);
    private static final java.nio.file.attribute.FileAttribute<?> OWNER_ONLY =
            java.nio.file.attribute.PosixFilePermissions.asFileAttribute(java.nio.file.attribute.PosixFilePermissions.fromString("rw-------"));
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
     * Sets the file name header and turns the body into the file's bytes (header row + rows). Names are
     * {@code packets_<yyyyMMdd_HHmmss_SSS>[_<nnn>].csv} in UTC: they sort in capture order and never collide
     * (a second file in the same millisecond gets {@code _001}, zero-padded so that names keep sorting).
     */
    public void prepare(Exchange exchange) {
        PacketBatch batch = exchange.getIn().getBody(PacketBatch.class);
        exchange.getIn().setHeader(Exchange.FILE_NAME, nextName());
        exchange.getIn().setHeader(PcapConstants.PACKETS, batch.getPackets());
        exchange.setProperty("pcapBatch", batch);
        // streamed: the header, then the rows encoded on the fly (no copy of a file's worth of text)
        // each micro-batch's text is encoded when the producer reaches it (String.getBytes: the JDK's fast path)
        java.util.Iterator<StringBuilder> chunks = batch.chunks().iterator();
        exchange.getIn().setBody(new java.io.SequenceInputStream(new java.util.Enumeration<java.io.InputStream>() {
            private boolean header = true;

            @Override
            public boolean hasMoreElements() {
                return header || chunks.hasNext();
            }

            @Override
            public java.io.InputStream nextElement() {
                if (header) {
                    header = false;
                    return new java.io.ByteArrayInputStream(HEADER);
                }
                return new java.io.ByteArrayInputStream(chunks.next().toString().getBytes(StandardCharsets.UTF_8));
            }
        }));
    }

    /**
     * After the file producer renamed {@code <name>.part} to {@code <name>}: forces the file and the folder to
     * disk, then creates the marker {@code <name>.ready} (and forces the folder again), and logs the file with
     * the capture counters.
     */
    public void written(Exchange exchange) throws IOException {
        String name = exchange.getIn().getHeader(Exchange.FILE_NAME_PRODUCED, String.class);
        Path file = Paths.get(name);
        markReady(file);
        filesSpooled.incrementAndGet();
        PacketBatch batch = exchange.getProperty("pcapBatch", PacketBatch.class);
        LOG.info("Spooled {}: {} packets{}", name, exchange.getIn().getHeader(PcapConstants.PACKETS),
                batch != null && batch.getSource() != null ? " (" + batch.getSource().countersLine() + ")" : "");
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
