package org.packetrelay.upload;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The spool data format on real files: which batches (keys) an attempt at a file cuts, from which checkpoint, with
 * which batch size, and what a reader that fails or stops early leaves in the file's progress.
 */
class SpoolDataFormatTest {
    private static final String NAME = "packets_20260101_000000_000.csv";

    @TempDir
    Path logs;
    private DefaultCamelContext context;

    @BeforeEach
    void start() {
        context = new DefaultCamelContext();
    }

    @AfterEach
    void stop() {
        context.stop();
    }

    private Path state() {
        return logs.resolve(".state").resolve(NAME + ".progress");
    }

    private SpoolDataFormat format(int batchSize) {
        SpoolDataFormat f = new SpoolDataFormat();
        f.setLogsDir(logs.toString());
        f.setBatchSize(batchSize);
        f.setParallelBatches(1000); // nothing settles here: no window to wait for
        f.setHostId("h");
        f.start();
        return f;
    }

    private Exchange exchange() {
        Exchange ex = new DefaultExchange(context);
        ex.getIn().setHeader(Exchange.FILE_NAME_ONLY, NAME);
        return ex;
    }

    /** The keys of the batches one attempt at the file cuts. */
    private List<String> keys(int batchSize, int rows) throws Exception {
        Path file = logs.resolve("pending_upload").resolve(NAME);
        if (!Files.exists(file)) {
            SpoolFixtures.write(logs.resolve("pending_upload"), NAME, rows, "k");
        }
        List<String> keys = new ArrayList<>();
        try (InputStream in = Files.newInputStream(file);
             SpoolBatches it = (SpoolBatches) format(batchSize).unmarshal(exchange(), in)) {
            while (it.hasNext()) {
                keys.add(it.next().getIdempotencyKey().replace("h:" + NAME + ":", ""));
            }
        }
        return keys;
    }

    @Test
    void theFirstAttemptRecordsItsBatchSizeBeforeAnythingIsPosted() throws Exception {
        assertEquals(List.of("0+500", "500+500", "1000+200"), keys(500, 1200));
        assertEquals("rows=0\nbatch=500\n", Files.readString(state()));
    }

    @Test
    void aLaterAttemptKeepsTheBatchSizeTheFileWasFirstPostedWith() throws Exception {
        // batches 250+250 and 500+250 may already be stored (2xx after a failed batch 0): the same keys again
        Files.createDirectories(state().getParent());
        Files.writeString(state(), "rows=0\nbatch=250\n");
        assertEquals(List.of("0+250", "250+250", "500+250", "750+250"), keys(500, 1000));
    }

    @Test
    void aSmallerSettingWinsOverTheRecordedSizeForABatchNeverHasMoreRecordsThanTheSetting() throws Exception {
        Files.createDirectories(state().getParent());
        Files.writeString(state(), "rows=1000\nbatch=1000\n");
        assertEquals(List.of("1000+500", "1500+500"), keys(500, 2000));
    }

    @Test
    void aCheckpointOfAnEarlierVersionResumesWithTheSetting() throws Exception {
        Files.createDirectories(state().getParent());
        Files.writeString(state(), "rows=500\n");
        assertEquals(List.of("500+500", "1000+500"), keys(500, 1500));
    }

    @Test
    void anUnreadableCheckpointStartsTheFileAgainInsteadOfHoldingItBack() throws Exception {
        Files.createDirectories(state().getParent());
        for (String broken : new String[] { "", "rows=\n", "garbage", "rows=12\nbatch=x\n" }) {
            Files.writeString(state(), broken);
            assertEquals(List.of("0+500", "500+100"), keys(500, 600), "checkpoint '" + broken + "'");
        }
    }

    @Test
    void aReaderThatThrowsEndsTheFileWithAPermanentFailureInsteadOfHangingTheSplit() throws Exception {
        Path file = SpoolFixtures.write(logs.resolve("pending_upload"), NAME, 3000, "t");
        Exchange ex = exchange();
        // a fault no real file causes: the reader itself failing (a bug) half-way through
        long cut = Files.size(file) / 2;
        try (InputStream in = new FilterInputStream(Files.newInputStream(file)) {
            private long read;

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (read >= cut) {
                    throw new IllegalStateException("planted reader bug");
                }
                int n = super.read(b, off, (int) Math.min(len, cut - read + 1));
                read += Math.max(0, n);
                return n;
            }
        };
             SpoolBatches it = (SpoolBatches) format(500).unmarshal(ex, in)) {
            int taken = 0;
            while (it.hasNext() && taken < 100) {
                it.next();
                taken++;
            }
            assertTrue(taken < 6, "the batches end at the failure: " + taken);
        }
        FileProgress p = ex.getProperty(FileProgress.PROPERTY, FileProgress.class);
        assertNotNull(p.getFailure(), "the failure is recorded");
        assertTrue(p.getFailure().isPermanent(), p.getFailure().getMessage());
        assertTrue(p.getFailure().getMessage().contains("planted reader bug"), p.getFailure().getMessage());
        assertFalse(p.isEndOfFile());
    }

    @Test
    void anAttemptThatStoppedBeforeTheEndOfTheFileIsNotAnUpload() throws Exception {
        Path file = SpoolFixtures.write(logs.resolve("pending_upload"), NAME, 1200, "s");
        Exchange ex = exchange();
        try (InputStream in = Files.newInputStream(file);
             SpoolBatches it = (SpoolBatches) format(500).unmarshal(ex, in)) {
            it.next(); // one batch taken, then the split ends (a stop): no failure, no end of file
        }
        UploadStatus status = new UploadStatus();
        status.setLogsDir(logs.toString());
        UploadException e = assertThrows(UploadException.class, () -> status.finish(ex));
        assertFalse(e.isPermanent(), "retried from failed_uploads/");
        assertTrue(e.getMessage().contains("before the end of the file"), e.getMessage());
        assertTrue(Files.exists(state()), "the checkpoint stays for the next attempt");
    }
}
