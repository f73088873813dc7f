package org.packetrelay.ops;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.Route;
import org.packetrelay.pcap.PcapConsumer;
import org.packetrelay.receiver.IngestStore;
import org.packetrelay.receiver.KafkaIngest;
import org.packetrelay.spool.Spool;
import org.packetrelay.upload.UploadStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The relay's own figures, from the objects that count them (capture consumers, spool, uploader, ingest store):
 * Prometheus meters on Camel's Micrometer registry ({@code /observe/metrics}) and the periodic summary log line.
 */
public class RelayMetrics implements CamelContextAware {
    private static final Logger LOG = LoggerFactory.getLogger(RelayMetrics.class);

    private CamelContext camelContext;
    private String logsDir = "logs";
    private volatile long backlogAt;
    private volatile long[] backlog = { 0, 0 };

    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
    }

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }

    public void setLogsDir(String logsDir) {
        this.logsDir = logsDir;
    }

    /** The capture consumers of the running routes. */
    public List<PcapConsumer> captures() {
        List<PcapConsumer> list = new ArrayList<>();
        for (Route r : camelContext.getRoutes()) {
            if (r.getConsumer() instanceof PcapConsumer c) {
                list.add(c);
            }
        }
        return list;
    }

    private long sum(ToDoubleFunction<PcapConsumer> f) {
        long n = 0;
        for (PcapConsumer c : captures()) {
            n += (long) f.applyAsDouble(c);
        }
        return n;
    }

    private <T> T bean(String name, Class<T> type) {
        return camelContext.getRegistry().lookupByNameAndType(name, type);
    }

    /** Files and bytes waiting: pending_upload/ and failed_uploads/ (re-read at most every 5 s). */
    public long[] backlog() {
        long now = System.currentTimeMillis();
        if (now - backlogAt > 5000) {
            long files = 0;
            long bytes = 0;
            for (String folder : new String[] { "pending_upload", "failed_uploads" }) {
                Path dir = Paths.get(logsDir, folder);
                if (!Files.isDirectory(dir)) {
                    continue;
                }
                try (DirectoryStream<Path> s = Files.newDirectoryStream(dir, "*.csv")) {
                    for (Path p : s) {
                        files++;
                        bytes += Files.size(p);
                    }
                } catch (IOException e) {
                    LOG.debug("backlog of {}: {}", dir, e.toString());
                }
            }
            backlog = new long[] { files, bytes };
            backlogAt = now;
        }
        return backlog;
    }

    public void start() {
        MeterRegistry registry = camelContext.getRegistry().findSingleByType(MeterRegistry.class);
        if (registry == null) {
            LOG.info("No Micrometer registry (camel.metrics.enabled=false): relay metrics are only logged");
            return;
        }
        counter(registry, "packet_relay.packets.captured", "Packets captured", m -> m.sum(PcapConsumer::getPacketsCaptured));
        counter(registry, "packet_relay.packets.dropped.kernel", "Packets dropped by the kernel (capture buffer full)",
                m -> m.sum(PcapConsumer::getPacketsDroppedByKernel));
        counter(registry, "packet_relay.packets.dropped.interface", "Packets dropped by the interface or driver",
                m -> m.sum(PcapConsumer::getPacketsDroppedByInterface));
        counter(registry, "packet_relay.packets.dropped.spool", "Packets dropped because the spool was full or not writable",
                m -> m.sum(PcapConsumer::getPacketsDroppedSpoolFull));
        counter(registry, "packet_relay.decode.errors", "Packets whose decoding stopped early",
                m -> m.sum(PcapConsumer::getDecodeErrors));
        counter(registry, "packet_relay.files.spooled", "Spool files written", m -> {
            Spool s = m.bean("spool", Spool.class);
            return s == null ? 0 : s.getFilesSpooled();
        });
        counter(registry, "packet_relay.files.processed", "Spool files uploaded completely", m -> uploader(m, UploadStatus::getFilesProcessed));
        counter(registry, "packet_relay.files.failed", "Upload attempts of a file that failed", m -> uploader(m, UploadStatus::getFilesFailed));
        counter(registry, "packet_relay.batches.posted", "Batches posted (after redeliveries)", m -> uploader(m, UploadStatus::getBatchesPosted));
        counter(registry, "packet_relay.batches.retried", "Batches that needed redelivery", m -> uploader(m, UploadStatus::getBatchesRetried));
        counter(registry, "packet_relay.records.uploaded", "Records that got a 2xx", m -> uploader(m, UploadStatus::getRecordsUploaded));
        counter(registry, "packet_relay.receiver.records.stored", "Records stored by the embedded ingest server", m -> {
            IngestStore s = m.bean("ingestStore", IngestStore.class);
            return s == null ? 0 : s.getRecordsStored();
        });
        counter(registry, "packet_relay.receiver.kafka.batches", "Batches from Kafka stored (or found stored before)",
                m -> kafka(m, KafkaIngest::getBatches));
        counter(registry, "packet_relay.receiver.kafka.dead_lettered", "Batches from Kafka that could never be stored, sent to the dead-letter topic",
                m -> kafka(m, KafkaIngest::getDeadLettered));
        Gauge.builder("packet_relay.spool.backlog.files", this, m -> m.backlog()[0])
                .description("Spool files waiting for upload (pending_upload/ and failed_uploads/)").register(registry);
        Gauge.builder("packet_relay.spool.backlog.bytes", this, m -> m.backlog()[1])
                .description("Bytes of spool files waiting for upload").baseUnit("bytes").register(registry);
    }

    private static double uploader(RelayMetrics m, ToDoubleFunction<UploadStatus> f) {
        UploadStatus u = m.bean("uploadStatus", UploadStatus.class);
        return u == null ? 0 : f.applyAsDouble(u);
    }

    private static double kafka(RelayMetrics m, ToDoubleFunction<KafkaIngest> f) {
        KafkaIngest k = m.bean("kafkaIngest", KafkaIngest.class);
        return k == null ? 0 : f.applyAsDouble(k);
    }

    private void counter(MeterRegistry registry, String name, String description, ToDoubleFunction<RelayMetrics> f) {
        FunctionCounter.builder(name, this, f).description(description).register(registry);
    }

    /** The periodic summary line. */
    public void logSummary() {
        StringBuilder sb = new StringBuilder("Summary:");
        List<PcapConsumer> caps = captures();
        if (!caps.isEmpty()) {
            sb.append(" captured=").append(sum(PcapConsumer::getPacketsCaptured))
              .append(" droppedByKernel=").append(sum(PcapConsumer::getPacketsDroppedByKernel))
              .append(" droppedByInterface=").append(sum(PcapConsumer::getPacketsDroppedByInterface))
              .append(" droppedSpoolFull=").append(sum(PcapConsumer::getPacketsDroppedSpoolFull))
              .append(" decodeErrors=").append(sum(PcapConsumer::getDecodeErrors));
        }
        Spool spool = bean("spool", Spool.class);
        if (spool != null && !caps.isEmpty()) {
            sb.append(" filesSpooled=").append(spool.getFilesSpooled());
        }
        UploadStatus u = bean("uploadStatus", UploadStatus.class);
        if (u != null && u.isActive()) {
            sb.append(" filesUploaded=").append(u.getFilesProcessed()).append(" uploadFailures=").append(u.getFilesFailed())
              .append(" recordsUploaded=").append(u.getRecordsUploaded()).append(" batchesRetried=").append(u.getBatchesRetried());
        }
        IngestStore st = bean("ingestStore", IngestStore.class);
        if (st != null && st.isActive()) {
            sb.append(" receiverStored=").append(st.getRecordsStored()).append(" receiverRejected=").append(st.getRejected());
            KafkaIngest k = bean("kafkaIngest", KafkaIngest.class);
            if (k != null && k.getBatches() + k.getDeadLettered() > 0) {
                sb.append(" kafkaBatches=").append(k.getBatches()).append(" kafkaDeadLettered=").append(k.getDeadLettered());
            }
        }
        long[] b = backlog();
        sb.append(" backlogFiles=").append(b[0]).append(" backlogBytes=").append(b[1]);
        LOG.info(sb.toString());
    }
}
