package org.packetrelay.decode;

import static org.packetrelay.catalog.Field.DNS_ANSWER_COUNT;
import static org.packetrelay.catalog.Field.DNS_ANSWER_SIZE;
import static org.packetrelay.catalog.Field.DNS_QNAME;
import static org.packetrelay.catalog.Field.DNS_QTYPE;
import static org.packetrelay.catalog.Field.DNS_QUERY;
import static org.packetrelay.catalog.Field.DNS_RESPONSE;

/**
 * A DNS message at {@code p.off} (after UDP, or after TCP's length prefix) of {@code p.length} bytes, captured up
 * to {@code p.end}. A read past what was captured (snaplen, TCP segmentation) is not an error: what is there is
 * decoded. A message that is malformed within its own length is one ({@code "dns: message truncated (40 bytes)"}).
 *
 * <p>{@code dns_qname}: the first question's labels joined by {@code .}, without the trailing dot, escaped as wire
 * text (a {@code .} inside a label is kept as is; the root name gives null). {@code dns_answer_size}: the encoded size
 * of the whole answer section (each answer's owner name as it is on the wire, 10 fixed bytes and RDATA), set only
 * when the whole section was captured. Names follow at most {@value #MAX_POINTER_JUMPS} compression pointers and may
 * be at most 255 bytes.
 */
final class Dns {
    static final int FLAGS = 2;
    static final int QDCOUNT = 4;
    static final int ANCOUNT = 6;
    static final int NSCOUNT = 8;
    static final int ARCOUNT = 10;
    static final int HEADER = 12;
    static final int QR = 0x8000;
    /** After a question's name: type and class. */
    static final int QUESTION_FIXED = 4;
    /** After a record's name: type, class, TTL, RDLENGTH. */
    static final int RECORD_FIXED = 10;
    static final int RDLENGTH = 8;
    static final int MAX_POINTER_JUMPS = 128;
    static final int MAX_NAME = 255;
    private static final int CUT = -1;
    private static final int MALFORMED = -2;

    private Dns() {
    }

    /** The ports DNS is decoded on, TCP and UDP alike: DNS, mDNS, LLMNR. */
    static boolean isPort(int port) {
        return port == 53 || port == 5353 || port == 5355;
    }

    static Layer decode(Packet p) {
        int off = p.off;
        int end = p.end;
        if (end - off < HEADER) {
            shortMessage(p, "header truncated (" + (end - off) + " of 12 bytes)");
            return null;
        }
        int flags = p.u16(off + FLAGS);
        int questions = p.u16(off + QDCOUNT);
        int answers = p.u16(off + ANCOUNT);
        p.r.setBool(DNS_QUERY, (flags & QR) == 0);
        p.r.setBool(DNS_RESPONSE, (flags & QR) != 0);
        p.r.setNumber(DNS_ANSWER_COUNT, answers);
        int at = off + HEADER;
        for (int i = 0; i < questions; i++) {
            at = name(p, at, i == 0);
            if (at == MALFORMED) {
                return null;
            }
            if (at == CUT || at + QUESTION_FIXED > end) {
                shortMessage(p, "message truncated (" + (end - off) + " bytes)");
                return null;
            }
            if (i == 0) {
                p.r.setNumber(DNS_QTYPE, p.u16(at));
            }
            at += QUESTION_FIXED;
        }
        int answersStart = at;
        for (int i = 0; i < answers; i++) {
            at = name(p, at, false);
            if (at == MALFORMED) {
                return null;
            }
            if (at == CUT || at + RECORD_FIXED > end || (at += RECORD_FIXED + p.u16(at + RDLENGTH)) > end) {
                shortMessage(p, "message truncated (" + (end - off) + " bytes)");
                return null;
            }
        }
        p.r.setNumber(DNS_ANSWER_SIZE, at - answersStart);
        return null;
    }

    /** A read past {@code p.end}: an error only when the whole message was captured. */
    private static void shortMessage(Packet p, String why) {
        if (p.end >= p.off + p.length) {
            p.error("dns: " + why);
        }
    }

    /**
     * Walks the name at {@code at} of the message at {@code p.off}; stores it as dns_qname if {@code store}.
     * Returns the offset after the name, {@link #CUT} if it runs past {@code p.end}, {@link #MALFORMED} (error set).
     */
    private static int name(Packet p, int at, boolean store) {
        int end = p.end;
        byte[] name = p.scratch;
        int after = -1;
        int jumps = 0;
        int wireLen = 1;
        int n = 0;
        while (true) {
            if (at >= end) {
                return CUT;
            }
            int len = p.u8(at);
            if (len == 0) {
                break;
            }
            if ((len & 0xC0) == 0xC0) {
                if (at + 1 >= end) {
                    return CUT;
                }
                if (++jumps > MAX_POINTER_JUMPS) {
                    p.error("dns: label pointer loop");
                    return MALFORMED;
                }
                if (after < 0) {
                    after = at + 2;
                }
                at = p.off + ((len & 0x3F) << 8 | p.u8(at + 1));
                continue;
            }
            if ((len & 0xC0) != 0) {
                p.error("dns: bad label type 0x" + Integer.toHexString(len & 0xC0));
                return MALFORMED;
            }
            wireLen += len + 1;
            if (wireLen > MAX_NAME) {
                p.error("dns: name longer than 255 bytes");
                return MALFORMED;
            }
            if (at + 1 + len > end) {
                return CUT;
            }
            if (store) {
                if (n > 0) {
                    name[n++] = '.';
                }
                System.arraycopy(p.d, at + 1, name, n, len);
                n += len;
            }
            at += 1 + len;
        }
        if (store) {
            p.r.setWireText(DNS_QNAME, name, 0, n);
        }
        return after >= 0 ? after : at + 1;
    }
}
