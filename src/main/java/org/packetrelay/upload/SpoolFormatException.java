package org.packetrelay.upload;

/** A spool file that cannot be read as the catalog's CSV: a permanent failure, with the line it happened on. */
public class SpoolFormatException extends UploadException {
    public SpoolFormatException(long line, String message) {
        super(true, "line " + line + ": " + message);
    }
}
