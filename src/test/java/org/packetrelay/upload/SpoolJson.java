package org.packetrelay.upload;

import java.io.ByteArrayInputStream;
import java.io.IOException;

/** For tests of other packages: a spool file's bytes as the sender posts them (one JSON array of every row). */
public final class SpoolJson {
    private SpoolJson() {
    }

    public static byte[] transcode(byte[] csvFile) throws IOException, SpoolFormatException {
        try (SpoolTranscoder t = new SpoolTranscoder(new ByteArrayInputStream(csvFile), 1 << 16)) {
            SpoolTranscoder.Output out = new SpoolTranscoder.Output(csvFile.length * 2 + 64);
            out.put((byte) '[');
            for (boolean first = true; ; first = false) {
                int before = out.size();
                if (!first) {
                    out.put((byte) ',');
                }
                if (!t.next(out)) {
                    out.truncate(before);
                    break;
                }
            }
            out.put((byte) ']');
            return out.toByteArray();
        }
    }
}
