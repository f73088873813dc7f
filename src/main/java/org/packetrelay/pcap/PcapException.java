package org.packetrelay.pcap;

/** A capture problem with a message fit to show a user as it is (no stack trace needed). */
public class PcapException extends RuntimeException {
    public PcapException(String message) {
        super(message);
    }
}
