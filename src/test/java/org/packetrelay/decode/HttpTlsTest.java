package org.packetrelay.decode;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.packetrelay.decode.Packets.*;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.packetrelay.catalog.Field;
import org.packetrelay.catalog.PacketRecord;

/** HTTP/1.x request and status lines with Host, and the TLS ClientHello's server name. */
class HttpTlsTest extends LayerTest {
    PacketRecord http(String payload) {
        return decode(12, ipv4(6, "1.1.1.1", "2.2.2.2", tcp(1234, 5678, 1, 1, 0x18, 9, payload.getBytes(StandardCharsets.ISO_8859_1))));
    }

    @Test
    void httpLines() {
        for (String m : List.of("GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH", "CONNECT", "TRACE")) {
            assertEquals(m, http(m + " / HTTP/1.0\r\n\r\n").getString(Field.HTTP_METHOD));
        }
        assertFalse(http("GETX / HTTP/1.1\r\n").has(Field.HTTP_METHOD));
        assertFalse(http("get / HTTP/1.1\r\n").has(Field.HTTP_METHOD));
        assertEquals(301, http("HTTP/1.1 301 Moved Permanently\r\nLocation: /x\r\n\r\n").getNumber(Field.HTTP_STATUS_CODE));
        assertFalse(http("HTTP/1.1 30x nope\r\n").has(Field.HTTP_STATUS_CODE));
        assertFalse(http("HTTP/2 200\r\n").has(Field.HTTP_STATUS_CODE));
        assertEquals("/no-version", http("GET /no-version\r\nHost: h\r\n").getString(Field.HTTP_PATH));
        assertFalse(rec.has(Field.HTTP_HOST));
        assertEquals("h2", http("GET / HTTP/1.1\r\nX-Host: h1\r\nhost:\th2\t\r\n\r\nHost: h3\r\n").getString(Field.HTTP_HOST));
        assertFalse(http("GET / HTTP/1.1\r\n\r\nHost: body\r\n").has(Field.HTTP_HOST), "a Host line after the headers");
        assertEquals("/cut", http("GET /cut").getString(Field.HTTP_PATH));
        assertEquals("example.com", http("GET /index.html?q=1 HTTP/1.1\r\nUser-Agent: x\r\nHOST:  example.com \r\n\r\n")
                .getString(Field.HTTP_HOST));
        assertEquals("/index.html?q=1", rec.getString(Field.HTTP_PATH));
    }

    @Test
    void httpFieldsAppearOnceTheirBytesAreCaptured() {
        byte[] get = PacketDecoderTest.HTTP_GET;
        assertNull(decode(1, Arrays.copyOf(get, 57), get.length).getString(Field.HTTP_METHOD));
        assertEquals("GET", decode(1, Arrays.copyOf(get, 58), get.length).getString(Field.HTTP_METHOD));
        assertEquals("/index", decode(1, Arrays.copyOf(get, 64), get.length).getString(Field.HTTP_PATH));
        assertNull(rec.getString(Field.DECODE_ERROR));
    }

    @Test
    void tlsServerName() {
        byte[] hello = ipv4(6, "10.0.0.1", "10.0.0.3", tcp(40001, 443, 1, 1, 0x18, 1000, TsharkCrossCheckTest.clientHello("www.example.org")));
        assertEquals("www.example.org", decode(12, hello).getString(Field.TLS_SNI));
        for (int n = 40; n < hello.length; n++) {
            assertFalse(decode(12, Arrays.copyOf(hello, n), hello.length).has(Field.TLS_SNI), "cut at " + n);
            assertNull(rec.getString(Field.DECODE_ERROR), "TLS never sets an error");
        }
        byte[] longSni = new byte[20_000];
        Arrays.fill(longSni, (byte) 'a');
        PacketRecord r = decode(12, ipv4(6, "1.1.1.1", "2.2.2.2", tcp(1, 443, 1, 1, 0x18, 9,
                TsharkCrossCheckTest.clientHello(new String(longSni, StandardCharsets.US_ASCII)))));
        assertEquals("a".repeat(20_000), r.getString(Field.TLS_SNI), "a long server name is kept whole");
    }
}
