package org.packetrelay.upload;

import java.util.AbstractList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Predicate;

/**
 * A batch of consecutive rows of one spool file, as the upload route's split hands it to its steps: a list of typed
 * records ({@link BatchRecord}) that a step may filter ({@code removeIf}, {@link DropRecords}) or change
 * ({@link BatchRecord#put}, {@link SetField}), and that marshals to the JSON array the server gets.
 *
 * <p>The rows arrive already checked and written as JSON by {@link SpoolTranscoder}, one object per row in one byte
 * array; a record is parsed only when a step looks at it, so a batch that no step touches is posted as those bytes,
 * and one that was filtered is copied from them except for the records a step changed.
 *
 * <p>Its {@code Idempotency-Key} names the rows it spans in the file (first row, row count), whatever a step removed:
 * the same rows give the same key on every retry. {@link #halves} splits it for a 413. Equality is identity: Camel's
 * bean binding hashes the body to cache method lookups, and a list's hash would read every record.
 */
public final class RecordBatch extends AbstractList<BatchRecord> {
    private final BatchOrigin origin;
    /** The file row of local row 0. */
    private final long base;
    /** {@code [} + the rows' JSON objects joined by {@code ,} + {@code ]}; row i at [offsets[i], offsets[i + 1] - 1). */
    private final byte[] json;
    private final int[] offsets;
    /** Records made so far, by local row (null until a step reads one); shared with the halves. */
    private BatchRecord[] records;
    /** The local rows [lo, hi) this batch spans. */
    private final int lo;
    private final int hi;
    /** Local rows of the records left, in order; null while none was removed. */
    private int[] kept;
    private int size;
    private volatile boolean cancelled;

    RecordBatch(BatchOrigin origin, long firstRow, byte[] json, int[] offsets, int rows) {
        this(origin, firstRow, json, offsets, null, 0, rows, null);
    }

    private RecordBatch(BatchOrigin origin, long base, byte[] json, int[] offsets, BatchRecord[] records, int lo, int hi, int[] kept) {
        this.origin = origin;
        this.base = base;
        this.json = json;
        this.offsets = offsets;
        this.records = records;
        this.lo = lo;
        this.hi = hi;
        this.kept = kept;
        this.size = kept == null ? hi - lo : kept.length;
    }

    /** The spool file's name. */
    public String getFile() {
        return origin.file();
    }

    /** The id of the host whose spool file this is (sender.host-id, else /etc/machine-id, else the host name). */
    public String getHostId() {
        return origin.host();
    }

    /** The first row of the file this batch spans (rows count from 0, the header not counted). */
    public long getFirstRow() {
        return base + lo;
    }

    /** The rows of the file this batch spans, records removed by a step included. */
    public int getRowCount() {
        return hi - lo;
    }

    public String getIdempotencyKey() {
        return origin.keyPrefix() + getFirstRow() + "+" + getRowCount();
    }

    /** The upload of the file stopped before this batch was posted; it is posted again when the file is retried. */
    public boolean isCancelled() {
        return cancelled;
    }

    void cancel() {
        cancelled = true;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public BatchRecord get(int index) {
        return record(local(index));
    }

    private int local(int index) {
        if (index < 0 || index >= size) {
            throw new IndexOutOfBoundsException(index);
        }
        return kept == null ? lo + index : kept[index];
    }

    private BatchRecord record(int local) {
        if (records == null) {
            records = new BatchRecord[offsets.length - 1];
        }
        BatchRecord r = records[local];
        if (r == null) {
            r = new BatchRecord(json, offsets[local], offsets[local + 1] - 1);
            records[local] = r;
        }
        return r;
    }

    @Override
    public BatchRecord remove(int index) {
        BatchRecord r = get(index);
        int[] k = keptRows();
        int[] rest = new int[size - 1];
        System.arraycopy(k, 0, rest, 0, index);
        System.arraycopy(k, index + 1, rest, index, size - index - 1);
        kept = rest;
        size--;
        modCount++;
        return r;
    }

    @Override
    public boolean removeIf(Predicate<? super BatchRecord> filter) {
        int[] k = keptRows();
        int n = 0;
        for (int i = 0; i < size; i++) {
            if (!filter.test(record(k[i]))) {
                k[n++] = k[i];
            }
        }
        if (n == size) {
            return false;
        }
        kept = Arrays.copyOf(k, n);
        size = n;
        modCount++;
        return true;
    }

    @Override
    public void clear() {
        kept = new int[0];
        size = 0;
        modCount++;
    }

    private int[] keptRows() {
        if (kept != null) {
            return kept;
        }
        int[] k = new int[hi - lo];
        for (int i = 0; i < k.length; i++) {
            k[i] = lo + i;
        }
        return k;
    }

    /** The JSON array of the records: the bytes as read when no step removed or changed any. Do not modify it. */
    public byte[] toJson() {
        boolean changed = false;
        for (int i = lo; records != null && i < hi && !changed; i++) {
            changed = records[i] != null && records[i].isModified();
        }
        if (kept == null && !changed) {
            if (lo == 0 && hi == offsets.length - 1) {
                return json;
            }
            int s = offsets[lo];
            int len = offsets[hi] - 1 - s;
            byte[] body = new byte[len + 2];
            body[0] = '[';
            System.arraycopy(json, s, body, 1, len);
            body[len + 1] = ']';
            return body;
        }
        int[] k = keptRows();
        SpoolTranscoder.Output out = new SpoolTranscoder.Output(offsets[hi] - offsets[lo] + 2);
        out.put((byte) '[');
        for (int i = 0; i < size; i++) {
            if (i > 0) {
                out.put((byte) ',');
            }
            BatchRecord r = records == null ? null : records[k[i]];
            if (r != null && r.isModified()) {
                r.writeTo(out);
            } else {
                out.put(json, offsets[k[i]], offsets[k[i] + 1] - 1 - offsets[k[i]]);
            }
        }
        out.put((byte) ']');
        return out.toByteArray();
    }

    /**
     * The two halves of the records (for a 413), each spanning its own rows of the file and so with its own key: the
     * first from this batch's first row up to the middle record's row, the second from there to this batch's end.
     */
    public List<RecordBatch> halves() {
        if (size < 2) {
            throw new IllegalStateException("a batch of " + size + " records cannot be halved");
        }
        int[] k = keptRows();
        int mid = size / 2;
        int m = k[mid];
        int[] first = kept == null ? null : Arrays.copyOfRange(k, 0, mid);
        int[] second = kept == null ? null : Arrays.copyOfRange(k, mid, size);
        return List.of(new RecordBatch(origin, base, json, offsets, records, lo, m, first),
                new RecordBatch(origin, base, json, offsets, records, m, hi, second));
    }

    @Override
    public boolean equals(Object o) {
        return this == o;
    }

    @Override
    public int hashCode() {
        return System.identityHashCode(this);
    }

    @Override
    public String toString() {
        return "RecordBatch[" + origin.file() + " rows " + getFirstRow() + "+" + getRowCount() + ", " + size + " records]";
    }
}
