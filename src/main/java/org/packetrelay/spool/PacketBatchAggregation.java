package org.packetrelay.spool;

import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;
import org.packetrelay.pcap.PacketBatch;
import org.packetrelay.pcap.PacketRow;
import org.packetrelay.pcap.PcapConstants;

/**
 * Merges the pcap consumer's micro-batches into one spool file's worth of rows. Also the strategy of a
 * {@code split} over {@code ${body.rows}}: it gathers the {@link PacketRow}s back into a batch, leaving out the
 * rows that a {@code filter} inside the split did not let through (the filter names its result with
 * {@code statusPropertyName: CamelFilterMatched}).
 */
public class PacketBatchAggregation implements AggregationStrategy {
    /** The exchange property a per-row {@code filter} sets to say whether the row is kept. */
    public static final String FILTER_MATCHED = "CamelFilterMatched";

    @Override
    public Exchange aggregate(Exchange oldExchange, Exchange newExchange) {
        Object body = newExchange.getIn().getBody();
        if (body instanceof PacketRow row) {
            Exchange into = oldExchange != null ? oldExchange : newExchange;
            PacketBatch batch = oldExchange != null ? oldExchange.getIn().getBody(PacketBatch.class) : new PacketBatch(4096);
            if (newExchange.getProperty(FILTER_MATCHED, Boolean.TRUE, Boolean.class)) {
                batch.add(row);
            }
            into.getIn().setBody(batch);
            into.getIn().setHeader(PcapConstants.PACKETS, batch.getPackets());
            return into;
        }
        if (oldExchange == null) {
            return newExchange;
        }
        PacketBatch into = oldExchange.getIn().getBody(PacketBatch.class);
        PacketBatch more = newExchange.getIn().getBody(PacketBatch.class);
        if (more != null) {
            into.append(more);
        }
        oldExchange.getIn().setHeader(PcapConstants.PACKETS, into.getPackets());
        if (into.isReplayComplete()) {
            oldExchange.getIn().setHeader(PcapConstants.REPLAY_COMPLETE, true);
        }
        return oldExchange;
    }
}
