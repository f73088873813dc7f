package org.packetrelay.spool;

import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;
import org.packetrelay.pcap.PacketBatch;
import org.packetrelay.pcap.PacketRow;
import org.packetrelay.pcap.PcapConstants;

/**
 * The strategy of a {@code split} over {@code ${body.rows}} in a customised capture route: it gathers the
 * {@link PacketRow}s back into one batch, leaving out the
 * rows marked with the exchange property {@code dropPacket=true} (e.g. by a {@code filter} inside the split).
 * Given whole batches it merges them into one (the spool itself is the capture route's main strategy).
 */
public class PacketBatchAggregation implements AggregationStrategy {
    /** The exchange property that leaves a row out of the batch. */
    public static final String DROP = "dropPacket";

    @Override
    public Exchange aggregate(Exchange oldExchange, Exchange newExchange) {
        Object body = newExchange.getIn().getBody();
        if (body instanceof PacketRow row) {
            Exchange into = oldExchange != null ? oldExchange : newExchange;
            PacketBatch batch = oldExchange != null ? oldExchange.getIn().getBody(PacketBatch.class) : new PacketBatch(4096);
            if (!newExchange.getProperty(DROP, Boolean.FALSE, Boolean.class)) {
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
