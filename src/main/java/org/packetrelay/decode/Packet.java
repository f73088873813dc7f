package org.packetrelay.decode;

import static org.packetrelay.catalog.Field.DECODE_ERROR;

import org.packetrelay.catalog.PacketRecord;

/**
 * The packet being decoded, as every layer sees it: the captured bytes, the bounds of the current layer, the
 * record the layers fill, and the error where decoding stopped. One per {@link PacketDecoder}, reused.
 *
 * <p><b>The bounds rule</b> (the only one): a layer reads {@code d[i]} only for {@code off <= i < end}. It checks
 * its fixed header once with {@link #need}: after {@code need(layer, n)} returns true, reads below
 * {@code off + n} are safe. Variable-length parts (DNS names, HTTP lines, TLS extensions) compare each offset
 * with {@code end} before reading it. {@code end} is never beyond the captured length, and is lowered where an
 * outer length field (IP total length, UDP length, a DNS length prefix) says the layer ends sooner.
 */
final class Packet {
    /** The bytes holding the packet, from {@link #base} to {@link #capEnd}. */
    byte[] d;
    /** Where the packet starts in {@link #d}. */
    int base;
    /** Where the captured bytes end in {@link #d}. */
    int capEnd;
    /** The length on the wire (at least the captured length), counted from {@link #base}. */
    int wireLen;
    PacketRecord r;

    /** Where the current layer's header starts. */
    int off;
    /** Where the current layer's bytes end: at most {@link #capEnd}. */
    int end;
    /** What the length field that lowered {@link #end} below {@link #capEnd} is called, for errors; null if none did. */
    String endSetBy;
    /** The bytes an outer header announces for this layer (the IP payload length); may exceed what was captured. */
    int length;
    /** The protocol number the outer layer names for this one (IP protocol, ICMP or ICMPv6). */
    int proto;
    /** Whether the IP header is IPv6 (extension headers other than AH exist only there). */
    boolean v6;
    /** IPv6 extension headers walked so far. */
    int extensionHeaders;
    /** Offset of the IP source address; the destination follows it ({@link #ipAddrLen} bytes each). */
    int ipSrc;
    int ipAddrLen;

    /** Scratch for text a layer builds before it goes into the record (addresses, a DNS name). */
    final byte[] scratch = new byte[256];
    final Flow flow = new Flow();

    void start(byte[] data, int offset, int capLength, int wireLength, PacketRecord record) {
        d = data;
        base = offset;
        capEnd = offset + capLength;
        wireLen = Math.max(wireLength, capLength);
        r = record;
        off = offset;
        end = capEnd;
        endSetBy = null;
        length = 0;
        proto = 0;
        v6 = false;
        extensionHeaders = 0;
        ipSrc = 0;
        ipAddrLen = 0;
    }

    /** Bytes from {@code at} to the packet's end on the wire (a length field of 0 means "the packet's"). */
    int wireLengthFrom(int at) {
        return wireLen - (at - base);
    }

    void finish() {
        d = null;
        r = null;
    }

    /**
     * Lowers {@link #end} to {@code limit} when an outer length field ({@code what}) says the bytes end there.
     */
    void limit(int limit, String what) {
        if (limit < end) {
            end = limit;
            endSetBy = what;
        }
    }

    /**
     * True if the {@code n} header bytes from {@link #off} are within {@link #end}; else records why not: cut by the
     * capture ({@code "tcp: header truncated (12 of 20 bytes)"}), or beyond what an outer length field allows although
     * captured or although the capture kept the whole packet (a length that lies:
     * {@code "tcp: header exceeds the ipv4 total length (8 of 20 bytes)"}).
     */
    boolean need(String layer, int n) {
        if (end - off >= n) {
            return true;
        }
        int have = Math.max(0, end - off);
        // a lie when the bytes were captured, or when nothing of the packet was cut (then the packet ends there too)
        if (endSetBy != null && (off + n <= capEnd || capEnd - base >= wireLen)) {
            error(layer + ": header exceeds the " + endSetBy + " (" + have + " of " + n + " bytes)");
        } else {
            error(layer + ": header truncated (" + have + " of " + n + " bytes)");
        }
        return false;
    }

    /** Records where and why decoding stopped ({@code "<layer>: <why>"}). */
    void error(String why) {
        r.setString(DECODE_ERROR, why);
    }

    int u8(int i) {
        return d[i] & 0xFF;
    }

    int u16(int i) {
        return (d[i] & 0xFF) << 8 | d[i + 1] & 0xFF;
    }

    long u32(int i) {
        return (long) u16(i) << 16 | u16(i + 2);
    }
}
