package org.packetrelay.upload;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Paths;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.camel.Exchange;
import org.apache.camel.spi.DataFormat;
import org.apache.camel.spi.DataFormatName;
import org.apache.camel.support.service.ServiceSupport;
import org.packetrelay.upload.Checkpoints.Checkpoint;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The spool file format as a Camel data format (bean {@code spoolFormat} of routes/upload.yaml).
 *
 * <p>{@code unmarshal}: a spool file (CSV in the field catalog's columns) becomes a lazy, closeable iterator of
 * {@link RecordBatch}es of {@code batchSize} rows ({@link SpoolBatches}), starting at the file's checkpoint, for a
 * streaming {@code split}. The header is checked and the rows already uploaded are skipped (still checked) here; a file
 * that is not the catalog's CSV fails with its line ({@link SpoolFormatException}). It puts the attempt's
 * {@link FileProgress} on the exchange ({@value FileProgress#PROPERTY}) for the checkpoint strategy.
 *
 * <p>{@code marshal}: a batch becomes its JSON array ({@link RecordBatch#toJson}), typed as the catalog says.
 */
public class SpoolDataFormat extends ServiceSupport implements DataFormat, DataFormatName {
    private static final Logger LOG = LoggerFactory.getLogger(SpoolDataFormat.class);
    private String logsDir = "logs";
    private int batchSize = 500;
    private int parallelBatches = 4;
    private String hostId = "";
    private String host;
    private Checkpoints checkpoints;
    private final AtomicReference<SpoolTranscoder.Output> spareBuffer = new AtomicReference<>();

    public void setLogsDir(String logsDir) {
        this.logsDir = logsDir;
    }

    public void setBatchSize(int batchSize) {
        this.batchSize = Math.max(1, batchSize);
    }

    /** The window: batches of a file that may be ahead of its checkpoint. */
    public void setParallelBatches(int parallelBatches) {
        this.parallelBatches = Math.max(1, parallelBatches);
    }

    /** This host in the Idempotency-Key; empty: /etc/machine-id, else the host name. */
    public void setHostId(String hostId) {
        this.hostId = hostId;
    }

    @Override
    public String getDataFormatName() {
        return "packet-relay-spool";
    }

    @Override
    protected void doStart() {
        host = BatchKeys.hostId(hostId);
        checkpoints = new Checkpoints(Paths.get(logsDir, ".state"));
    }

    @Override
    public Object unmarshal(Exchange exchange, InputStream stream) throws Exception {
        String name = exchange.getIn().getHeader(Exchange.FILE_NAME_ONLY, String.class);
        if (name == null) {
            throw new IllegalArgumentException("unmarshal of a spool file needs the file's name (header " + Exchange.FILE_NAME_ONLY + ")");
        }
        Checkpoint checkpoint = checkpoints.load(name);
        long resumeAt = checkpoint == null ? 0 : checkpoint.rows();
        int size = batchSizeOf(name, checkpoint);
        if (checkpoint == null) {
            // the batch size fixes the file's Idempotency-Keys: recorded before anything is posted, so that a later
            // attempt (after a restart, from failed_uploads/) cuts the same batches even when batches after a failed
            // one got their 2xx and the setting changed since
            try {
                checkpoints.save(name, 0, size);
            } catch (IOException e) {
                throw new UploadException(false, "cannot save the checkpoint " + name + " (nothing posted): " + e.getMessage());
            }
        }
        SpoolTranscoder reader = new SpoolTranscoder(stream, 1 << 16);
        try {
            reader.skip(resumeAt);
        } catch (Exception e) {
            reader.close();
            throw e;
        }
        FileProgress progress = new FileProgress(name, resumeAt, parallelBatches, size, checkpoints);
        exchange.setProperty(FileProgress.PROPERTY, progress);
        return new SpoolBatches(reader, progress, size, BatchOrigin.of(host, name), spareBuffer);
    }

    /**
     * The batch size for this attempt at the file: the one it was first posted with, so the keys of rows already
     * stored stay the same, unless sender.batch-size is now smaller (a batch never has more records than the setting).
     */
    private int batchSizeOf(String name, Checkpoint checkpoint) {
        int first = checkpoint == null ? 0 : checkpoint.batchSize();
        if (first <= 0 || first == batchSize) {
            return batchSize;
        }
        if (first < batchSize) {
            LOG.info("{} keeps the batch size it was first posted with ({}, sender.batch-size is now {}), so its "
                     + "Idempotency-Keys stay the same", name, first, batchSize);
            return first;
        }
        LOG.warn("{} was first posted in batches of {}, sender.batch-size is now {}: its batches from row {} on get new "
                 + "Idempotency-Keys, and rows that got a 2xx after the checkpoint may be stored twice", name, first, batchSize,
                checkpoint.rows());
        return batchSize;
    }

    @Override
    public void marshal(Exchange exchange, Object graph, OutputStream stream) throws Exception {
        RecordBatch batch = exchange.getContext().getTypeConverter().mandatoryConvertTo(RecordBatch.class, exchange, graph);
        stream.write(batch.toJson());
    }
}
