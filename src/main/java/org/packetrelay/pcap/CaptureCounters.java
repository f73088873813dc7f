package org.packetrelay.pcap;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * The counters of one capture consumer, shared by its capture tasks, its delivery and (through each
 * {@link PacketBatch}) the spool: packets captured, dropped by the kernel and the interface (libpcap's statistics,
 * per source), dropped for a full spool, and decoded with an error.
 */
public final class CaptureCounters implements PacketBatch.Counters {
    private final LongAdder captured = new LongAdder();
    private final LongAdder decodeErrors = new LongAdder();
    private final LongAdder spoolDropped = new LongAdder();
    /** Per source: {kernel drops, interface drops}, as libpcap last reported them. */
    private final Map<String, long[]> drops = new ConcurrentHashMap<>();

    void countCaptured() {
        captured.increment();
    }

    void countDecodeErrors(int n) {
        if (n > 0) {
            decodeErrors.add(n);
        }
    }

    void drops(String source, long kernel, long iface) {
        drops.put(source, new long[] {kernel, iface});
    }

    @Override
    public void spoolDropped(long packets) {
        spoolDropped.add(packets);
    }

    public long captured() {
        return captured.sum();
    }

    public long droppedByKernel() {
        return drops.values().stream().mapToLong(d -> d[0]).sum();
    }

    public long droppedByInterface() {
        return drops.values().stream().mapToLong(d -> d[1]).sum();
    }

    public long droppedSpoolFull() {
        return spoolDropped.sum();
    }

    public long decodeErrors() {
        return decodeErrors.sum();
    }

    /** One line with the counters, for the spool log. */
    @Override
    public String line() {
        return "captured=" + captured() + " droppedByKernel=" + droppedByKernel() + " droppedByInterface=" + droppedByInterface()
               + " droppedSpoolFull=" + droppedSpoolFull() + " decodeErrors=" + decodeErrors();
    }
}
