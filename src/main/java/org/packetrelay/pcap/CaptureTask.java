package org.packetrelay.pcap;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.PcapStat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One interface, or the replay of a list of capture files, read on one thread (as camel-kafka's
 * {@code KafkaFetchRecords} runs one Kafka consumer): libpcap's loop ({@link NativeLoop}), or for a replayed file
 * its {@link ReplayFile}'s, copies the packets into raw micro-batches bounded by count, bytes and age, which go to
 * the {@link BatchDelivery}.
 *
 * <p>Its {@link State} says what it does, and other threads change it only through {@link #pause}, {@link #resume}
 * and {@link #stop}: RUNNING reads; PAUSING asks the loop to leave; PARKED is out of the loop with its batch handed
 * over (handles stay open); STOPPING asks it to end; DONE has ended. Waiting is on a condition, never a sleep loop.
 */
final class CaptureTask implements Runnable, NativeLoop.Listener {
    private static final Logger LOG = LoggerFactory.getLogger(CaptureTask.class);
    /** A raw micro-batch is also handed over when it holds this many bytes. */
    static final int RAW_BATCH_BYTES = 1 << 20;

    enum State { RUNNING, PAUSING, PARKED, STOPPING, DONE }

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private volatile State state = State.RUNNING;

    final String name;
    private final List<Path> files;
    private final PcapSources sources;
    private final CaptureCounters counters;
    private final BatchDelivery delivery;
    private final int batchSize;
    private final boolean nano;
    private final int timestampDigits;
    /** The live capture's handle; null for a replay, whose files each have their own. */
    private final PcapHandle handle;
    private String sourceName;
    private int dlt;
    private volatile boolean replayComplete;

    private final Object batchLock = new Object();
    private final Object flushLock = new Object();
    private RawBatch batch;
    private long batchStart;
    private long lastStats;

    /** A live capture on an open handle. */
    CaptureTask(String name, PcapHandle handle, CaptureCounters counters, BatchDelivery delivery, int batchSize) {
        this.name = name;
        this.sourceName = name;
        this.handle = handle;
        this.files = null;
        this.sources = null;
        this.counters = counters;
        this.delivery = delivery;
        this.batchSize = batchSize;
        this.dlt = handle.getDlt().value();
        this.nano = handle.getTimestampPrecision() == PcapHandle.TimestampPrecision.NANO;
        this.timestampDigits = nano ? 9 : 6;
    }

    /** The replay of {@code files} (named {@code name}), opened one after the other. */
    CaptureTask(String name, List<Path> files, PcapSources sources, boolean nano, CaptureCounters counters, BatchDelivery delivery,
                int batchSize) {
        this.name = name;
        this.handle = null;
        this.files = files;
        this.sources = sources;
        this.counters = counters;
        this.delivery = delivery;
        this.batchSize = batchSize;
        this.nano = nano;
        this.timestampDigits = nano ? 9 : 6;
    }

    boolean isReplay() {
        return files != null;
    }

    State state() {
        return state;
    }

    /** Whether a replay read every packet of its files (it ended without being stopped). */
    boolean isReplayComplete() {
        return replayComplete;
    }

    @Override
    public void run() {
        boolean complete = false;
        try {
            complete = isReplay() ? replay() : live();
        } catch (Throwable e) {
            LOG.error("Capture on {} failed: {}", name, e.toString(), e);
        } finally {
            try {
                flush(complete);
                replayComplete = complete;
            } finally {
                setState(State.DONE);
            }
        }
    }

    /** Reads until stopped; false (not a complete replay). */
    private boolean live() {
        while (awaitRunning()) {
            int rc = NativeLoop.loop(handle, nano, false, this::leaveLoop, this);
            if (rc == -1 && state == State.RUNNING) {
                // pcap_loop < 0 other than a break: the interface went away or another error
                LOG.warn("Capture error on {}: {} (retrying in 1 s)", name, lastError());
                awaitNotRunning(TimeUnit.SECONDS.toNanos(1));
            }
            // rc == -2: pause or stop; awaitRunning decides
        }
        return false;
    }

    /** Reads every file; true when all were read, false when stopped before. */
    private boolean replay() {
        for (Path file : files) {
            if (!awaitRunning()) {
                return false;
            }
            ReplayFile f;
            try {
                f = sources.openOffline(file);
            } catch (PcapException e) {
                LOG.warn("Skipping {}", e.getMessage());
                continue;
            }
            dlt = f.dlt();
            sourceName = file.getFileName().toString();
            long before = counters.captured();
            try {
                while (true) {
                    int rc = f.loop(nano, this::leaveLoop, this);
                    if (rc == 0) {
                        break; // end of file
                    }
                    if (rc == -1) {
                        LOG.warn("Capture file {} ends in an error after {} packets: {}", file, counters.captured() - before,
                                f.error());
                        break;
                    }
                    // rc == -2: pause or stop; the next loop reads on where this one stopped
                    if (!awaitRunning()) {
                        return false;
                    }
                }
            } finally {
                f.close();
            }
            LOG.info("Replayed {}: {} packets", file, counters.captured() - before);
        }
        return true;
    }

    private String lastError() {
        try {
            return handle.getError();
        } catch (NotOpenException e) {
            return "handle closed";
        }
    }

    /** The loop's check before every packet. */
    private boolean leaveLoop() {
        return state != State.RUNNING;
    }

    /**
     * On the capture thread, out of the loop: parks while paused (handing over the pending batch first, so that a
     * pause means every packet read so far is on its way). True to read on, false to end.
     */
    private boolean awaitRunning() {
        if (state == State.RUNNING) {
            return true;
        }
        if (state == State.PAUSING) {
            flush(false);
        }
        lock.lock();
        try {
            if (state == State.PAUSING) {
                state = State.PARKED;
                changed.signalAll();
            }
            while (state == State.PARKED) {
                changed.awaitUninterruptibly();
            }
            return state == State.RUNNING;
        } finally {
            lock.unlock();
        }
    }

    /** Waits up to {@code nanos} unless the state changes from RUNNING (a pause or stop ends the wait at once). */
    private void awaitNotRunning(long nanos) {
        lock.lock();
        try {
            while (state == State.RUNNING && nanos > 0) {
                nanos = changed.awaitNanos(nanos);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            lock.unlock();
        }
    }

    private void setState(State s) {
        lock.lock();
        try {
            state = s;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Asks the loop to leave and park (returns at once; see {@link #awaitParked}). */
    void pause() {
        lock.lock();
        try {
            if (state == State.RUNNING) {
                state = State.PAUSING;
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
        breakLoop();
    }

    /** Waits until this task is parked or has ended, at most until {@code deadline} (System.nanoTime); true if so. */
    boolean awaitParked(long deadline) throws InterruptedException {
        lock.lock();
        try {
            while (state == State.PAUSING) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                changed.awaitNanos(left);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    void resume() {
        lock.lock();
        try {
            if (state == State.PAUSING || state == State.PARKED) {
                state = State.RUNNING;
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Asks the task to end (returns at once; see {@link #awaitDone}). */
    void stop() {
        lock.lock();
        try {
            if (state != State.DONE) {
                state = State.STOPPING;
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
        breakLoop();
    }

    boolean awaitDone(long timeout, TimeUnit unit) throws InterruptedException {
        long nanos = unit.toNanos(timeout);
        lock.lock();
        try {
            while (state != State.DONE) {
                if (nanos <= 0) {
                    return false;
                }
                nanos = changed.awaitNanos(nanos);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void packet(long data, int capLength, int wireLength, long epochNanos) {
        counters.countCaptured();
        boolean full;
        synchronized (batchLock) {
            if (batch == null) {
                batch = delivery.rawBatch();
                batch.timestampDigits = timestampDigits;
                batchStart = System.nanoTime();
            }
            batch.add(data, capLength, wireLength, epochNanos, dlt, sourceName);
            full = batch.isFull(batchSize);
        }
        if (full) {
            flush(false);
        }
    }

    /** Hands over the pending batch if it was started before {@code startedBefore} (System.nanoTime). */
    void flushIfOlder(long startedBefore) {
        synchronized (batchLock) {
            if (batch == null || batchStart - startedBefore > 0) {
                return;
            }
        }
        flush(false);
    }

    /** Hands over the pending batch (and, at the end of a replay, the completion signal, even with no packets). */
    void flush(boolean replayDone) {
        synchronized (flushLock) {
            RawBatch b;
            synchronized (batchLock) {
                b = batch;
                batch = null;
            }
            if (b == null && !replayDone) {
                return;
            }
            if (b == null) {
                b = delivery.rawBatch();
            }
            b.replayComplete = replayDone;
            delivery.submit(b);
        }
    }

    /** Reads libpcap's drop statistics of a live handle, at most once a second. */
    void updateStats(long now) {
        PcapHandle h = handle;
        if (h == null || now - lastStats < 1_000_000_000L) {
            return;
        }
        lastStats = now;
        try {
            PcapStat st = h.getStats();
            counters.drops(name, st.getNumPacketsDropped(), st.getNumPacketsDroppedByIf());
        } catch (PcapNativeException | NotOpenException e) {
            LOG.debug("No statistics for {}: {}", name, e.getMessage());
        }
    }

    /**
     * Wakes a live loop waiting for packets. A replay has no handle here and its loop sees the state before its next
     * packet (libpcap's break flag on a capture file would report the next read as the end of the file).
     */
    private void breakLoop() {
        PcapHandle h = handle;
        if (h != null) {
            try {
                h.breakLoop();
            } catch (NotOpenException e) {
                // already closed
            }
        }
    }

    /** Closes a live handle (after the task is done), with its last statistics. */
    void close() {
        PcapHandle h = handle;
        if (h != null) {
            updateStats(System.nanoTime() + 2_000_000_000L);
            h.close();
        }
    }
}
