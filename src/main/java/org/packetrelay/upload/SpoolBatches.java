package org.packetrelay.upload;

import java.io.Closeable;
import java.io.IOException;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * What {@link SpoolDataFormat} unmarshals a spool file to: a lazy iterator of {@link RecordBatch}es of
 * {@code batchSize} rows from the file's checkpoint on, for the upload route's streaming split. A batch is read when
 * it is taken; closing the iterator closes the file.
 *
 * <p>The window ({@link FileProgress#mayPost}) is waited for in {@code hasNext()} right after {@code next()}: Camel's
 * splitter asks there whether more will follow before it hands the batch just taken to the pool, and only a false
 * there lets it wait for the batches already out (a false at any other time ends the split at once). So the batch
 * just taken goes out only once it is within the window; when the attempt failed meanwhile it is cancelled instead,
 * and no further batch is taken. For the same reason {@code hasNext()} is true only when {@code next()} will give a
 * batch: bytes are left in the file.
 *
 * <p>A row that cannot be read is a failure of the batch it is in, recorded in the progress like a failed POST; that
 * batch is given out cancelled (nothing of it is posted), and the batches before it still go out.
 */
final class SpoolBatches implements Iterator<RecordBatch>, Closeable {
    /** A batch buffer that grew beyond this (very long rows) is not kept for the next batch. */
    private static final int KEEP_BUFFER_BYTES = 8 << 20;

    private final SpoolTranscoder reader;
    private final FileProgress progress;
    private final int batchSize;
    private final BatchOrigin origin;
    private final int[] offsets;
    /** The batch buffer, handed on from file to file: a new one per file would live long enough to be promoted. */
    private final AtomicReference<SpoolTranscoder.Output> spare;
    private SpoolTranscoder.Output out;
    /** Batches taken by next(). */
    private int taken;
    private long nextRow;
    /** The next hasNext() is the one right after next(): it waits for the window. */
    private boolean afterNext;
    private boolean ended;

    SpoolBatches(SpoolTranscoder reader, FileProgress progress, int batchSize, BatchOrigin origin,
                 AtomicReference<SpoolTranscoder.Output> spare) {
        this.reader = reader;
        this.progress = progress;
        this.batchSize = batchSize;
        this.origin = origin;
        this.offsets = new int[batchSize + 1];
        this.nextRow = progress.getResumedAt();
        this.spare = spare;
        SpoolTranscoder.Output o = spare.getAndSet(null);
        // about 850 bytes of JSON per row of the sniffer's: one batch fits, it grows for longer rows
        this.out = o != null ? o : new SpoolTranscoder.Output((int) Math.min(KEEP_BUFFER_BYTES, 1024L * batchSize + 16));
        progress.source(this);
    }

    @Override
    public boolean hasNext() {
        if (afterNext) {
            afterNext = false;
            if (!progress.mayPost(taken - 1)) {
                ended = true;
            }
        }
        if (!ended) {
            try {
                if (!reader.hasMore()) {
                    ended = true;
                    progress.endOfFile();
                }
            } catch (UploadException e) {
                progress.fail(taken, e);
                ended = true;
            } catch (IOException | RuntimeException | Error e) {
                progress.fail(taken, readFailure(e));
                ended = true;
            }
        }
        return !ended;
    }

    @Override
    public RecordBatch next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        RecordBatch b = read();
        progress.issue(b);
        taken++;
        afterNext = true;
        return b;
    }

    /** Batch {@code taken}: the next rows, or an empty cancelled batch when a row cannot be read (the failure recorded). */
    private RecordBatch read() {
        try {
            // [ + rows joined by , + ]; offsets[i]: where row i starts, offsets[count]: after the last row + 1
            out.reset();
            out.put((byte) '[');
            int count = 0;
            while (count < batchSize) {
                int mark = out.size();
                if (count > 0) {
                    out.put((byte) ',');
                }
                offsets[count] = out.size();
                if (!reader.next(out)) {
                    out.truncate(mark);
                    if (count == 0) {
                        progress.endOfFile();
                    }
                    break;
                }
                count++;
            }
            if (count > 0) {
                offsets[count] = out.size() + 1;
                out.put((byte) ']');
                RecordBatch b = new RecordBatch(origin, nextRow, out.toByteArray(), Arrays.copyOf(offsets, count + 1), count);
                nextRow += count;
                return b;
            }
        } catch (UploadException e) {
            progress.fail(taken, e);
        } catch (IOException | RuntimeException | Error e) {
            progress.fail(taken, readFailure(e));
        } finally {
            if (out.capacity() > KEEP_BUFFER_BYTES) {
                out = new SpoolTranscoder.Output(1024 * batchSize + 16);
            }
        }
        ended = true;
        RecordBatch nothing = new RecordBatch(origin, nextRow, new byte[] { '[', ']' }, new int[] { 2 }, 0);
        nothing.cancel();
        return nothing;
    }

    /**
     * A read that failed other than on a bad row: the disk (transient), or the reader itself (a bug or a batch too big
     * to hold: permanent, so the file gets an .error). Recorded, never thrown: Camel's splitter does not end a split
     * whose iterator throws, and the file would be held for good.
     */
    private UploadException readFailure(Throwable e) {
        boolean permanent = e instanceof RuntimeException;
        return new UploadException(permanent, "cannot read " + origin.file() + (permanent ? " (an error in packet-relay's reader): " : ": ") + e);
    }

    @Override
    public void close() throws IOException {
        if (!ended || out != null) {
            ended = true;
            if (out != null && out.capacity() <= KEEP_BUFFER_BYTES) {
                spare.set(out);
            }
            out = null;
        }
        reader.close();
    }
}
