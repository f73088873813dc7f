package org.packetrelay.pcap;

import java.lang.reflect.Field;
import java.util.function.BooleanSupplier;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import org.pcap4j.core.PcapHandle;
import sun.misc.Unsafe;

/**
 * The capture loop: libpcap's {@code pcap_next_ex} on a pcap4j handle, called through a JNA direct mapping, with
 * the packet header read by this class.
 *
 * <p>Why not pcap4j's loop: its raw loop turns each header's timestamp into a {@code java.sql.Timestamp}, which
 * throws for a fraction outside 0..999,999 (micro) or 0..999,999,999 (nano) — real capture files have such
 * records — and the packet is then silently lost inside the JNA callback. Here seconds and fraction are taken as
 * they are (epoch nanoseconds = seconds * 1e9 + fraction, so an oversized fraction carries into the seconds;
 * seconds are unsigned 32-bit as the pcap format defines them, where libpcap sign-extends them; a pcapng time
 * beyond 2262, which nanoseconds in a long cannot hold, is clamped to {@link #MAX_EPOCH_NANOS}) and no packet is
 * ever dropped.
 *
 * <p>Why {@code pcap_next_ex} and not {@code pcap_loop}: a JNA callback costs about a microsecond per packet
 * (reflection, argument objects); a direct-mapped call returning the header and data addresses in two
 * {@code long[1]} costs a fraction of that, and with 64-bit addresses in place of the arrays less again; the header
 * is read and the bytes copied with {@code Unsafe}, not JNI.
 * Measured on the 1.5M-packet bench capture, the bare loop (header + copy of the bytes): 1.24M packets/s against 0.39-0.55M with the {@code pcap_loop} callback (pcap4j's own
 * {@code getNextRawPacketEx} is slower still: it allocates by-reference objects and a Timestamp per packet).
 * Everything else (open, filter, statistics, {@code breakLoop()}, {@code close()}) stays pcap4j's.
 */
final class NativeLoop {
    /**
     * Receives each packet: the address of the captured bytes in libpcap's memory (valid during the call only; copy
     * them with {@link #copy}), their length,
     * the length on the wire, the timestamp in epoch nanoseconds.
     */
    interface Listener {
        void packet(long data, int capLength, int wireLength, long epochNanos);
    }

    private static final Field HANDLE_FIELD;
    private static final int LONG_SIZE = NativeLong.SIZE;
    // struct pcap_pkthdr { struct timeval ts; bpf_u_int32 caplen; bpf_u_int32 len; }
    /**
     * Reads libpcap's packet header and copies the packet out of libpcap's buffer without a JNI call: JNA's
     * {@code Pointer.read} is one per call, and with it the bare loop did three native calls a packet (pcap_next_ex,
     * header, data) where now it does one.
     */
    private static final Unsafe UNSAFE;
    private static final long BYTES = Unsafe.ARRAY_BYTE_BASE_OFFSET;

    static {
        Native.register(NativeLoop.class, NativeLibrary.getInstance(System.getProperty("org.pcap4j.core.pcapLibName", "pcap")));
        try {
            HANDLE_FIELD = PcapHandle.class.getDeclaredField("handle");
            HANDLE_FIELD.setAccessible(true);
            Field unsafe = Unsafe.class.getDeclaredField("theUnsafe");
            unsafe.setAccessible(true);
            UNSAFE = (Unsafe) unsafe.get(null);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** {@code int pcap_next_ex(pcap_t *p, struct pcap_pkthdr **header, const u_char **data)}; addresses come back in the arrays. */
    private static native int pcap_next_ex(Pointer pcap, long[] header, long[] data);

    /**
     * The same function with every pointer passed as a 64-bit address: JNA then converts no argument, where the
     * arrays above cost a JNI copy in and out (malloc, copy, free) of each per packet: measured, the bare loop takes
     * 0.8 of the CPU it took with them. Only where pointers are 64 bits wide ({@link #ADDRESSES}).
     */
    private static native int pcap_next_ex(long pcap, long header, long data);

    /** Whether a pointer fits the {@code long} arguments of the array-free {@code pcap_next_ex}. */
    private static final boolean ADDRESSES = Native.POINTER_SIZE == 8;

    private NativeLoop() {
    }

    /**
     * Reads packets until the end of a capture file (returns 0), until {@code stop} says so or libpcap's loop is
     * broken ({@code breakLoop()}, returns -2), or an error (-1; {@code handle.getError()} says which). A live
     * capture's read timeout just reads on. {@code stop} is checked before every packet.
     *
     * @param nano    whether the handle gives nanosecond fractions (else microseconds)
     * @param offline whether the handle reads a capture file (there libpcap's -2 means the end of the file)
     */
    static int loop(PcapHandle handle, boolean nano, boolean offline, BooleanSupplier stop, Listener listener) {
        return loop(handle, nano, offline, stop, listener, ADDRESSES);
    }

    /** The same, calling the address form of {@code pcap_next_ex} or (on 64 bits too, for the tests) the array one. */
    static int loop(PcapHandle handle, boolean nano, boolean offline, BooleanSupplier stop, Listener listener, boolean addresses) {
        Pointer pcap;
        try {
            pcap = (Pointer) HANDLE_FIELD.get(handle);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
        final long scale = nano ? 1L : 1000L;
        // pcap_next_ex's two out-parameters for the array call (32-bit), else unused
        final long[] headerAt = addresses ? null : new long[1];
        final long[] dataAt = addresses ? null : new long[1];
        // pcap_next_ex's two out-parameters, header then data address, for the array-free call
        final long out = addresses ? UNSAFE.allocateMemory(16) : 0;
        final long pcapAddress = Pointer.nativeValue(pcap);
        try {
            while (!stop.getAsBoolean()) {
                int rc = addresses ? pcap_next_ex(pcapAddress, out, out + 8) : pcap_next_ex(pcap, headerAt, dataAt);
                if (rc == 0) {
                    continue; // live: the read timeout passed without a packet
                }
                if (rc != 1) {
                    return rc == -2 ? (offline ? 0 : -2) : -1;
                }
                long h = addresses ? UNSAFE.getLong(out) : headerAt[0];
                long data = addresses ? UNSAFE.getLong(out + 8) : dataAt[0];
                long sec = LONG_SIZE == 8 ? UNSAFE.getLong(h) : UNSAFE.getInt(h);
                long frac = LONG_SIZE == 8 ? UNSAFE.getLong(h + 8) : UNSAFE.getInt(h + 4);
                int caplen = UNSAFE.getInt(h + 2 * LONG_SIZE);
                int len = UNSAFE.getInt(h + 2 * LONG_SIZE + 4);
                listener.packet(data, Math.max(0, caplen), len, epochNanos(sec, frac, scale));
            }
            return -2;
        } finally {
            if (out != 0) {
                UNSAFE.freeMemory(out);
            }
        }
    }

    /** Copies {@code n} bytes from native memory at {@code address} into {@code dst} from {@code at}. */
    static void copy(long address, byte[] dst, int at, int n) {
        if (at < 0 || n < 0 || at + n > dst.length) {
            throw new IndexOutOfBoundsException(at + "+" + n + " of " + dst.length);
        }
        UNSAFE.copyMemory(null, address, dst, BYTES + at, n);
    }

    /** The largest time a record holds: 2262-04-11T23:47:16.854775807Z, as epoch nanoseconds. */
    static final long MAX_EPOCH_NANOS = Long.MAX_VALUE;

    /**
     * Epoch nanoseconds of a header's seconds and fraction ({@code scale} 1 for nanoseconds, 1000 for microseconds),
     * at most {@link #MAX_EPOCH_NANOS}. Classic pcap holds unsigned 32-bit seconds and fractions, which libpcap
     * hands over sign-extended: a value in -2^31..-1 is taken as unsigned. A pcapng timestamp is 64 bits, so its
     * seconds can exceed what nanoseconds in a long hold (from about 9.2e9 s on; a "negative" 64-bit value is a
     * huge unsigned one): such a time is clamped instead of overflowing into a negative or wrong value.
     */
    static long epochNanos(long sec, long frac, long scale) {
        if (sec < 0) {
            if (sec < Integer.MIN_VALUE) {
                return MAX_EPOCH_NANOS;
            }
            sec &= 0xFFFFFFFFL;
        }
        if (frac < 0) {
            frac = frac < Integer.MIN_VALUE ? 0xFFFFFFFFL : frac & 0xFFFFFFFFL;
        }
        long fracNanos = frac * scale; // at most 2^32 * 1000: no overflow
        if (sec > (MAX_EPOCH_NANOS - fracNanos) / 1_000_000_000L) {
            return MAX_EPOCH_NANOS;
        }
        return sec * 1_000_000_000L + fracNanos;
    }
}
