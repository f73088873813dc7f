package org.packetrelay.upload;

/** One CSV row of a spool file: its cells in catalog order and the line it starts on. */
public record SpoolRow(long line, String[] cells) {
}
