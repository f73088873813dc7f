package org.packetrelay.bench;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;

/** What an ingest sink saw, request by request, and its summary for the requests of one pass of a run. */
final class UploadSinkLog {
    private UploadSinkLog() {
    }

    /**
     * One request: its Idempotency-Key, the record count the key ends in ({@code +count}; -1 if none), the records
     * counted in the body (-1 when the sink does not parse bodies), body bytes, when it began and when it was answered
     * (epoch ms), and what was wrong with it (null: nothing).
     */
    record Req(String key, long count, long bodyRecords, long bodyBytes, long startMs, long endMs, String problem) {
    }

    /** The requests of one pass. {@code bodyRecords} is -1 when the sink does not parse bodies. */
    record Result(long records, long bodyRecords, long requests, long distinctKeys, long repeatedKeys, long bodyBytes,
                  long maxBatch, List<String> problems, long firstMs, long lastMs, double cpuSeconds) {
        double seconds() {
            return (lastMs - firstMs) / 1000.0;
        }
    }

    static Result summarize(List<Req> all, Predicate<String> keyFilter, double cpuSeconds) {
        Set<String> keys = new HashSet<>();
        List<String> problems = new ArrayList<>();
        long records = 0;
        long bodyRecords = 0;
        boolean bodiesParsed = true;
        long requests = 0;
        long repeated = 0;
        long bytes = 0;
        long maxBatch = 0;
        long first = Long.MAX_VALUE;
        long last = 0;
        for (Req r : all) {
            if (r.key() == null || !keyFilter.test(r.key())) {
                if (r.key() == null) {
                    problems.add("a request without Idempotency-Key");
                }
                continue;
            }
            requests++;
            first = Math.min(first, r.startMs());
            last = Math.max(last, r.endMs());
            bytes += r.bodyBytes();
            if (r.problem() != null) {
                problems.add(r.problem());
            }
            if (r.bodyRecords() < 0) {
                bodiesParsed = false;
            }
            if (r.count() < 0) {
                continue;
            }
            if (keys.add(r.key())) {
                records += r.count();
                bodyRecords += Math.max(0, r.bodyRecords());
                maxBatch = Math.max(maxBatch, r.count());
            } else {
                repeated++;
            }
        }
        return new Result(records, bodiesParsed ? bodyRecords : -1, requests, keys.size(), repeated, bytes, maxBatch, problems,
                requests == 0 ? 0 : first, last, cpuSeconds);
    }

    /** The record count ending an Idempotency-Key ({@code host:file:first+count}), or -1. */
    static long countOf(String key) {
        int plus = key == null ? -1 : key.lastIndexOf('+');
        if (plus < 0) {
            return -1;
        }
        try {
            return Long.parseLong(key.substring(plus + 1));
        } catch (NumberFormatException e) {
            return -1;
        }
    }
}
