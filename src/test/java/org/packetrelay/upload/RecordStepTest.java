package org.packetrelay.upload;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BiConsumer;
import java.util.function.Function;

import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.Test;
import org.packetrelay.catalog.Field;
import org.packetrelay.catalog.PacketRecord;

/**
 * The record steps as the upload route runs them: on several batches at once (its split is parallel), from the first
 * batch on. A step compiles its expressions once; a batch that comes while another is compiling them must still see
 * them whole (a value applied without its {@code when} would overwrite every record).
 */
class RecordStepTest {
    private static final int THREADS = 4;

    @Test
    void setFieldAppliesItsConditionFromTheFirstBatchOnEveryThread() throws Exception {
        race(300, ctx -> {
            SetField step = new SetField();
            step.setCamelContext(ctx);
            step.setField("vlan_id");
            step.setValue("1");
            step.setWhen("${body[vlan_id]} == null");
            return step;
        }, (trial, b) -> {
            for (int i = 0; i < b.size(); i++) {
                assertEquals(i % 2 == 0 ? 7 : 1, ((Number) b.get(i).get("vlan_id")).intValue(), "trial " + trial + ", record " + i);
            }
        });
    }

    @Test
    void dropRecordsAppliesItsConditionFromTheFirstBatchOnEveryThread() throws Exception {
        race(100, ctx -> {
            DropRecords step = new DropRecords();
            step.setCamelContext(ctx);
            step.setWhen("${body[vlan_id]} == 7");
            return step;
        }, (trial, b) -> {
            assertEquals(20, b.size(), "trial " + trial);
            for (BatchRecord r : b) {
                assertEquals(null, r.get("vlan_id"), "trial " + trial);
            }
        });
    }

    /** For each trial, a new step runs on {@value #THREADS} batches at once, released together; each batch is checked. */
    private static void race(int trials, Function<CamelContext, RecordStep> newStep, BiConsumer<Integer, RecordBatch> check) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try (CamelContext ctx = new DefaultCamelContext()) {
            ctx.start();
            for (int trial = 0; trial < trials; trial++) {
                RecordStep step = newStep.apply(ctx);
                CyclicBarrier start = new CyclicBarrier(THREADS);
                List<Future<RecordBatch>> done = new ArrayList<>();
                for (int t = 0; t < THREADS; t++) {
                    RecordBatch batch = halfTagged();
                    done.add(pool.submit(() -> {
                        Exchange e = new DefaultExchange(ctx);
                        e.getIn().setBody(batch);
                        start.await();
                        step.process(e);
                        return batch;
                    }));
                }
                for (Future<RecordBatch> f : done) {
                    check.accept(trial, f.get());
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    /** A batch of 40 records, the even ones with VLAN 7, the odd ones with none. */
    private static RecordBatch halfTagged() throws Exception {
        List<PacketRecord> records = new ArrayList<>();
        for (int i = 0; i < 40; i++) {
            PacketRecord r = SpoolFixtures.record(i, "v");
            if (i % 2 == 0) {
                r.setNumber(Field.VLAN_ID, 7);
            }
            records.add(r);
        }
        return RecordBatchTest.batches(records, 40).get(0);
    }
}
