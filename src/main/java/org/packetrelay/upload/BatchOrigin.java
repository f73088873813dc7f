package org.packetrelay.upload;

/**
 * Where the batches of one spool file come from: this host's id and the file's name, and the start of their
 * Idempotency-Keys made from both ({@link BatchKeys}).
 */
record BatchOrigin(String host, String file, String keyPrefix) {
    static BatchOrigin of(String host, String file) {
        return new BatchOrigin(host, file, BatchKeys.prefix(host, file));
    }
}
