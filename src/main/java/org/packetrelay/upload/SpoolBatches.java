package org.packetrelay.upload;

import java.io.Closeable;
import java.io.IOException;
import java.util.Arrays;
import java.util.Iterator;
import java.util.NoSuchElementException;

/**
 * What {@link SpoolDataFormat} unmarshals a spool file to: a lazy iterator of {@link RecordBatch}es of
 * {@code batchSize} rows from the file's checkpoint on, for the upload route's streaming split. It holds one batch
 * ahead and the file's read buffer; closing it closes the file.
 *
 * <p>The window ({@link FileProgress#mayPost}) is waited for in {@code hasNext()} right after {@code next()}: Camel's
 * splitter asks there whether more will follow before it hands the batch just taken to the pool, and only a false
 * there lets it wait for the batches already out (a later false would end the split at once). So the batch just
 * taken goes out only once it is within the window; when the attempt failed meanwhile it is cancelled instead, and
 * no further batch is taken.
 *
 * <p>A row that cannot be read is a failure of the batch it is in, recorded in the progress like a failed POST; the
 * batches before it still go out.
 */
final class SpoolBatches implements Iterator<RecordBatch>, Closeable {
    /** A batch buffer that grew beyond this (very long rows) is not kept for the next batch. */
    private static final int KEEP_BUFFER_BYTES = 8 << 20;

    private final SpoolTranscoder reader;
    private final FileProgress progress;
    private final int batchSize;
    private final String file;
    private final String keyPrefix;
    private final int[] offsets;
    private SpoolTranscoder.Output out;
    private RecordBatch ahead;
    /** Batches taken by next(). */
    private int taken;
    private long nextRow;
    /** The next hasNext() is the one right after next(): it waits for the window. */
    private boolean afterNext;
    private boolean ended;

    SpoolBatches(SpoolTranscoder reader, FileProgress progress, int batchSize, String file, String keyPrefix) {
        this.reader = reader;
        this.progress = progress;
        this.batchSize = batchSize;
        this.file = file;
        this.keyPrefix = keyPrefix;
        this.offsets = new int[batchSize + 1];
        this.nextRow = progress.getResumedAt();
        // about 850 bytes of JSON per row of the sniffer's: one batch fits, it grows for longer rows
        this.out = new SpoolTranscoder.Output((int) Math.min(KEEP_BUFFER_BYTES, 1024L * batchSize + 16));
        progress.source(this);
    }

    @Override
    public boolean hasNext() {
        if (ahead == null && !ended) {
            ahead = read();
        }
        if (afterNext) {
            afterNext = false;
            if (!progress.mayPost(taken - 1)) {
                ended = true;
                ahead = null;
            }
        }
        return ahead != null;
    }

    @Override
    public RecordBatch next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        RecordBatch b = ahead;
        ahead = null;
        progress.issue(b);
        taken++;
        afterNext = true;
        return b;
    }

    /** The next batch, or null at the end of the file or when a row cannot be read (recorded as batch {@code taken}). */
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
                    break;
                }
                count++;
            }
            if (count == 0) {
                ended = true;
                return null;
            }
            offsets[count] = out.size() + 1;
            out.put((byte) ']');
            RecordBatch b = new RecordBatch(file, keyPrefix, nextRow, out.toByteArray(), Arrays.copyOf(offsets, count + 1), count);
            nextRow += count;
            if (out.capacity() > KEEP_BUFFER_BYTES) {
                out = new SpoolTranscoder.Output(1024 * batchSize + 16);
            }
            return b;
        } catch (UploadException e) {
            progress.fail(taken, e);
        } catch (IOException e) {
            progress.fail(taken, new UploadException(false, "cannot read " + file + ": " + e));
        }
        ended = true;
        return null;
    }

    @Override
    public void close() throws IOException {
        ended = true;
        reader.close();
    }
}
