package org.packetrelay.pcap;

import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

import org.packetrelay.catalog.Field;
import org.packetrelay.catalog.PacketRecord;
import org.packetrelay.decode.PacketDecoder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Takes raw micro-batches from the capture tasks, decodes them into CSV rows on {@code workers} threads at once (the
 * decode is most of the cost: it uses every core), and hands the decoded batches on to the route in the order they
 * were submitted: each batch gets a number when it is queued, and a worker that has decoded batch n runs the route
 * with it only after batch n - 1 went through. So the rows of a spool file stay in capture order.
 *
 * <p>Bounded: at most {@value #QUEUED} raw batches wait for a live capture, {@value #QUEUED_REPLAY} for a replay (a
 * full queue makes capture wait; about 1 MiB each), and raw batches are reused. {@link #awaitIdle} tells a suspend
 * when everything submitted has been through the route.
 *
 * <p>Why a replay's queue is short: its reader is faster than the decoding, so the queue is always full, and each
 * batch was written a whole queue earlier: 32 MiB of batches in turn, as much as the L3 cache of these machines
 * holds, so the decoding most likely met its packets in main memory (on one thread, decoding packets out of cache
 * costs 0.48 us against 0.34 for cached ones). With four, in {@code make bench}'s capture bench: 1.13x steady (the
 * median of 9 alternating pairs), decode and CSV 0.62 us a packet instead of 0.75, peak RSS 222 MiB instead of
 * 256. Waiting costs a replay nothing. A live capture keeps the depth that rides out
 * a slow spell of the route (a spool file's fsync, a GC) while the kernel's buffer is filling.
 */
final class BatchDelivery {
    private static final Logger LOG = LoggerFactory.getLogger(BatchDelivery.class);
    static final int QUEUED = 32;
    static final int QUEUED_REPLAY = 4;

    private final Consumer<PacketBatch> route;
    private final CaptureCounters counters;
    private final int batchSize;
    private final int rawBytes;
    private final BlockingQueue<RawBatch> queue;
    private final BlockingQueue<RawBatch> spare;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition turnChanged = lock.newCondition();
    /** The number the next submitted batch gets. Written under {@code submitLock}. */
    private volatile long submitted;
    private final Object submitLock = new Object();
    /** Batches through the route (the number of the next one whose turn it is). Guarded by {@code lock}. */
    private long delivered;
    private volatile boolean closing;
    private int running;
    /** The next batch's CSV capacity: a full batch's size +1/8, so that its bytes are rarely copied to grow. */
    private volatile int csvBytes = 64 * 1024;
    /** Decodes on the submitting thread once the workers have ended (a late flush during a stop). */
    private final Worker inline = new Worker();

    /**
     * @param snaplen the most a packet holds: a raw batch has room for {@link CaptureTask#RAW_BATCH_BYTES} and one more
     *                packet, so that it never grows (one that grew past the cap would double, to 2 MiB)
     * @param replay  whether the batches come from a replay (a short queue) or a live capture
     */
    BatchDelivery(Consumer<PacketBatch> route, CaptureCounters counters, int batchSize, int snaplen, boolean replay) {
        int queued = replay ? QUEUED_REPLAY : QUEUED;
        this.queue = new ArrayBlockingQueue<>(queued);
        this.spare = new ArrayBlockingQueue<>(queued + 8);
        this.route = route;
        this.counters = counters;
        this.batchSize = batchSize;
        this.rawBytes = CaptureTask.RAW_BATCH_BYTES + snaplen;
    }

    /** Starts {@code workers} decoding threads on {@code executor}. */
    void start(ExecutorService executor, int workers) {
        closing = false;
        lock.lock();
        try {
            running = workers;
        } finally {
            lock.unlock();
        }
        for (int i = 0; i < workers; i++) {
            executor.submit(new Worker()::loop);
        }
    }

    /** A raw batch to fill: a spare one, or a new one. */
    RawBatch rawBatch() {
        RawBatch b = spare.poll();
        return b != null ? b : new RawBatch(batchSize, rawBytes);
    }

    /** Queues a filled raw batch (waits while the queue is full); after {@link #close}, delivers it on this thread. */
    void submit(RawBatch raw) {
        synchronized (submitLock) {
            raw.seq = submitted++;
            if (!closing) {
                try {
                    queue.put(raw);
                    return;
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        synchronized (inline) {
            inline.deliver(raw);
        }
    }

    /** Waits until every submitted batch has been through the route, at most until {@code deadline}; true if so. */
    boolean awaitIdle(long deadline) throws InterruptedException {
        long target = submitted;
        lock.lock();
        try {
            while (delivered < target) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                turnChanged.awaitNanos(left);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** Batches submitted and not yet through the route. */
    long pending() {
        long s = submitted;
        lock.lock();
        try {
            return s - delivered;
        } finally {
            lock.unlock();
        }
    }

    /** Lets the workers deliver what is queued and end; waits for that at most {@code timeout}. */
    boolean close(long timeout, TimeUnit unit) throws InterruptedException {
        synchronized (submitLock) {
            closing = true;
        }
        long nanos = unit.toNanos(timeout);
        lock.lock();
        try {
            while (running > 0) {
                if (nanos <= 0) {
                    return false;
                }
                nanos = turnChanged.awaitNanos(nanos);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    /** One decoding thread's decoder, record and loop. */
    private final class Worker {
        private final PacketDecoder decoder = new PacketDecoder();
        private final PacketRecord record = new PacketRecord();

        void loop() {
            try {
                while (true) {
                    RawBatch raw = queue.poll(100, TimeUnit.MILLISECONDS);
                    if (raw != null) {
                        deliver(raw);
                    } else if (closing && queue.isEmpty()) {
                        return;
                    }
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                lock.lock();
                try {
                    running--;
                    turnChanged.signalAll();
                } finally {
                    lock.unlock();
                }
            }
        }

        /** Decodes, waits for the batch's turn, runs the route; whatever happens, the next batch gets its turn. */
        void deliver(RawBatch raw) {
            long seq = raw.seq;
            PacketBatch batch = null;
            try {
                batch = decode(raw);
            } catch (RuntimeException e) {
                LOG.error("Decoding a micro-batch of {} packets failed: {}", raw.count, e.toString(), e);
            }
            try {
                awaitTurn(seq);
                if (batch != null) {
                    route.accept(batch);
                }
            } catch (RuntimeException e) {
                LOG.error("Delivering a micro-batch of {} packets failed: {}", raw.count, e.toString(), e);
            } finally {
                lock.lock();
                try {
                    delivered = Math.max(delivered, seq + 1);
                    turnChanged.signalAll();
                } finally {
                    lock.unlock();
                }
            }
        }

        private void awaitTurn(long seq) {
            lock.lock();
            try {
                while (delivered < seq) {
                    turnChanged.awaitUninterruptibly();
                }
            } finally {
                lock.unlock();
            }
        }

        /** The raw packets as CSV rows; the raw batch goes back to the spares. */
        private PacketBatch decode(RawBatch raw) {
            PacketBatch batch = new PacketBatch(csvBytes);
            batch.setCounters(counters);
            int errors = 0;
            for (int i = 0; i < raw.count; i++) {
                // in place: the decoder reads only the packet's own bytes of the raw batch
                decoder.decode(raw.dlt[i], raw.bytes, raw.offset[i], raw.capLength[i], raw.wireLength[i], raw.nanos[i],
                        raw.timestampDigits, raw.source[i], record);
                if (record.has(Field.DECODE_ERROR)) {
                    errors++;
                }
                record.appendCsv(batch.text());
                batch.countPacket();
            }
            counters.countDecodeErrors(errors);
            batch.setReplayComplete(raw.replayComplete);
            if (raw.isFull(batchSize)) { // by count or by bytes: either way, the size the next full one will need
                int used = batch.text().length();
                csvBytes = Math.min(used + (used >> 3), 16 << 20);
            }
            spare.offer(raw.reset());
            return batch;
        }
    }
}
