package org.packetrelay.decode;

import static org.packetrelay.catalog.Field.DST_IP;
import static org.packetrelay.catalog.Field.IP_VERSION;
import static org.packetrelay.catalog.Field.PAYLOAD_LENGTH;
import static org.packetrelay.catalog.Field.PROTOCOL;
import static org.packetrelay.catalog.Field.SRC_IP;
import static org.packetrelay.catalog.Field.TTL;

/**
 * IPv4. Options are skipped by IHL; only a first fragment (offset 0) goes on to its payload; the payload ends at
 * min(total length, captured). A total length of 0 is a segmentation-offloaded packet (TSO, BIG TCP) whose length is
 * the packet's on the wire, as tcpdump and Wireshark take it.
 */
final class Ipv4 {
    static final int VERSION_IHL = 0;
    static final int TOTAL_LENGTH = 2;
    static final int FRAGMENT = 6;
    static final int TTL_OFFSET = 8;
    static final int PROTOCOL_OFFSET = 9;
    static final int SRC = 12;
    static final int DST = 16;
    static final int MIN_HEADER = 20;
    static final int FRAGMENT_OFFSET_MASK = 0x1FFF;

    private Ipv4() {
    }

    static Layer decode(Packet p) {
        int off = p.off;
        if (!p.need("ipv4", MIN_HEADER)) {
            return null;
        }
        int version = p.u8(off + VERSION_IHL) >> 4;
        if (version != 4) {
            p.error("ipv4: bad version " + version);
            return null;
        }
        int proto = p.u8(off + PROTOCOL_OFFSET);
        p.r.setNumber(IP_VERSION, 4);
        p.r.setNumber(TTL, p.u8(off + TTL_OFFSET));
        AddressText.ipv4(p, SRC_IP, off + SRC);
        AddressText.ipv4(p, DST_IP, off + DST);
        p.r.setString(PROTOCOL, IpProtocols.NAME[proto]);
        int ihl = p.u8(off + VERSION_IHL) & 0xF;
        int headerLen = ihl * 4;
        int totalLen = p.u16(off + TOTAL_LENGTH);
        if (totalLen == 0) {
            totalLen = p.wireLengthFrom(off);
        }
        if (ihl < 5) {
            p.error("ipv4: bad IHL " + ihl);
            return null;
        }
        if (totalLen < headerLen) {
            p.error("ipv4: bad total length " + totalLen + " (header " + headerLen + " bytes)");
            return null;
        }
        if (!p.need("ipv4", headerLen)) {
            return null;
        }
        p.ipSrc = off + SRC;
        p.ipAddrLen = 4;
        p.v6 = false;
        p.limit(off + totalLen, "ipv4 total length");
        p.length = totalLen - headerLen;
        p.off = off + headerLen;
        if ((p.u16(off + FRAGMENT) & FRAGMENT_OFFSET_MASK) != 0) {
            p.r.setNumber(PAYLOAD_LENGTH, p.length); // a non-first fragment: no L4 header here
            return null;
        }
        return IpProtocols.next(p, proto);
    }
}
