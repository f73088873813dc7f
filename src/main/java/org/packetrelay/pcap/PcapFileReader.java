package org.packetrelay.pcap;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.function.BooleanSupplier;

import com.sun.jna.Native;
import com.sun.jna.Pointer;

/**
 * Reads a classic pcap file in Java, packet for packet as libpcap 1.10.3 (Debian 12's) reads it ({@code sf-pcap.c}),
 * for a replay without a BPF filter. {@code PcapFileReaderTest} compares the two with the libpcap installed, so a
 * libpcap that reads otherwise (1.10.5 takes the time fields as unsigned) shows there.
 *
 * <p>Why: through libpcap every packet costs a JNA call ({@code pcap_next_ex}, about 0.15 us) and a copy into
 * libpcap's buffer; the capture thread spent most of its time there. Here the file is read 1 MiB at a time into a
 * buffer in C memory, and each packet is handed to the {@link NativeLoop.Listener} at its address in that buffer, so
 * {@code RawBatch} copies it once, as it copies from libpcap. On the bench's capture the capture thread's CPU went
 * from 0.38 to 0.18 us a packet.
 *
 * <p>It takes only the files it reads exactly as libpcap does: a regular file of the classic format, version 2.4,
 * micro- or nanosecond magic in either byte order, whose link type libpcap neither rewrites nor gives another
 * length limit (see {@link #dltOf}). {@link #open} returns null for anything else (pcapng, older versions with
 * their swapped lengths, the "Kuznetzov" variant, USB and the other link types with pseudo-header fix-ups, a file
 * too short for a header, one that cannot be opened), and libpcap reads it, with its own error messages. Within a
 * file, the rules and the error texts are libpcap's: a captured length over {@value #MAX_SNAPLEN} ends the file in
 * an error; one over the file's snapshot length is cut to it and the rest skipped; a short header or packet at the
 * end is "truncated dump file"; times come as libpcap gives them (32-bit fields, signed in the machine's byte order
 * and unsigned in the other, scaled up or down to the precision asked for), then through
 * {@link NativeLoop#epochNanos}. {@code PcapFileReaderTest} holds it to libpcap on every file of the tcpdump corpus,
 * on files made for each rule and on random ones.
 */
final class PcapFileReader implements AutoCloseable {
    /** libpcap's MAXIMUM_SNAPLEN, the largest captured length it accepts for the link types read here. */
    static final int MAX_SNAPLEN = 262144;
    static final int BUFFER_BYTES = 1 << 20;

    // the file header (struct pcap_file_header)
    private static final int FILE_HEADER = 24;
    private static final int MAGIC = 0;
    private static final int VERSION_MAJOR = 4;
    private static final int VERSION_MINOR = 6;
    private static final int SNAPLEN = 16;
    private static final int LINKTYPE = 20;
    private static final int MAGIC_MICRO = 0xa1b2c3d4;
    private static final int MAGIC_NANO = 0xa1b23c4d;
    // each record's header (struct pcap_sf_pkthdr)
    private static final int RECORD_HEADER = 16;
    private static final int TS_SEC = 0;
    private static final int TS_FRAC = 4;
    private static final int CAPLEN = 8;
    private static final int LEN = 12;

    private final FileChannel channel;
    /**
     * Holds the unread part of the file from {@link #pos} to its limit (reads index it; its position is for
     * refills). Its memory is malloc'd and freed on {@link #close}: a direct buffer per file, left to the garbage
     * collector, would hold a MiB for every file of a replayed folder until a collection.
     */
    private final ByteBuffer buffer;
    private long address;
    private final int dlt;
    private final boolean swapped;
    private final int snapshot;
    /** How the file's fractions become the precision asked for: libpcap's scale types. */
    private final int scaleType;
    private static final int PASS_THROUGH = 0;
    private static final int SCALE_UP = 1; // microseconds in the file, nanoseconds asked for
    private static final int SCALE_DOWN = 2; // the other way
    /** NativeLoop.epochNanos's scale: 1 for nanosecond fractions, 1000 for microseconds. */
    private final long nanosScale;
    private int pos;
    private boolean eof;
    private String error = "";

    private PcapFileReader(FileChannel channel, ByteBuffer buffer, long address, int dlt, boolean swapped, int snapshot, int scaleType,
                           long nanosScale) {
        this.channel = channel;
        this.buffer = buffer;
        this.address = address;
        this.dlt = dlt;
        this.swapped = swapped;
        this.snapshot = snapshot;
        this.scaleType = scaleType;
        this.nanosScale = nanosScale;
        this.pos = FILE_HEADER;
    }

    /**
     * Opens {@code file} for reading with nanosecond ({@code nano}) or microsecond fractions; null when it is not a
     * file this class reads exactly as libpcap does (then nothing is lost: libpcap opens it from its start).
     */
    static PcapFileReader open(Path file, boolean nano) {
        if (!Files.isRegularFile(file)) {
            return null; // a pipe read here could not be handed back to libpcap from its start
        }
        FileChannel ch = null;
        long memory = 0;
        try {
            ch = FileChannel.open(file, StandardOpenOption.READ);
            memory = Native.malloc(BUFFER_BYTES);
            if (memory != 0) {
                ByteBuffer b = new Pointer(memory).getByteBuffer(0, BUFFER_BYTES);
                while (b.position() < FILE_HEADER && ch.read(b) > 0) {
                    // a header can come in pieces
                }
                PcapFileReader r = b.position() < FILE_HEADER ? null : of(ch, b.flip(), memory, nano);
                if (r != null) {
                    return r;
                }
            }
        } catch (IOException | RuntimeException e) {
            // libpcap opens it and says what is wrong
        }
        closeQuietly(ch);
        if (memory != 0) {
            Native.free(memory);
        }
        return null;
    }

    /** The reader on a file whose header is at the start of {@code b} (at {@code address}), or null if libpcap is to read it. */
    private static PcapFileReader of(FileChannel ch, ByteBuffer b, long address, boolean nano) {
        int magic = b.order(ByteOrder.nativeOrder()).getInt(MAGIC);
        boolean swapped = false;
        if (magic != MAGIC_MICRO && magic != MAGIC_NANO) {
            magic = Integer.reverseBytes(magic);
            swapped = true;
            if (magic != MAGIC_MICRO && magic != MAGIC_NANO) {
                return null; // pcapng, the Kuznetzov variant, or no capture
            }
        }
        if (swapped) {
            b.order(ByteOrder.nativeOrder() == ByteOrder.BIG_ENDIAN ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN);
        }
        if (b.getShort(VERSION_MAJOR) != 2 || b.getShort(VERSION_MINOR) != 4) {
            return null; // libpcap refuses it, or reads swapped lengths
        }
        int dlt = dltOf(b.getInt(LINKTYPE) & 0x03FFFFFF, swapped);
        if (dlt < 0) {
            return null;
        }
        int snaplen = b.getInt(SNAPLEN);
        int snapshot = snaplen <= 0 ? MAX_SNAPLEN : snaplen; // pcap_adjust_snapshot: 0 or over INT_MAX
        boolean fileNano = magic == MAGIC_NANO;
        int scaleType = fileNano == nano ? PASS_THROUGH : nano ? SCALE_UP : SCALE_DOWN;
        return new PcapFileReader(ch, b, address, dlt, swapped, snapshot, scaleType, nano ? 1L : 1000L);
    }

    /**
     * The DLT libpcap gives for a file's link type ({@code linktype_to_dlt}), or -1 where this class does not read
     * alike: a link type libpcap maps other than one to one, one whose pseudo-header it byte-swaps in a swapped file
     * or always fixes up ({@code pcap_post_process}), and one with a length limit other than {@value #MAX_SNAPLEN}
     * ({@code max_snaplen_for_dlt}).
     */
    static int dltOf(int linktype, boolean swapped) {
        switch (linktype) {
            case 0: // NULL
            case 1: // EN10MB
                return linktype;
            case 101: // LINKTYPE_RAW
                return 12; // DLT_RAW
            case 106, 246, 258: // ATM_CLIP, PFSYNC, PKTAP: mapped to platform DLTs
            case 220: // USB_LINUX_MMAPPED: length fix-up
            case 231, 249, 279: // DBUS, USBPCAP, EBHSCR: other length limits
                return -1;
            case 113, 117, 189, 239, 276: // LINUX_SLL, PFLOG, USB_LINUX, NFLOG, LINUX_SLL2: swapped pseudo-headers
                return swapped ? -1 : linktype;
            default:
                return linktype >= 104 && linktype <= 289 ? linktype : -1; // LINKTYPE_MATCHING_MIN..MAX
        }
    }

    /** The link type (DLT) of the packets. */
    int dlt() {
        return dlt;
    }

    /** Why the last {@link #loop} returned -1, in libpcap's words. */
    String error() {
        return error;
    }

    /**
     * Hands each packet to {@code listener} until the end of the file (returns 0), an error (-1, see
     * {@link #error}) or {@code stop} (checked before every packet; returns -2, and the next call reads on). The
     * packet's address is valid during the call only.
     */
    int loop(BooleanSupplier stop, NativeLoop.Listener listener) {
        if (address == 0) {
            return fail("the file is closed");
        }
        try {
            while (!stop.getAsBoolean()) {
                if (!fill(RECORD_HEADER)) {
                    int got = buffer.limit() - pos;
                    return got == 0 ? 0 : fail(String.format(Locale.ROOT,
                            "truncated dump file; tried to read %d header bytes, only got %d", RECORD_HEADER, got));
                }
                long sec = buffer.getInt(pos + TS_SEC);
                long frac = buffer.getInt(pos + TS_FRAC);
                if (swapped) {
                    // libpcap reads the fields as signed 32-bit numbers, but its SWAPLONG makes them unsigned
                    sec &= 0xFFFFFFFFL;
                    frac &= 0xFFFFFFFFL;
                }
                long caplen = buffer.getInt(pos + CAPLEN) & 0xFFFFFFFFL;
                int len = buffer.getInt(pos + LEN);
                if (scaleType == SCALE_UP) {
                    frac *= 1000;
                } else if (scaleType == SCALE_DOWN) {
                    frac /= 1000;
                }
                if (caplen > MAX_SNAPLEN) {
                    return fail(caplen > snapshot
                            ? String.format(Locale.ROOT, "invalid packet capture length %d, bigger than snaplen of %d", caplen, snapshot)
                            : String.format(Locale.ROOT, "invalid packet capture length %d, bigger than maximum of %d", caplen, MAX_SNAPLEN));
                }
                int take = (int) Math.min(caplen, snapshot);
                if (!fill(RECORD_HEADER + take)) {
                    return fail(String.format(Locale.ROOT, "truncated dump file; tried to read %d captured bytes, only got %d", take,
                            buffer.limit() - pos - RECORD_HEADER));
                }
                int at = pos + RECORD_HEADER;
                pos = at + take;
                if (take < caplen) {
                    long skipped = skip(caplen - take);
                    if (skipped < caplen - take) {
                        return fail(String.format(Locale.ROOT, "truncated dump file; tried to read %d captured bytes, only got %d", caplen,
                                take + skipped));
                    }
                }
                listener.packet(address + at, take, len, NativeLoop.epochNanos(sec, frac, nanosScale));
            }
            return -2;
        } catch (ClosedByInterruptException e) {
            // a FileChannel closes when its thread is interrupted (libpcap's stdio does not): only a task being stopped is
            return fail("error reading dump file: the capture thread was interrupted");
        } catch (IOException e) {
            return fail("error reading dump file: " + e.getMessage());
        }
    }

    private int fail(String message) {
        error = message;
        return -1;
    }

    /** Whether {@code n} bytes from {@code pos} are in the buffer, reading more if needed (false: the file ends before). */
    private boolean fill(int n) throws IOException {
        if (buffer.limit() - pos >= n) {
            return true;
        }
        if (eof) {
            return false;
        }
        buffer.position(pos).compact(); // the unread rest to the start, then read after it
        pos = 0;
        while (buffer.position() < n) {
            if (channel.read(buffer) < 0) {
                eof = true;
                break;
            }
        }
        buffer.flip();
        return buffer.limit() >= n;
    }

    /** Skips {@code n} bytes from {@code pos}, in the buffer and then in the file; returns how many there were. */
    private long skip(long n) throws IOException {
        int inBuffer = (int) Math.min(n, buffer.limit() - pos);
        pos += inBuffer;
        if (inBuffer == n) {
            return n;
        }
        if (eof) {
            return inBuffer; // as C's stdio, once at the end, reads no more of a file that grows
        }
        long rest = n - inBuffer;
        long left = Math.max(0, channel.size() - channel.position());
        long skipped = Math.min(rest, left);
        channel.position(channel.position() + skipped);
        return inBuffer + skipped;
    }

    /** Closes the file and frees the buffer (once: a second call does nothing). */
    @Override
    public void close() {
        closeQuietly(channel);
        if (address != 0) {
            Native.free(address);
            address = 0;
        }
    }

    private static void closeQuietly(FileChannel ch) {
        if (ch != null) {
            try {
                ch.close();
            } catch (IOException e) {
                // read only: nothing is lost
            }
        }
    }
}
