package org.packetrelay.bench;

import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import org.pcap4j.core.BpfProgram;
import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.PcapNetworkInterface;
import org.pcap4j.core.PcapNetworkInterface.PromiscuousMode;
import org.pcap4j.core.PcapStat;
import org.pcap4j.core.Pcaps;
import org.pcap4j.core.RawPacketListener;

/**
 * A live capture on the loopback interface with pcap4j, limited by a BPF filter to the bench's own ports: a capture
 * thread runs {@code handle.loop(-1, RawPacketListener)} while the caller makes traffic; then {@code breakLoop()},
 * join, and only then {@code close()} (never close a handle while its loop runs).
 */
public final class LoopbackCapture implements AutoCloseable {
    /** One captured packet: the bytes as captured, the capture time and the length on the wire. */
    public record Packet(byte[] data, long epochNanos, int originalLength) {
    }

    private final PcapHandle handle;
    private final int maxPackets;
    private final List<Packet> packets = new ArrayList<>();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final Thread thread;
    private PcapStat stats;
    private boolean stopped;

    private LoopbackCapture(PcapHandle handle, int maxPackets) {
        this.handle = handle;
        this.maxPackets = maxPackets;
        this.thread = new Thread(this::run, "bench-capture");
        this.thread.setDaemon(true);
    }

    /** Opens "lo", sets the filter and starts the capture thread (packets sent from now on are caught). */
    public static LoopbackCapture start(String filter, int maxPackets) throws PcapNativeException, NotOpenException {
        PcapNetworkInterface lo = Pcaps.getDevByName("lo");
        if (lo == null) {
            throw new IllegalStateException("libpcap sees no interface 'lo'");
        }
        // like lo.openLive(...), plus a 32 MB kernel buffer and immediate mode so that bursts are not dropped
        PcapHandle h = new PcapHandle.Builder(lo.getName())
                .snaplen(65535)
                .promiscuousMode(PromiscuousMode.NONPROMISCUOUS)
                .timeoutMillis(20)
                .bufferSize(32 * 1024 * 1024)
                .immediateMode(true)
                .build();
        try {
            h.setFilter(filter, BpfProgram.BpfCompileMode.OPTIMIZE);
        } catch (PcapNativeException | NotOpenException | RuntimeException e) {
            h.close();
            throw e;
        }
        LoopbackCapture c = new LoopbackCapture(h, maxPackets);
        c.thread.start();
        return c;
    }

    public int dlt() {
        return handle.getDlt().value();
    }

    private void run() {
        RawPacketListener listener = data -> {
            if (packets.size() >= maxPackets) {
                return;
            }
            Timestamp ts = handle.getTimestamp();
            Integer orig = handle.getOriginalLength();
            long nanos = Math.floorDiv(ts.getTime(), 1000L) * 1_000_000_000L + ts.getNanos();
            packets.add(new Packet(data, nanos, orig == null ? data.length : orig));
        };
        try {
            handle.loop(-1, listener);
        } catch (InterruptedException e) {
            // breakLoop(): the normal end
        } catch (Throwable e) {
            failure.set(e);
        }
    }

    /** Lets the last packets arrive, breaks the loop, joins the thread, then closes the handle; returns the packets. */
    public List<Packet> stop(long settleMillis) throws Exception {
        Thread.sleep(settleMillis);
        handle.breakLoop();
        thread.join(10_000);
        if (thread.isAlive()) {
            throw new IllegalStateException("capture thread did not end after breakLoop()");
        }
        try {
            stats = handle.getStats();
        } catch (PcapNativeException | NotOpenException e) {
            stats = null;
        }
        stopped = true;
        handle.close();
        if (failure.get() != null) {
            throw new IllegalStateException("capture loop failed: " + failure.get(), failure.get());
        }
        return packets;
    }

    /** libpcap's counters after stop(): "received=... dropped=..." (or "n/a"). */
    public String statsLine() {
        if (stats == null) {
            return "n/a";
        }
        return "received=" + stats.getNumPacketsReceived() + " droppedByKernel=" + stats.getNumPacketsDropped()
               + " droppedByInterface=" + stats.getNumPacketsDroppedByIf();
    }

    @Override
    public void close() throws Exception {
        if (!stopped) {
            handle.breakLoop();
            thread.join(10_000);
            if (!thread.isAlive()) {
                handle.close();
            }
            stopped = true;
        }
    }
}
