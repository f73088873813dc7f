package org.packetrelay.upload;

import org.apache.camel.AggregationStrategy;
import org.apache.camel.Exchange;

/**
 * The upload split's aggregation strategy (bean {@code checkpoints}): each batch that comes back, in whatever order,
 * is settled in its file's {@link FileProgress}, which moves the checkpoint over the run of batches from the first
 * that all got a 2xx and keeps the earliest failure. It keeps no result: the file's exchange goes on as it was, and
 * the route's next step reads the outcome from the progress. A failed batch's exception is taken out of its
 * exchange here, so the split itself always ends normally, after every batch out has settled.
 */
public class CheckpointStrategy implements AggregationStrategy {
    private boolean https;

    /** sender.url: an https:// URL makes a closed connection hint at a refused client certificate. */
    public void setUrl(String url) {
        this.https = url != null && url.trim().startsWith("https:");
    }

    @Override
    public Exchange aggregate(Exchange oldExchange, Exchange newExchange) {
        FileProgress progress = newExchange.getProperty(FileProgress.PROPERTY, FileProgress.class);
        Integer index = newExchange.getProperty(Exchange.SPLIT_INDEX, Integer.class);
        if (progress != null && index != null) {
            progress.settled(index, newExchange, https);
            newExchange.setException(null);
        }
        return null;
    }
}
