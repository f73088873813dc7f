package org.packetrelay.upload;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * The {@code Idempotency-Key} of a batch: {@code <host id>:<spool file name>:<first row>+<row count>}, the same on
 * every retry of those rows (after a restart, from failed_uploads/) and different for any other rows, file or host.
 *
 * <p>A header value must be ASCII, so the host id and the file name are percent-encoded (every UTF-8 byte outside
 * {@code A-Z a-z 0-9 . _ - ~ +}, the colon and the percent sign included): {@code packets_x_😀.csv} and
 * {@code packets_x_😁.csv} get different keys (a plain encoding to ISO-8859-1 would make both {@code ?}), and the
 * sniffer's own file names and machine ids are left as they are. A name that would make the key longer than
 * {@value #MAX_PART} characters (the receiver takes up to 512) is replaced by {@code sha256-} and the hex digest of
 * its UTF-8 bytes, which is as unique.
 */
final class BatchKeys {
    static final int MAX_PART = 200;

    private BatchKeys() {
    }

    /** {@code <host>:<file>:}, each part encoded. */
    static String prefix(String hostId, String fileName) {
        return part(hostId) + ":" + part(fileName) + ":";
    }

    static String part(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        StringBuilder sb = new StringBuilder(b.length + 8);
        for (byte x : b) {
            int c = x & 0xFF;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-' || c == '~'
                || c == '+') {
                sb.append((char) c);
            } else {
                sb.append('%').append(Character.toUpperCase(Character.forDigit(c >> 4, 16)))
                  .append(Character.toUpperCase(Character.forDigit(c & 15, 16)));
            }
        }
        if (sb.length() <= MAX_PART) {
            return sb.toString();
        }
        try {
            return "sha256-" + HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** sender.host-id when set, else /etc/machine-id, else the host name. */
    static String hostId(String configured) {
        if (configured != null && !configured.isBlank()) {
            return configured.trim();
        }
        try {
            Path mid = Path.of("/etc/machine-id");
            if (Files.isReadable(mid)) {
                String id = Files.readString(mid).trim();
                if (!id.isEmpty()) {
                    return id;
                }
            }
        } catch (IOException e) {
            // the host name, then
        }
        try {
            return InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            return "unknown-host";
        }
    }
}
