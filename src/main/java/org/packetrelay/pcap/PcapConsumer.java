package org.packetrelay.pcap;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.Suspendable;
import org.apache.camel.api.management.ManagedAttribute;
import org.apache.camel.api.management.ManagedResource;
import org.apache.camel.support.DefaultConsumer;
import org.packetrelay.catalog.Field;
import org.packetrelay.catalog.PacketRecord;
import org.packetrelay.decode.PacketDecoder;
import org.pcap4j.core.NotOpenException;
import com.sun.jna.Pointer;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.PcapStat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One capture thread per interface (or one replay thread), each running libpcap's loop ({@link NativeLoop}) and
 * copying the packets into raw micro-batches bounded by count ({@code batchSize}), bytes (1 MiB) and age
 * ({@code batchInterval}); one delivery thread decodes each micro-batch into CSV rows and runs the route with it,
 * so reading and decoding use two cores. Stop: breakLoop, join, close, then the delivery thread drains the queue.
 * Suspend: the loops wait with their handles open, and suspending returns once every packet read so far has been
 * through the route (at most 5 s + 25 s), so Camel's graceful shutdown, which suspends and then forces the
 * aggregator, finds nothing left over.
 */
@ManagedResource(description = "Managed PcapConsumer")
public class PcapConsumer extends DefaultConsumer implements Suspendable {
    private static final Logger LOG = LoggerFactory.getLogger(PcapConsumer.class);

    private final PcapEndpoint endpoint;
    private final List<Capture> captures = new ArrayList<>();
    private final LongAdder captured = new LongAdder();
    private final LongAdder decodeErrors = new LongAdder();
    private final LongAdder spoolDropped = new LongAdder();
    private final Object pauseMonitor = new Object();
    private ExecutorService executor;
    private ScheduledExecutorService flusher;
    // micro-batches of raw packets go from the capture threads to one delivery thread, which decodes them and runs
    // the route (aggregation and spool writes), so that the capture threads only read: reading and decoding use
    // both cores. Bounded (a full queue makes capture wait; at most QUEUED * ~1 MiB); raw batches are reused.
    private static final int QUEUED = 32;
    private static final int RAW_BATCH_BYTES = 1 << 20;
    private final java.util.concurrent.BlockingQueue<RawBatch> handOver = new java.util.concurrent.ArrayBlockingQueue<>(QUEUED);
    private final java.util.concurrent.BlockingQueue<RawBatch> spare = new java.util.concurrent.ArrayBlockingQueue<>(QUEUED + 8);
    private final PacketDecoder decoder = new PacketDecoder();
    private final PacketRecord record = new PacketRecord();
    private byte[] scratch = new byte[65536];
    private int csvBytes = 64 * 1024;
    private ExecutorService deliverer;
    // micro-batches handed over and not yet through the route: a suspend waits until it is 0
    private final java.util.concurrent.atomic.AtomicInteger inHand = new java.util.concurrent.atomic.AtomicInteger();
    private volatile boolean delivering;
    private CountDownLatch delivered;
    private volatile boolean running;
    private volatile boolean paused;
    private volatile boolean replayComplete;

    public PcapConsumer(PcapEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
        this.endpoint = endpoint;
    }

    @Override
    public PcapEndpoint getEndpoint() {
        return endpoint;
    }

    @ManagedAttribute(description = "Packets captured (read from libpcap and decoded)")
    public long getPacketsCaptured() {
        return captured.sum();
    }

    @ManagedAttribute(description = "Packets dropped by the kernel because the capture buffer was full (libpcap ps_drop)")
    public long getPacketsDroppedByKernel() {
        long n = 0;
        for (Capture c : snapshot()) {
            n += c.kernelDrops.get();
        }
        return n;
    }

    @ManagedAttribute(description = "Packets dropped by the network interface or its driver (libpcap ps_ifdrop)")
    public long getPacketsDroppedByInterface() {
        long n = 0;
        for (Capture c : snapshot()) {
            n += c.ifDrops.get();
        }
        return n;
    }

    @ManagedAttribute(description = "Packets whose decoding stopped early (decode_error is set)")
    public long getDecodeErrors() {
        return decodeErrors.sum();
    }

    @ManagedAttribute(description = "Packets captured but dropped because the spool was full (sniffer.max-spool-mb, sniffer.min-free-mb) or not writable")
    public long getPacketsDroppedSpoolFull() {
        return spoolDropped.sum();
    }

    /** Counts packets of this consumer that the spool could not take. */
    public void spoolDropped(long packets) {
        spoolDropped.add(packets);
    }

    @ManagedAttribute(description = "Interfaces or capture files this consumer reads")
    public String getSources() {
        List<String> names = new ArrayList<>();
        for (Capture c : snapshot()) {
            names.add(c.name);
        }
        return String.join(",", names);
    }

    @ManagedAttribute(description = "Capture threads reading right now (interfaces, or 1 during a replay)")
    public int getActiveSources() {
        int n = 0;
        for (Capture c : snapshot()) {
            if (c.done.getCount() > 0) {
                n++;
            }
        }
        return n;
    }

    @ManagedAttribute(description = "Whether a replay has read every packet of its capture files")
    public boolean isReplayComplete() {
        return replayComplete;
    }

    @ManagedAttribute(description = "Whether capture is paused (route suspended)")
    public boolean isPaused() {
        return paused;
    }

    /** One line with the counters, for the spool log. */
    public String countersLine() {
        return "captured=" + getPacketsCaptured() + " droppedByKernel=" + getPacketsDroppedByKernel()
               + " droppedByInterface=" + getPacketsDroppedByInterface() + " droppedSpoolFull=" + getPacketsDroppedSpoolFull()
               + " decodeErrors=" + getDecodeErrors();
    }

    private List<Capture> snapshot() {
        synchronized (captures) {
            return new ArrayList<>(captures);
        }
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        PcapSources sources = PcapSources.of(endpoint);
        PcapSources.libpcapVersion();
        if (endpoint.effectiveFilter() != null) {
            sources.compileFilter(endpoint.effectiveFilter());
        }
        List<Capture> list = new ArrayList<>();
        if (sources.isReplay()) {
            list.add(new Capture(sources.files(), sources));
        } else {
            boolean all = "all".equals(endpoint.getInterfaces());
            for (String name : sources.interfaceNames()) {
                try {
                    list.add(new Capture(name, sources.openLive(name)));
                } catch (PcapException e) {
                    if (!all) {
                        list.forEach(Capture::close);
                        throw e;
                    }
                    LOG.warn("Skipping interface {}: {}", name, e.getMessage());
                }
            }
            if (list.isEmpty()) {
                throw new PcapException("no interface could be opened for capture");
            }
        }
        synchronized (captures) {
            captures.clear();
            captures.addAll(list);
        }
        running = true;
        paused = false;
        executor = getEndpoint().getCamelContext().getExecutorServiceManager()
                .newFixedThreadPool(this, "pcap-" + endpoint.getInterfaces(), list.size());
        flusher = getEndpoint().getCamelContext().getExecutorServiceManager()
                .newSingleThreadScheduledExecutor(this, "pcap-flush");
        long tick = Math.max(10, endpoint.getBatchInterval() / 2);
        flusher.scheduleWithFixedDelay(this::flushDue, tick, tick, TimeUnit.MILLISECONDS);
        delivering = true;
        inHand.set(handOver.size());
        delivered = new CountDownLatch(1);
        deliverer = getEndpoint().getCamelContext().getExecutorServiceManager().newSingleThreadExecutor(this, "pcap-deliver");
        deliverer.submit(this::deliverLoop);
        for (Capture c : list) {
            executor.submit(c);
        }
        LOG.info("Capturing on {} (libpcap {}, filter: {})", getSources(), PcapSources.libpcapVersion(),
                endpoint.effectiveFilter() == null ? "none" : endpoint.effectiveFilter());
    }

    @Override
    protected void doStop() throws Exception {
        running = false;
        synchronized (pauseMonitor) {
            pauseMonitor.notifyAll();
        }
        List<Capture> list = snapshot();
        for (Capture c : list) {
            c.breakLoop();
        }
        for (Capture c : list) {
            if (!c.done.await(10, TimeUnit.SECONDS)) {
                LOG.warn("Capture thread on {} did not stop within 10 s", c.name);
            }
            c.close();
        }
        if (flusher != null) {
            getEndpoint().getCamelContext().getExecutorServiceManager().shutdownNow(flusher);
            flusher = null;
        }
        delivering = false; // the delivery thread hands over what is queued, then ends
        if (delivered != null && !delivered.await(30, TimeUnit.SECONDS)) {
            LOG.warn("Capture delivery did not finish within 30 s ({} batches queued)", handOver.size());
        }
        if (deliverer != null) {
            getEndpoint().getCamelContext().getExecutorServiceManager().shutdown(deliverer);
            deliverer = null;
        }
        if (executor != null) {
            getEndpoint().getCamelContext().getExecutorServiceManager().shutdown(executor);
            executor = null;
        }
        LOG.info("Capture stopped: {}", countersLine());
        super.doStop();
    }

    @Override
    protected void doSuspend() throws Exception {
        // Suspended means: no packet is being read, and every packet read so far has been through the route.
        // Camel's graceful shutdown suspends this consumer, waits for in-flight exchanges and then forces the
        // aggregator to complete; a batch still queued for the delivery thread at that moment would reach the
        // aggregator after its forced completion and stay an incomplete .part file.
        paused = true;
        List<Capture> list = snapshot();
        for (Capture c : list) {
            c.breakLoop();
        }
        // at most 5 s for all the capture threads, then 25 s for the queue: within Camel's shutdown timeout (45 s)
        long parkedBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        for (Capture c : list) {
            c.awaitParked(parkedBy);
            c.flush(false);
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(25);
        while (inHand.get() > 0 && System.nanoTime() - deadline < 0) {
            Thread.sleep(1);
        }
        if (inHand.get() > 0) {
            LOG.warn("Capture paused with {} batches still queued for the route after 25 s", inHand.get());
        }
        LOG.info("Capture paused on {} (handles stay open; the kernel drops what does not fit its buffer)", getSources());
    }

    @Override
    protected void doResume() throws Exception {
        paused = false;
        synchronized (pauseMonitor) {
            pauseMonitor.notifyAll();
        }
        LOG.info("Capture resumed on {}", getSources());
    }

    private void flushDue() {
        long now = System.nanoTime();
        for (Capture c : snapshot()) {
            try {
                c.flushIfOlder(now - TimeUnit.MILLISECONDS.toNanos(endpoint.getBatchInterval()));
                c.updateStats(now);
            } catch (Throwable e) {
                LOG.warn("Flushing capture batch on {} failed: {}", c.name, e.toString());
            }
        }
    }

    /** Queues a micro-batch for the delivery thread (waits while the queue is full). */
    private void send(RawBatch batch) {
        try {
            if (delivering) {
                inHand.incrementAndGet();
                handOver.put(batch);
                return;
            }
        } catch (InterruptedException e) {
            inHand.decrementAndGet();
            Thread.currentThread().interrupt();
        }
        deliver(batch); // stopping: hand it over directly
    }

    private void deliverLoop() {
        try {
            while (delivering || !handOver.isEmpty()) {
                RawBatch b = handOver.poll(100, TimeUnit.MILLISECONDS);
                if (b != null) {
                    deliverQueued(b);
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            try {
                RawBatch b;
                while ((b = handOver.poll()) != null) {
                    deliverQueued(b);
                }
            } finally {
                delivered.countDown();
            }
        }
    }

    /** One queued micro-batch; whatever happens to it, the loop goes on with the next one. */
    private void deliverQueued(RawBatch b) {
        try {
            deliver(b);
        } catch (RuntimeException e) {
            LOG.error("Delivering a micro-batch of {} packets failed: {}", b.count, e.toString(), e);
        } finally {
            inHand.decrementAndGet();
        }
    }

    private RawBatch rawBatch() {
        RawBatch b = spare.poll();
        return b != null ? b : new RawBatch(endpoint.getBatchSize(), 256 * 1024);
    }

    /** Decodes a raw micro-batch into CSV rows, then runs the route with them. */
    private void deliver(RawBatch raw) {
        synchronized (decoder) { // the delivery thread; during a stop possibly the stopping one
            deliverDecoded(raw);
        }
    }

    private void deliverDecoded(RawBatch raw) {
        PacketBatch batch = new PacketBatch(csvBytes);
        batch.setSource(this);
        for (int i = 0; i < raw.count; i++) {
            int len = raw.capLength[i];
            if (scratch.length < len) {
                scratch = new byte[len];
            }
            System.arraycopy(raw.bytes, raw.offset[i], scratch, 0, len);
            decoder.decode(raw.dlt[i], scratch, len, raw.wireLength[i], raw.nanos[i], raw.timestampDigits, raw.source[i], record);
            if (record.has(Field.DECODE_ERROR)) {
                decodeErrors.increment();
            }
            record.appendCsv(batch.text());
            batch.countPacket();
        }
        batch.setReplayComplete(raw.replayComplete);
        if (raw.count >= endpoint.getBatchSize()) {
            // the next batch is sized like this full one (+1/8), so that its bytes are rarely copied to grow
            int used = batch.text().length();
            csvBytes = Math.min(used + (used >> 3), 16 << 20);
        }
        spare.offer(raw.reset());
        deliver(batch);
    }

    private void deliver(PacketBatch batch) {
        Exchange exchange = createExchange(false);
        exchange.getIn().setBody(batch);
        exchange.getIn().setHeader(PcapConstants.PACKETS, batch.getPackets());
        if (batch.isReplayComplete()) {
            exchange.getIn().setHeader(PcapConstants.REPLAY_COMPLETE, true);
        }
        try {
            getProcessor().process(exchange);
        } catch (Exception e) {
            exchange.setException(e);
        }
        if (exchange.getException() != null) {
            getExceptionHandler().handleException("Error processing a batch of " + batch.getPackets() + " packets",
                    exchange, exchange.getException());
        }
        releaseExchange(exchange, false);
    }

    /** One interface (or the replay of a list of files) on one thread. */
    private final class Capture implements Runnable, NativeLoop.Listener {
        final String name;
        final List<Path> files;
        final PcapSources sources;
        volatile PcapHandle handle;
        final CountDownLatch done = new CountDownLatch(1);
        volatile boolean parked; // waiting in awaitResume: out of the read loop, adds no packet
        final AtomicLong kernelDrops = new AtomicLong();
        final AtomicLong ifDrops = new AtomicLong();
        final Object batchLock = new Object();
        final Object sendLock = new Object();
        final int timestampDigits;
        final boolean nano;
        String sourceName;
        int dlt;
        RawBatch batch;
        long batchStart;
        long lastStats;

        Capture(String name, PcapHandle handle) {
            this.name = name;
            this.sourceName = name;
            this.handle = handle;
            this.files = null;
            this.sources = null;
            this.dlt = handle.getDlt().value();
            this.nano = handle.getTimestampPrecision() == PcapHandle.TimestampPrecision.NANO;
            this.timestampDigits = nano ? 9 : 6;
        }

        Capture(List<Path> files, PcapSources sources) {
            this.name = endpoint.getFile();
            this.files = files;
            this.sources = sources;
            this.nano = endpoint.isNanosecondTimestamps();
            this.timestampDigits = nano ? 9 : 6;
        }

        @Override
        public void run() {
            try {
                if (files != null) {
                    replay();
                } else {
                    live();
                }
            } catch (Throwable e) {
                LOG.error("Capture on {} failed: {}", name, e.toString(), e);
            } finally {
                try {
                    boolean complete = files != null && running;
                    flush(complete);
                    replayComplete = complete;
                } finally {
                    done.countDown();
                }
            }
        }

        private void live() {
            while (running) {
                if (awaitResume()) {
                    continue;
                }
                int rc = NativeLoop.loop(handle, nano, false, this::shouldBreak, this);
                if (rc == -1 && running) {
                    // pcap_loop < 0 other than a break: the interface went away or another error
                    LOG.warn("Capture error on {}: {} (retrying in 1 s)", name, lastError());
                    sleep(1000);
                }
                // rc == -2: breakLoop() for stop or suspend; the loop condition decides
            }
        }

        private String lastError() {
            try {
                return handle.getError();
            } catch (NotOpenException e) {
                return "handle closed";
            }
        }

        private void replay() {
            for (Path file : files) {
                if (!running) {
                    return;
                }
                awaitResume();
                PcapHandle h;
                try {
                    h = sources.openOffline(file);
                } catch (PcapException e) {
                    LOG.warn("Skipping capture file: {}", e.getMessage());
                    continue;
                }
                handle = h;
                dlt = h.getDlt().value();
                sourceName = file.getFileName().toString();
                long before = captured.sum();
                try {
                    while (running) {
                        int rc = NativeLoop.loop(h, nano, true, this::shouldBreak, this);
                        if (rc == 0) {
                            break; // end of file
                        }
                        if (rc == -1) {
                            LOG.warn("Capture file {} ends in an error after {} packets: {}", file, captured.sum() - before,
                                    lastError());
                            break;
                        }
                        // rc == -2: stop or suspend; libpcap continues where it stopped
                        if (!awaitResume() && !running) {
                            return;
                        }
                    }
                } finally {
                    handle = null;
                    h.close();
                }
                LOG.info("Replayed {}: {} packets", file, captured.sum() - before);
            }
        }

        /** The loop returns before the next packet when capture stops or pauses. */
        private boolean shouldBreak() {
            return paused || !running;
        }

        /** Waits while paused; true if it waited. */
        private boolean awaitResume() {
            if (!paused) {
                return false;
            }
            synchronized (pauseMonitor) {
                parked = true;
                try {
                    while (paused && running) {
                        try {
                            pauseMonitor.wait(1000);
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return true;
                        }
                    }
                } finally {
                    parked = false;
                }
            }
            return true;
        }

        @Override
        public void packet(Pointer data, int capLength, int wireLength, long epochNanos) {
            captured.increment();
            boolean full;
            synchronized (batchLock) {
                if (batch == null) {
                    batch = rawBatch();
                    batch.timestampDigits = timestampDigits;
                    batchStart = System.nanoTime();
                }
                batch.add(data, capLength, wireLength, epochNanos, dlt, sourceName);
                full = batch.count >= endpoint.getBatchSize() || batch.used >= RAW_BATCH_BYTES;
            }
            if (full) {
                flush(false);
            }
        }

        /** Waits (until the deadline, System.nanoTime) until this capture's thread is out of its read loop or has ended. */
        void awaitParked(long deadline) throws InterruptedException {
            while (!parked && done.getCount() > 0 && paused && System.nanoTime() - deadline < 0) {
                Thread.sleep(1);
            }
        }

        void flushIfOlder(long startedBefore) {
            synchronized (batchLock) {
                if (batch == null || batchStart - startedBefore > 0) {
                    return;
                }
            }
            flush(false);
        }

        /** Hands over the pending batch (and, for the end of a replay, the completion signal). */
        void flush(boolean replayComplete) {
            synchronized (sendLock) {
                RawBatch b;
                synchronized (batchLock) {
                    b = batch;
                    batch = null;
                }
                if (b == null && !replayComplete) {
                    return;
                }
                if (b == null) {
                    b = rawBatch();
                }
                b.replayComplete = replayComplete;
                send(b);
            }
        }

        void updateStats(long now) {
            PcapHandle h = handle;
            if (files != null || h == null || now - lastStats < 1_000_000_000L) {
                return;
            }
            lastStats = now;
            try {
                PcapStat st = h.getStats();
                kernelDrops.set(st.getNumPacketsDropped());
                ifDrops.set(st.getNumPacketsDroppedByIf());
            } catch (PcapNativeException | NotOpenException e) {
                LOG.debug("No statistics for {}: {}", name, e.getMessage());
            }
        }

        /** Wakes a live loop waiting for packets (a replay loop sees shouldBreak() before its next packet). */
        void breakLoop() {
            PcapHandle h = handle;
            // not for capture files: libpcap would keep the flag and report the next read as the end of the file
            if (h != null && files == null) {
                try {
                    h.breakLoop();
                } catch (NotOpenException e) {
                    // already closed
                }
            }
        }

        void close() {
            PcapHandle h = handle;
            if (h != null && files == null) {
                updateStats(System.nanoTime() + 2_000_000_000L);
                h.close();
            }
        }

        private void sleep(long ms) {
            try {
                Thread.sleep(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
