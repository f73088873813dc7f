package org.packetrelay.receiver;

import java.nio.ByteBuffer;
import java.sql.SQLException;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.component.kafka.KafkaConstants;
import org.apache.camel.component.kafka.consumer.KafkaManualCommit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The receiver's side of batches from Kafka (routes/receiver.yaml, route {@code receiver-kafka}): one Kafka
 * record is one batch, stored through {@link IngestStore#ingest} exactly as a POST is, then its offset is
 * committed. A batch that can never be stored is a {@link BatchRejectedException}: the route sends it to the
 * dead-letter topic and commits it. Anything else (the database down) leaves the offset uncommitted, so the
 * batch is delivered again.
 */
public class KafkaIngest {
    private static final Logger LOG = LoggerFactory.getLogger(KafkaIngest.class);
    /** The header a dead-lettered batch carries its reason in. */
    public static final String ERROR_HEADER = "PacketRelay-Error";
    /** And where it was read: topic/partition/offset. */
    public static final String SOURCE_HEADER = "PacketRelay-Source";

    private IngestStore store;
    private final AtomicLong batches = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong deadLettered = new AtomicLong();

    public void setStore(IngestStore store) {
        this.store = store;
    }

    /** Batches from Kafka stored or found stored before. */
    public long getBatches() {
        return batches.get();
    }

    /** Of those, batches whose key was stored before (redelivered after a crash or a rebalance). */
    public long getDuplicates() {
        return duplicates.get();
    }

    public long getDeadLettered() {
        return deadLettered.get();
    }

    /** Stores the record's batch. Unlike a POST, a batch must have its key: without one it could be stored twice. */
    public void store(Exchange exchange) throws SQLException {
        Message in = exchange.getIn();
        String key = in.getHeader(IngestStore.KEY, String.class);
        byte[] body = in.getBody(byte[].class);
        try {
            if (key == null) {
                throw new IngestStore.Rejected(400, "no Idempotency-Key header");
            }
            IngestStore.Stored stored = store.ingest(key, ByteBuffer.wrap(body == null ? new byte[0] : body));
            batches.incrementAndGet();
            if (stored.duplicate()) {
                duplicates.incrementAndGet();
            }
        } catch (IngestStore.Rejected r) {
            throw new BatchRejectedException(r.status + " " + r.getMessage());
        }
    }

    /** Commits the record's offset: called once its batch is stored or dead-lettered. */
    public void commit(Exchange exchange) {
        KafkaManualCommit commit = exchange.getIn().getHeader(KafkaConstants.MANUAL_COMMIT, KafkaManualCommit.class);
        if (commit == null) {
            throw new IllegalStateException("no " + KafkaConstants.MANUAL_COMMIT + " header: the kafka endpoint needs allowManualCommit=true");
        }
        commit.commit();
    }

    /** Marks a rejected batch for the dead-letter topic: the reason as a header, one WARN line. */
    public void deadLetter(Exchange exchange) {
        Exception e = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Exception.class);
        String reason = e == null ? "unknown" : e.getMessage();
        Message in = exchange.getIn();
        in.setHeader(ERROR_HEADER, reason);
        in.setHeader(SOURCE_HEADER, in.getHeader(KafkaConstants.TOPIC) + "/" + in.getHeader(KafkaConstants.PARTITION) + "/"
                                    + in.getHeader(KafkaConstants.OFFSET));
        deadLettered.incrementAndGet();
        LOG.warn("Batch from {} partition {} offset {} (key {}) can never be stored: {}; sent to the dead-letter topic",
                in.getHeader(KafkaConstants.TOPIC), in.getHeader(KafkaConstants.PARTITION), in.getHeader(KafkaConstants.OFFSET),
                in.getHeader(KafkaConstants.KEY), reason);
    }

    /** A batch that can never be stored: bad JSON, a wrong type, no key, over a limit. */
    public static final class BatchRejectedException extends RuntimeException {
        public BatchRejectedException(String reason) {
            super(reason, null, false, false);
        }
    }
}
