package org.packetrelay.receiver;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Strict UTF-8 for bodies: Jackson's byte parser accepts overlong forms (C0 AF as '/') and escaped lone surrogates. */
final class Utf8 {
    private Utf8() {
    }

    /** A 422 unless every byte of the body is well-formed UTF-8 (no overlong form, no encoded surrogate). */
    static void check(ByteBuffer body) throws IngestStore.Rejected {
        CharsetDecoder d = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = body.duplicate();
        CharBuffer out = CharBuffer.allocate(8192);
        while (true) {
            CoderResult r = d.decode(in, out, true);
            if (r.isError()) {
                throw new IngestStore.Rejected(422, "body is not valid UTF-8 (byte " + (in.position() - body.position()) + ")");
            }
            if (r.isUnderflow()) {
                return;
            }
            out.clear();
        }
    }

    /** Index of the first surrogate char without its partner, or -1 (a JSON escape such as \ud800 makes one). */
    static int unpairedSurrogate(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                    continue;
                }
                return i;
            }
            if (Character.isLowSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }
}
