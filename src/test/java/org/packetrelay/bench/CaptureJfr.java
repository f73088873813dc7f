package org.packetrelay.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where the jar's CPU goes during a replay (from the "Capturing on" line), by capture stage, from a JFR recording:
 * <ul>
 * <li>each thread's CPU time, from {@code jdk.ThreadCPULoad} every {@value #LOAD_PERIOD_MS} ms (user + system);</li>
 * <li>read: all of the capture thread's ({@code pcap-<source>}: libpcap's loop and the copy into raw batches);</li>
 * <li>the decode threads' ({@code pcap-decode}) CPU split into decode (the layers), CSV (the row bytes), route (Camel
 * and the spool's aggregation) and write (the spool file's channel) by their Java samples ({@code jdk.ExecutionSample}:
 * the stage of the innermost frame that names one). Shares, not sample counts times the period: JFR drops the samples
 * whose stack it cannot walk, so counts undercount. Native code is never sampled, so write(2)'s own CPU is spread over
 * the four; its wall time (which also holds waiting for a core) comes from {@code jdk.FileWrite} as
 * {@link #WRITE_WALL};</li>
 * <li>JIT: the C1 and C2 compiler threads;</li>
 * <li>everything else (the aggregator's completion and fsync, Camel's timers, logging) as "other threads". GC
 * threads are not Java threads, so JFR reports none of their CPU.</li>
 * </ul>
 * Why not {@code jdk.NativeMethodSample} for the native parts: it samples one thread in native code per period, busy
 * or blocked, so its counts do not measure CPU (they once made write(2) look like 40 % of the work).
 */
final class CaptureJfr {
    static final List<String> STAGES = List.of("read", "decode", "CSV", "route", "write", "JIT", "other threads");
    /** The key of the decode threads' wall time in write(2) (not a stage: not CPU). */
    static final String WRITE_WALL = "write(2) wall";
    /** The period the bench sets for jdk.ThreadCPULoad (JFR's default is 10 s, too coarse for a 3 s replay). */
    static final int LOAD_PERIOD_MS = 100;
    /** The JFR option that gives that period. */
    static final String LOAD_OPTION = "jdk.ThreadCPULoad#period=" + LOAD_PERIOD_MS + "ms,jdk.FileWrite#threshold=0ms";

    private CaptureJfr() {
    }

    /** CPU seconds per stage, in {@link #STAGES} order, then {@link #WRITE_WALL}; empty when there is no recording. */
    static Map<String, Double> stages(Path jfr, long fromEpochMs) throws IOException {
        if (!Files.exists(jfr)) {
            return Map.of();
        }
        Map<String, Long> samples = new HashMap<>();
        double readCpu = 0;
        double decodeCpu = 0;
        double jitCpu = 0;
        double writeWall = 0;
        double otherCpu = 0;
        // jdk.ThreadCPULoad is a share of the whole machine: times the cores and the period, CPU seconds
        double loadSeconds = Runtime.getRuntime().availableProcessors() * LOAD_PERIOD_MS / 1000.0;
        for (RecordedEvent e : RecordingFile.readAllEvents(jfr)) {
            if (e.getStartTime().toEpochMilli() < fromEpochMs) {
                continue; // start-up
            }
            String type = e.getEventType().getName();
            boolean load = "jdk.ThreadCPULoad".equals(type);
            boolean write = "jdk.FileWrite".equals(type);
            if (!load && !write && !"jdk.ExecutionSample".equals(type)) {
                continue;
            }
            RecordedThread t = e.getThread(load || write ? "eventThread" : "sampledThread");
            String name = t == null || t.getJavaName() == null ? "" : t.getJavaName();
            if (load) {
                double cpu = (e.getFloat("user") + e.getFloat("system")) * loadSeconds;
                if (name.endsWith(" - pcap-decode")) {
                    decodeCpu += cpu;
                } else if (name.contains(" - pcap-")) {
                    readCpu += cpu;
                } else if (name.startsWith("C1 CompilerThread") || name.startsWith("C2 CompilerThread")) {
                    jitCpu += cpu;
                } else {
                    otherCpu += cpu;
                }
            } else if (write) {
                if (name.endsWith(" - pcap-decode")) {
                    writeWall += e.getDuration().toNanos() / 1e9;
                }
            } else if (name.endsWith(" - pcap-decode")) {
                RecordedStackTrace st = e.getStackTrace();
                if (st != null && !st.getFrames().isEmpty()) {
                    samples.merge(stage(st), 1L, Long::sum);
                }
            }
        }
        Map<String, Double> cpu = new LinkedHashMap<>();
        STAGES.forEach(s -> cpu.put(s, 0.0));
        cpu.put("read", readCpu);
        long total = samples.values().stream().mapToLong(Long::longValue).sum();
        for (String s : List.of("decode", "CSV", "route", "write")) {
            cpu.put(s, total == 0 ? 0 : decodeCpu * samples.getOrDefault(s, 0L) / total);
        }
        cpu.put("JIT", jitCpu);
        cpu.put("other threads", otherCpu + (total == 0 ? 0 : decodeCpu * samples.getOrDefault("other", 0L) / total));
        cpu.put(WRITE_WALL, writeWall);
        return cpu;
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
