package org.packetrelay.pcap;

import java.lang.reflect.Field;

import com.sun.jna.Callback;
import com.sun.jna.Library;
import com.sun.jna.Native;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import org.pcap4j.core.PcapHandle;

/**
 * {@code pcap_loop} on a pcap4j handle with a callback that reads the packet header itself.
 *
 * <p>pcap4j's raw loop turns each header's timestamp into a {@code java.sql.Timestamp}, which throws for a
 * fraction outside 0..999,999 (micro) or 0..999,999,999 (nano) — real capture files have such records — and the
 * packet is then silently lost inside the JNA callback. This loop takes seconds and fraction as they are
 * (epoch nanoseconds = seconds * 1e9 + fraction, so an oversized fraction carries into the seconds; seconds are
 * unsigned 32-bit as the pcap format defines them, where libpcap sign-extends them) and never drops a packet. Everything else (open, filter, statistics, {@code breakLoop()}, {@code close()}) stays pcap4j's.
 */
final class NativeLoop {
    /** Receives each packet: captured bytes, length on the wire, timestamp in epoch nanoseconds. */
    interface Listener {
        void packet(byte[] data, int wireLength, long epochNanos);
    }

    interface PcapHandler extends Callback {
        void invoke(Pointer user, Pointer header, Pointer bytes);
    }

    private interface Lib extends Library {
        int pcap_loop(Pointer pcap, int count, PcapHandler handler, Pointer user);
    }

    private static final Lib LIB = Native.load(System.getProperty("org.pcap4j.core.pcapLibName", "pcap"), Lib.class);
    private static final Field HANDLE_FIELD;
    private static final java.lang.invoke.VarHandle LONG =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(long[].class, java.nio.ByteOrder.nativeOrder());
    private static final java.lang.invoke.VarHandle INT =
            java.lang.invoke.MethodHandles.byteArrayViewVarHandle(int[].class, java.nio.ByteOrder.nativeOrder());

    static {
        try {
            HANDLE_FIELD = PcapHandle.class.getDeclaredField("handle");
            HANDLE_FIELD.setAccessible(true);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private NativeLoop() {
    }

    /**
     * Runs {@code pcap_loop(handle, -1, ...)}: returns 0 at the end of a capture file, -2 after
     * {@code breakLoop()}, -1 on an error ({@code handle.getError()} says which).
     *
     * @param nano whether the handle gives nanosecond fractions (else microseconds)
     */
    static int loop(PcapHandle handle, boolean nano, Listener listener) {
        Pointer pcap;
        try {
            pcap = (Pointer) HANDLE_FIELD.get(handle);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
        final int longSize = NativeLong.SIZE;
        final long scale = nano ? 1L : 1000L;
        // struct pcap_pkthdr { struct timeval ts; bpf_u_int32 caplen; bpf_u_int32 len; }: read in one native call
        final byte[] hdr = new byte[2 * longSize + 8];
        PcapHandler handler = (user, header, bytes) -> {
            header.read(0, hdr, 0, hdr.length);
            long sec = longSize == 8 ? (long) LONG.get(hdr, 0) : (int) INT.get(hdr, 0);
            long frac = longSize == 8 ? (long) LONG.get(hdr, 8) : (int) INT.get(hdr, 4);
            if (sec < 0) {
                // pcap files hold unsigned 32-bit seconds; libpcap hands them over sign-extended
                sec &= 0xFFFFFFFFL;
            }
            if (frac < 0) {
                frac &= 0xFFFFFFFFL; // the same for the (unsigned 32-bit) fraction
            }
            int caplen = (int) INT.get(hdr, 2 * longSize);
            int len = (int) INT.get(hdr, 2 * longSize + 4);
            byte[] data = caplen <= 0 ? new byte[0] : bytes.getByteArray(0, caplen);
            listener.packet(data, len, sec * 1_000_000_000L + frac * scale);
        };
        int rc = LIB.pcap_loop(pcap, -1, handler, null);
        // keep the callback reachable until pcap_loop has returned
        java.lang.ref.Reference.reachabilityFence(handler);
        return rc;
    }
}
