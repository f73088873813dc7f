package org.packetrelay.upload;

/** Why a file could not be uploaded; permanent failures are not retried automatically. */
public class UploadException extends Exception {
    private final boolean permanent;

    public UploadException(boolean permanent, String message) {
        super(message, null, false, false);
        this.permanent = permanent;
    }

    public boolean isPermanent() {
        return permanent;
    }
}
