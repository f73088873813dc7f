package org.packetrelay.pcap;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.Suspendable;
import org.apache.camel.api.management.ManagedAttribute;
import org.apache.camel.api.management.ManagedResource;
import org.apache.camel.spi.ExecutorServiceManager;
import org.apache.camel.support.DefaultConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pcap consumer: the Camel lifecycle and the JMX attributes, as camel-kafka's {@code KafkaConsumer} keeps them.
 * The work is done by one {@link CaptureTask} per interface (or one for a replay), which reads packets into raw
 * micro-batches, and a {@link BatchDelivery}, which decodes them on every core and runs the route with them in
 * order; {@link CaptureCounters} counts.
 *
 * <p>Stop: the tasks stop (their last batches are handed over), then the delivery drains its queue. Suspend: the
 * tasks park with their handles open, and suspending returns once every packet read so far has been through the
 * route (at most 5 s + 25 s), so Camel's graceful shutdown, which suspends and then forces the aggregator, finds
 * nothing left over.
 */
@ManagedResource(description = "Managed PcapConsumer")
public class PcapConsumer extends DefaultConsumer implements Suspendable {
    private static final Logger LOG = LoggerFactory.getLogger(PcapConsumer.class);

    private final PcapEndpoint endpoint;
    private final CaptureCounters counters = new CaptureCounters();
    private final List<CaptureTask> tasks = new ArrayList<>();
    private BatchDelivery delivery;
    private ExecutorService captureThreads;
    private ExecutorService decodeThreads;
    private ScheduledExecutorService flusher;
    private volatile boolean paused;

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
        return counters.captured();
    }

    @ManagedAttribute(description = "Packets dropped by the kernel because the capture buffer was full (libpcap ps_drop)")
    public long getPacketsDroppedByKernel() {
        return counters.droppedByKernel();
    }

    @ManagedAttribute(description = "Packets dropped by the network interface or its driver (libpcap ps_ifdrop)")
    public long getPacketsDroppedByInterface() {
        return counters.droppedByInterface();
    }

    @ManagedAttribute(description = "Packets whose decoding stopped early (decode_error is set)")
    public long getDecodeErrors() {
        return counters.decodeErrors();
    }

    @ManagedAttribute(description = "Packets captured but dropped because the spool was full (sniffer.max-spool-mb, sniffer.min-free-mb) or not writable")
    public long getPacketsDroppedSpoolFull() {
        return counters.droppedSpoolFull();
    }

    @ManagedAttribute(description = "Interfaces or capture files this consumer reads")
    public String getSources() {
        List<String> names = new ArrayList<>();
        for (CaptureTask t : snapshot()) {
            names.add(t.name);
        }
        return String.join(",", names);
    }

    @ManagedAttribute(description = "Capture threads reading right now (interfaces, or 1 during a replay)")
    public int getActiveSources() {
        int n = 0;
        for (CaptureTask t : snapshot()) {
            if (t.state() != CaptureTask.State.DONE) {
                n++;
            }
        }
        return n;
    }

    @ManagedAttribute(description = "Whether a replay has read every packet of its capture files")
    public boolean isReplayComplete() {
        return snapshot().stream().anyMatch(CaptureTask::isReplayComplete);
    }

    @ManagedAttribute(description = "Whether capture is paused (route suspended)")
    public boolean isPaused() {
        return paused;
    }

    @ManagedAttribute(description = "Threads decoding packets into rows (sniffer decode-threads; 0 is one per core)")
    public int getDecodeThreads() {
        return endpoint.effectiveDecodeThreads();
    }

    /** One line with the counters, for the spool log. */
    public String countersLine() {
        return counters.line();
    }

    private List<CaptureTask> snapshot() {
        synchronized (tasks) {
            return new ArrayList<>(tasks);
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
        delivery = new BatchDelivery(this::deliver, counters, endpoint.getBatchSize(), endpoint.getSnaplen(),
                sources.isReplay());
        List<CaptureTask> list = new ArrayList<>();
        if (sources.isReplay()) {
            list.add(new CaptureTask(endpoint.getFile(), sources.files(), sources, endpoint.isNanosecondTimestamps(), counters, delivery,
                    endpoint.getBatchSize()));
        } else {
            boolean all = "all".equals(endpoint.getInterfaces());
            for (String name : sources.interfaceNames()) {
                try {
                    list.add(new CaptureTask(name, sources.openLive(name), counters, delivery, endpoint.getBatchSize()));
                } catch (PcapException e) {
                    if (!all) {
                        list.forEach(CaptureTask::close);
                        throw e;
                    }
                    LOG.warn("Skipping interface {}: {}", name, e.getMessage());
                }
            }
            if (list.isEmpty()) {
                throw new PcapException("no interface could be opened for capture");
            }
        }
        synchronized (tasks) {
            tasks.clear();
            tasks.addAll(list);
        }
        paused = false;
        ExecutorServiceManager threads = getEndpoint().getCamelContext().getExecutorServiceManager();
        int decoders = endpoint.effectiveDecodeThreads();
        decodeThreads = threads.newFixedThreadPool(this, "pcap-decode", decoders);
        delivery.start(decodeThreads, decoders);
        captureThreads = threads.newFixedThreadPool(this, "pcap-" + endpoint.getInterfaces(), list.size());
        flusher = threads.newSingleThreadScheduledExecutor(this, "pcap-flush");
        long tick = Math.max(10, endpoint.getBatchInterval() / 2);
        flusher.scheduleWithFixedDelay(this::flushDue, tick, tick, TimeUnit.MILLISECONDS);
        for (CaptureTask t : list) {
            captureThreads.submit(t);
        }
        LOG.info("Capturing on {} (libpcap {}, filter: {}, {} decode threads)", getSources(), PcapSources.libpcapVersion(),
                endpoint.effectiveFilter() == null ? "none" : endpoint.effectiveFilter(), decoders);
    }

    @Override
    protected void doStop() throws Exception {
        paused = false;
        List<CaptureTask> list = snapshot();
        list.forEach(CaptureTask::stop);
        for (CaptureTask t : list) {
            if (!t.awaitDone(10, TimeUnit.SECONDS)) {
                LOG.warn("Capture thread on {} did not stop within 10 s", t.name);
            }
            t.close();
        }
        ExecutorServiceManager threads = getEndpoint().getCamelContext().getExecutorServiceManager();
        if (flusher != null) {
            threads.shutdownNow(flusher);
            flusher = null;
        }
        if (delivery != null && !delivery.close(30, TimeUnit.SECONDS)) {
            LOG.warn("Capture delivery did not finish within 30 s ({} batches left)", delivery.pending());
        }
        for (ExecutorService e : new ExecutorService[] {decodeThreads, captureThreads}) {
            if (e != null) {
                threads.shutdown(e);
            }
        }
        decodeThreads = null;
        captureThreads = null;
        LOG.info("Capture stopped: {}", counters.line());
        super.doStop();
    }

    @Override
    protected void doSuspend() throws Exception {
        // Suspended means: no packet is being read, and every packet read so far has been through the route.
        // Camel's graceful shutdown suspends this consumer, waits for in-flight exchanges and then forces the
        // aggregator to complete; a batch still queued for delivery at that moment would reach the aggregator after
        // its forced completion and stay an incomplete .part file.
        paused = true;
        List<CaptureTask> list = snapshot();
        list.forEach(CaptureTask::pause);
        // at most 5 s for all the capture threads, then 25 s for the queue: within Camel's shutdown timeout (45 s)
        long parkedBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        for (CaptureTask t : list) {
            if (!t.awaitParked(parkedBy)) {
                LOG.warn("Capture thread on {} did not pause within 5 s", t.name);
            }
        }
        if (!delivery.awaitIdle(System.nanoTime() + TimeUnit.SECONDS.toNanos(25))) {
            LOG.warn("Capture paused with {} batches still queued for the route after 25 s", delivery.pending());
        }
        if (getEndpoint().getCamelContext().isStopping()) {
            return; // a shutdown suspends first: "Capture stopped" follows
        }
        if (endpoint.getFile() != null) {
            LOG.info("Replay paused on {}", getSources());
        } else {
            LOG.info("Capture paused on {} (handles stay open; the kernel drops what does not fit its buffer)", getSources());
        }
    }

    @Override
    protected void doResume() throws Exception {
        paused = false;
        snapshot().forEach(CaptureTask::resume);
        LOG.info("{} resumed on {}", endpoint.getFile() != null ? "Replay" : "Capture", getSources());
    }

    private void flushDue() {
        long now = System.nanoTime();
        long startedBefore = now - TimeUnit.MILLISECONDS.toNanos(endpoint.getBatchInterval());
        for (CaptureTask t : snapshot()) {
            try {
                t.flushIfOlder(startedBefore);
                t.updateStats(now);
            } catch (Throwable e) {
                LOG.warn("Flushing capture batch on {} failed: {}", t.name, e.toString());
            }
        }
    }

    /** Runs the route with one decoded micro-batch (called by the delivery, one batch at a time, in order). */
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
}
