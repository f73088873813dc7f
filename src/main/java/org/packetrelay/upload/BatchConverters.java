package org.packetrelay.upload;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

import org.apache.camel.Converter;

/**
 * Type converters from a {@link RecordBatch} to its JSON array, so that {@code to: file:}, {@code wireTap}, camel-http
 * or another component takes a batch as it is, with no marshal step.
 */
@Converter(generateLoader = true)
public final class BatchConverters {
    private BatchConverters() {
    }

    @Converter
    public static byte[] toBytes(RecordBatch batch) {
        return batch.toJson();
    }

    @Converter
    public static InputStream toInputStream(RecordBatch batch) {
        return new ByteArrayInputStream(batch.toJson());
    }

    @Converter
    public static String toText(RecordBatch batch) {
        return new String(batch.toJson(), StandardCharsets.UTF_8);
    }
}
