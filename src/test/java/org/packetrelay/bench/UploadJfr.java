package org.packetrelay.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where the relay's CPU samples and allocations fall in a JFR recording, between two instants: by library (the first
 * non-JDK frame from the top of the stack; JDK-only stacks by their top frame), by thread and by hottest method;
 * with the GCs of that window.
 */
final class UploadJfr {
    private UploadJfr() {
    }

    private static void line(Consumer<String> out, String fmt, Object... args) {
        out.accept(String.format(Locale.ROOT, fmt, args));
    }

    static void summarize(Path jfr, long fromMs, long toMs, long records, Consumer<String> out) throws IOException {
        if (!Files.exists(jfr)) {
            line(out, "JFR: no recording at %s", jfr);
            return;
        }
        Map<String, Long> byCategory = new HashMap<>();
        Map<String, Long> byThread = new HashMap<>();
        Map<String, Long> byTop = new HashMap<>();
        Map<String, Long> allocByCategory = new HashMap<>();
        long samples = 0;
        long allocTotal = 0;
        long gcCount = 0;
        double gcPauseMs = 0;
        long maxHeapUsed = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(jfr)) {
            long at = e.getStartTime().toEpochMilli();
            if (at < fromMs || at > toMs) {
                continue;
            }
            String type = e.getEventType().getName();
            switch (type) {
                case "jdk.ExecutionSample" -> {
                    RecordedStackTrace st = e.getStackTrace();
                    if (st == null || st.getFrames().isEmpty()) {
                        continue;
                    }
                    samples++;
                    byCategory.merge(category(st), 1L, Long::sum);
                    String thread = e.getThread("sampledThread") == null ? "?" : e.getThread("sampledThread").getJavaName();
                    byThread.merge(thread == null ? "?" : thread.replaceAll("\\d+", "N"), 1L, Long::sum);
                    RecordedFrame top = st.getFrames().get(0);
                    byTop.merge(top.getMethod().getType().getName() + "." + top.getMethod().getName(), 1L, Long::sum);
                }
                case "jdk.ObjectAllocationSample" -> {
                    long w = e.getLong("weight");
                    allocTotal += w;
                    if (e.getStackTrace() != null && !e.getStackTrace().getFrames().isEmpty()) {
                        allocByCategory.merge(category(e.getStackTrace()), w, Long::sum);
                    }
                }
                case "jdk.GarbageCollection" -> {
                    gcCount++;
                    gcPauseMs += e.getDuration("sumOfPauses").toNanos() / 1e6;
                }
                case "jdk.GCHeapSummary" -> maxHeapUsed = Math.max(maxHeapUsed, e.getLong("heapUsed"));
                default -> {
                }
            }
        }
        line(out, "JFR profile of the relay (settings=profile), from the first request to the last response of the pass (%.1f s): %,d CPU samples;",
                (toMs - fromMs) / 1000.0, samples);
        line(out, "  %d GCs, %.0f ms of pauses, heap used at most %.0f MB; about %.0f MB allocated (%.0f bytes/record)",
                gcCount, gcPauseMs, maxHeapUsed / 1e6, allocTotal / 1e6, allocTotal / (double) Math.max(1, records));
        line(out, "  CPU samples by library (the first non-JDK frame from the top; JDK-only stacks by their top frame):");
        top(byCategory, samples, 14, "    ", out);
        line(out, "  CPU samples by thread:");
        top(byThread, samples, 8, "    ", out);
        line(out, "  hottest methods (top frame):");
        top(byTop, samples, 16, "    ", out);
        if (allocTotal > 0) {
            line(out, "  allocation by library (share of sampled bytes):");
            top(allocByCategory, allocTotal, 10, "    ", out);
        }
    }

    private static String category(RecordedStackTrace st) {
        List<RecordedFrame> frames = st.getFrames();
        String topCls = frames.get(0).getMethod().getType().getName();
        if (topCls.startsWith("sun.nio.cs.") || topCls.startsWith("java.io.InputStreamReader") || topCls.startsWith("sun.nio.cs")) {
            return "UTF-8 decode (JDK CharsetDecoder)";
        }
        if (topCls.startsWith("sun.nio.ch.") || topCls.startsWith("java.net.") || topCls.startsWith("sun.net.")) {
            return "socket I/O (JDK)";
        }
        for (RecordedFrame f : frames) {
            String c = f.getMethod().getType().getName();
            if (c.startsWith("org.apache.commons.csv.")) {
                return "commons-csv (CSV parse)";
            }
            if (c.startsWith("com.fasterxml.jackson.")) {
                return "Jackson (JSON generator)";
            }
            if (c.startsWith("org.packetrelay.upload.SpoolTranscoder")) {
                return "SpoolTranscoder (CSV -> JSON)";
            }
            if (c.startsWith("org.packetrelay.catalog.")) {
                return "catalog (FieldType.parse)";
            }
            if (c.startsWith("org.packetrelay.")) {
                return "packet-relay other (" + c.substring(c.lastIndexOf('.') + 1) + ")";
            }
            if (c.startsWith("org.apache.hc.")) {
                return "Apache HttpClient 5";
            }
            if (c.startsWith("org.apache.camel.component.http") || c.startsWith("org.apache.camel.http.")) {
                return "camel-http";
            }
            if (c.startsWith("org.apache.camel.component.file")) {
                return "camel-file";
            }
            if (c.startsWith("org.apache.camel.component.bean") || c.startsWith("org.apache.camel.language.simple")) {
                return "camel-bean and simple (the routes' ${body.x} and bean calls)";
            }
            if (c.startsWith("org.apache.camel.component.micrometer") || c.startsWith("io.micrometer.")) {
                return "Micrometer (Camel's metrics)";
            }
            if (c.startsWith("org.apache.camel.")) {
                return "Camel core";
            }
            if (c.startsWith("ch.qos.logback.") || c.startsWith("org.slf4j.")) {
                return "logging";
            }
            if (!(c.startsWith("java.") || c.startsWith("jdk.") || c.startsWith("sun.") || c.startsWith("com.sun."))) {
                return "other library (" + c.substring(0, Math.max(0, c.lastIndexOf('.'))) + ")";
            }
        }
        return "JDK only: " + topCls;
    }

    private static void top(Map<String, Long> m, long total, int n, String indent, Consumer<String> out) {
        m.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(n)
                .forEach(e -> line(out, "%s%5.1f %%  %s", indent, 100.0 * e.getValue() / total, e.getKey()));
    }
}
