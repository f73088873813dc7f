package org.packetrelay.pcap;

import java.lang.reflect.Constructor;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;

import com.sun.jna.Native;
import com.sun.jna.NativeLibrary;
import com.sun.jna.NativeLong;
import com.sun.jna.Pointer;
import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapHandle.TimestampPrecision;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.Pcaps;

/**
 * A capture file open for replay: read by {@link PcapFileReader} in Java where that reads it as libpcap does
 * ({@link #read}), else by libpcap through a stdio stream with a {@value #BUFFER_BYTES}-byte buffer ({@link #open}).
 *
 * <p>Why not {@code Pcaps.openOffline}: libpcap then opens the file with {@code fopen} and the C library's default
 * buffer (4 KiB here), so a replay makes a read(2) every few packets; on the bench's capture that system time was
 * about 0.1 us a packet, most of it the cost of the call, not of the copy. So the stream is opened here, given a large buffer
 * before anything is read from it (the only time C allows it), and handed to
 * {@code pcap_fopen_offline_with_tstamp_precision}; pcap4j's handle is then made on the {@code pcap_t} it returns, as
 * {@code Pcaps.openOffline} makes it. Closing the handle closes the stream ({@code pcap_close}); the buffer is freed
 * after that.
 *
 * <p>Where anything of that fails (the file cannot be opened, is no capture, pcap4j's constructor is not there),
 * the file is opened by {@code Pcaps.openOffline} instead, with the default buffer: so errors read as libpcap
 * words them.
 */
final class ReplayFile implements AutoCloseable {
    static final int BUFFER_BYTES = 1 << 20;
    private static final int IOFBF = 0; // setvbuf's full buffering, as glibc and musl define it
    private static final int ERRBUF_SIZE = 256; // PCAP_ERRBUF_SIZE
    private static final Constructor<PcapHandle> HANDLE = handleConstructor();

    static {
        Native.register(ReplayFile.class, NativeLibrary.getInstance(System.getProperty("org.pcap4j.core.pcapLibName", "pcap")));
    }

    /** libpcap's handle, null for a file read in Java. */
    private final PcapHandle handle;
    /** The Java reader, null for a file read by libpcap. */
    private final PcapFileReader reader;
    /** The stream's buffer (malloc'd), 0 for a file opened by pcap4j or once freed. */
    private long buffer;

    private ReplayFile(PcapHandle handle, long buffer) {
        this.handle = handle;
        this.reader = null;
        this.buffer = buffer;
    }

    private ReplayFile(PcapFileReader reader) {
        this.handle = null;
        this.reader = reader;
    }

    private static native Pointer pcap_fopen_offline_with_tstamp_precision(Pointer stream, int precision, byte[] errbuf);

    private static native void pcap_close(Pointer pcap);

    /** The C library's stream functions. */
    private static final class LibC {
        static {
            Native.register(LibC.class, NativeLibrary.getInstance("c"));
        }

        /** {@code FILE *fopen(const char *path, const char *mode)}; {@code path} ends in a NUL byte. */
        static native Pointer fopen(byte[] path, String mode);

        static native int setvbuf(Pointer stream, Pointer buffer, int mode, NativeLong size); // size_t

        static native int fclose(Pointer stream);
    }

    /**
     * Opens {@code file} to be read in Java if {@link PcapFileReader} reads it as libpcap does, else by libpcap
     * ({@link #open}); throws as {@code Pcaps.openOffline} does. Not for a replay with a BPF filter, which libpcap
     * applies.
     */
    static ReplayFile read(Path file, TimestampPrecision precision) throws PcapNativeException {
        PcapFileReader r = PcapFileReader.open(file, precision == TimestampPrecision.NANO);
        return r != null ? new ReplayFile(r) : open(file, precision);
    }

    /** Opens {@code file} to be read by libpcap; throws as {@code Pcaps.openOffline} does. */
    static ReplayFile open(Path file, TimestampPrecision precision) throws PcapNativeException {
        if (HANDLE != null) {
            byte[] path = (file.toString() + "\0").getBytes(StandardCharsets.UTF_8);
            Pointer stream = LibC.fopen(path, "rb");
            if (stream != null) {
                long buffer = Native.malloc(BUFFER_BYTES);
                Pointer pcap = buffer != 0 && LibC.setvbuf(stream, new Pointer(buffer), IOFBF, new NativeLong(BUFFER_BYTES)) == 0
                        ? pcap_fopen_offline_with_tstamp_precision(stream, precision.getValue(), new byte[ERRBUF_SIZE])
                        : null;
                if (pcap != null) {
                    try {
                        return new ReplayFile(HANDLE.newInstance(pcap, precision), buffer);
                    } catch (ReflectiveOperationException | RuntimeException e) {
                        pcap_close(pcap); // the stream is libpcap's now: this closes it too
                    }
                } else {
                    LibC.fclose(stream); // libpcap closes the stream only once it made a pcap_t of it
                }
                Native.free(buffer);
            }
        }
        return new ReplayFile(Pcaps.openOffline(file.toString(), precision), 0);
    }

    /** libpcap's handle on the file; null for a file read in Java. */
    PcapHandle handle() {
        return handle;
    }

    /** The link type (DLT) of its packets. */
    int dlt() {
        return reader != null ? reader.dlt() : handle.getDlt().value();
    }

    /**
     * Reads packets as {@link NativeLoop#loop} does for a capture file: to the end (0), an error (-1: see
     * {@link #error}) or {@code stop} (-2; the next call reads on).
     *
     * @param nano whether it was opened for nanosecond fractions
     */
    int loop(boolean nano, BooleanSupplier stop, NativeLoop.Listener listener) {
        return reader != null ? reader.loop(stop, listener) : NativeLoop.loop(handle, nano, true, stop, listener);
    }

    /** Why {@link #loop} returned -1, in libpcap's words. */
    String error() {
        if (reader != null) {
            return reader.error();
        }
        try {
            return handle.getError();
        } catch (NotOpenException e) {
            return "handle closed";
        }
    }

    /** Whether it is read in Java ({@link PcapFileReader}). */
    boolean isReadInJava() {
        return reader != null;
    }

    /** Closes the file: the reader, or the handle and its stream, then frees the buffer. */
    @Override
    public void close() {
        if (reader != null) {
            reader.close();
            return;
        }
        handle.close();
        if (buffer != 0) {
            Native.free(buffer);
            buffer = 0;
        }
    }

    private static Constructor<PcapHandle> handleConstructor() {
        try {
            Constructor<PcapHandle> c = PcapHandle.class.getDeclaredConstructor(Pointer.class, TimestampPrecision.class);
            c.setAccessible(true);
            return c;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
    }
}
