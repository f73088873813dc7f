package org.packetrelay.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where the jar's CPU goes during a replay (from the "Capturing on" line), by capture stage, from a JFR recording's CPU samples (Java threads): each
 * sample goes to the stage of the innermost frame that names one: read (libpcap's loop and the copy into raw
 * batches), decode (the layers), CSV (the row bytes), write (the spool file's channel), route (Camel and the spool's
 * aggregation); samples of none of these are "other" (start-up, logging). GC and JIT threads are not sampled: they are
 * what the process's CPU time has beyond the samples.
 */
final class CaptureJfr {
    static final List<String> STAGES = List.of("read", "decode", "CSV", "route", "write", "other");
    /** CPU time one sample stands for: the period of jdk.ExecutionSample in JFR's "profile" settings. */
    static final double SAMPLE_SECONDS = 0.010;

    private CaptureJfr() {
    }

    /**
     * Samples per stage, in {@link #STAGES} order, in units of {@link #SAMPLE_SECONDS}; empty when there is no recording.
     * A thread in libpcap's native read or in the spool's write(2) (jdk.NativeMethodSample, every 20 ms: 2 units) is
     * working, not waiting (a replay reads from the page cache).
     */
    static Map<String, Long> stages(Path jfr, long fromEpochMs) throws IOException {
        Map<String, Long> counts = new LinkedHashMap<>();
        STAGES.forEach(s -> counts.put(s, 0L));
        if (!Files.exists(jfr)) {
            return Map.of();
        }
        for (RecordedEvent e : RecordingFile.readAllEvents(jfr)) {
            String type = e.getEventType().getName();
            if (e.getStartTime().toEpochMilli() < fromEpochMs) {
                continue; // start-up
            }
            RecordedStackTrace st = e.getStackTrace();
            if (st == null || st.getFrames().isEmpty()) {
                continue;
            }
            if ("jdk.ExecutionSample".equals(type)) {
                counts.merge(stage(st), 1L, Long::sum);
            } else if ("jdk.NativeMethodSample".equals(type)) {
                String top = st.getFrames().get(0).getMethod().getType().getName();
                if (top.startsWith("org.packetrelay.pcap.NativeLoop")) {
                    counts.merge("read", 2L, Long::sum);
                } else if (top.startsWith("sun.nio.ch.FileDispatcherImpl")) {
                    counts.merge("write", 2L, Long::sum); // in write(2)
                }
            }
        }
        return counts;
    }

    private static String stage(RecordedStackTrace st) {
        for (RecordedFrame f : st.getFrames()) {
            String c = f.getMethod().getType().getName();
            String m = f.getMethod().getName();
            if (c.startsWith("org.packetrelay.pcap.NativeLoop") || c.startsWith("org.packetrelay.pcap.RawBatch")
                || c.startsWith("org.packetrelay.pcap.CaptureTask")) {
                return "read";
            }
            if (c.startsWith("org.packetrelay.decode.")) {
                return "decode";
            }
            if (c.startsWith("org.packetrelay.catalog.PacketRecord") && m.startsWith("appendCsv")
                || c.startsWith("org.packetrelay.catalog.CsvBytes")) {
                return "CSV";
            }
            if (c.startsWith("org.packetrelay.pcap.BatchDelivery") && m.equals("decode")) {
                return "decode"; // the copy of each packet out of its raw batch
            }
            if (c.startsWith("org.packetrelay.catalog.")) {
                return "decode"; // the record's setters and wire text, called by the layers
            }
            if (c.startsWith("org.packetrelay.spool.SpoolFile") && m.equals("write") || c.startsWith("sun.nio.ch.FileChannelImpl")
                || c.startsWith("sun.nio.ch.FileDispatcherImpl")) {
                return "write";
            }
            if (c.startsWith("org.packetrelay.spool.") || c.startsWith("org.apache.camel.")
                || c.startsWith("org.packetrelay.pcap.BatchDelivery") || c.startsWith("org.packetrelay.pcap.PcapConsumer")) {
                return "route";
            }
        }
        return "other";
    }
}
