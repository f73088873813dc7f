package org.packetrelay.upload;

import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import org.apache.camel.Exchange;

/**
 * One attempt at uploading one spool file: which of its batches are out, which got a 2xx, and the checkpoint.
 *
 * <p>Batches are numbered in file order from 0 for this attempt. The checkpoint ({@link Checkpoints}) is the file's
 * rows up to the end of the longest run of batches from the first that all got a 2xx, saved each time it moves: a
 * batch that succeeds while an earlier one is still out is remembered and counted once the earlier one succeeds.
 *
 * <p>The window: batch k may be posted only while {@code k - (that run's length) < window}, so at most
 * {@code window} batches are ever ahead of the checkpoint, and a batch that is being redelivered holds the rest of
 * the file back. The first failure (the one earliest in the file, once all are settled) ends the attempt: no further
 * batch is posted, and a batch already handed to the route but not yet allowed out is cancelled.
 */
public final class FileProgress {
    /** The exchange property under which the upload route carries it. */
    public static final String PROPERTY = "PacketRelayFileProgress";

    private final String file;
    private final long resumeAt;
    private final int window;
    private final int batchSize;
    private final Checkpoints checkpoints;
    private final long startedNanos = System.nanoTime();
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    /** The batches from index {@code run} on that were handed to the route, and which of them got a 2xx. */
    private final List<RecordBatch> out = new ArrayList<>();
    private final List<Boolean> ok = new ArrayList<>();
    private int issued;
    /** Batches [0, run) all got a 2xx. */
    private int run;
    private long doneRows;
    private int failedAt = Integer.MAX_VALUE;
    private UploadException failure;
    private boolean closed;
    private boolean endOfFile;
    private int settled;
    private int retried;
    private long records;
    private Closeable source;

    FileProgress(String file, long resumeAt, int window, int batchSize, Checkpoints checkpoints) {
        this.file = file;
        this.resumeAt = resumeAt;
        this.window = Math.max(1, window);
        this.batchSize = Math.max(1, batchSize);
        this.checkpoints = checkpoints;
        this.doneRows = resumeAt;
    }

    void source(Closeable source) {
        this.source = source;
    }

    /** Batch {@code issued} is handed to the route. */
    void issue(RecordBatch b) {
        lock.lock();
        try {
            out.add(b);
            ok.add(false);
            issued++;
        } finally {
            lock.unlock();
        }
    }

    /**
     * Waits until batch {@code index} is within the window, and says whether it may be posted: false (and the batch
     * cancelled) once an earlier batch failed or the attempt was closed.
     */
    boolean mayPost(int index) {
        lock.lock();
        try {
            while (failedAt > index && !closed && index - run >= window) {
                // a bound on each wait: shutdown or a lost signal can never hang the file's thread
                changed.await(1, TimeUnit.SECONDS);
            }
            if (failedAt > index && !closed) {
                return true;
            }
            batch(index).cancel();
            return false;
        } catch (InterruptedException e) {
            // the pool is shutting down: a failure, never an end of file (that would let the file count as uploaded)
            Thread.currentThread().interrupt();
            fail(index, new UploadException(false, "interrupted at batch " + index + " of " + file + " (shutting down)"));
            batch(index).cancel();
            closed = true;
            return false;
        } finally {
            lock.unlock();
        }
    }

    /** Batch {@code index} went through the route: a 2xx, a failure, or cancelled (not posted). */
    void settled(int index, Exchange ex, boolean https) {
        lock.lock();
        try {
            RecordBatch b = batch(index);
            if (b.isCancelled()) {
                return;
            }
            settled++;
            Integer redeliveries = ex.getIn().getHeader(Exchange.REDELIVERY_COUNTER, Integer.class);
            if (redeliveries != null && redeliveries > 0) {
                retried++;
            }
            if (ex.getException() != null) {
                fail(index, UploadFailures.classify(ex, b.getFirstRow() / batchSize, https));
                return;
            }
            ok.set(index - run, true);
            records += b.size();
            long before = doneRows;
            while (!ok.isEmpty() && ok.get(0)) {
                RecordBatch r = out.remove(0);
                ok.remove(0);
                doneRows = r.getFirstRow() + r.getRowCount();
                run++;
            }
            if (doneRows != before) {
                try {
                    checkpoints.save(file, doneRows, batchSize);
                } catch (IOException e) {
                    fail(run, new UploadException(false, "cannot save the checkpoint " + file + ": " + e.getMessage()));
                }
            }
        } finally {
            changed.signalAll();
            lock.unlock();
        }
    }

    /** Batch {@code index}, handed out and not yet part of the run (callers hold the lock). */
    private RecordBatch batch(int index) {
        return out.get(index - run);
    }

    /** Batch {@code index} failed (or could not be read): the earliest failure is the attempt's. */
    void fail(int index, UploadException e) {
        lock.lock();
        try {
            if (index < failedAt) {
                failedAt = index;
                failure = e;
            }
            changed.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** The reader reached the end of the file: only then can the attempt succeed. */
    void endOfFile() {
        lock.lock();
        try {
            endOfFile = true;
        } finally {
            lock.unlock();
        }
    }

    /** Whether the reader reached the end of the file. */
    public boolean isEndOfFile() {
        lock.lock();
        try {
            return endOfFile;
        } finally {
            lock.unlock();
        }
    }

    /** No more batches: the file's reading ended. Waiters give up. */
    void close() {
        lock.lock();
        try {
            closed = true;
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        if (source != null) {
            try {
                source.close();
            } catch (IOException e) {
                // only a read stream
            }
        }
    }

    public String getFile() {
        return file;
    }

    public long getResumedAt() {
        return resumeAt;
    }

    /** Rows of the file that got a 2xx: the checkpoint. */
    public long getRowsDone() {
        lock.lock();
        try {
            return doneRows;
        } finally {
            lock.unlock();
        }
    }

    /** The attempt's failure (the earliest in the file), or null. */
    public UploadException getFailure() {
        lock.lock();
        try {
            return failure;
        } finally {
            lock.unlock();
        }
    }

    /** Batches posted (413 halves not counted), those that needed a redelivery, records that got a 2xx. */
    public int getBatches() {
        return settled;
    }

    public int getRetried() {
        return retried;
    }

    public long getRecords() {
        return records;
    }

    public double getSeconds() {
        return (System.nanoTime() - startedNanos) / 1e9;
    }
}
