package org.packetrelay.upload;

import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import javax.management.MBeanAttributeInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;

import org.apache.camel.test.main.junit5.CamelMainTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.packetrelay.testing.IngestServer;
import org.packetrelay.testing.IngestServer.Fault;
import org.packetrelay.testing.SpoolFiles;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.packetrelay.upload.UploadChecks.assertExactlyOnce;
import static org.packetrelay.upload.UploadChecks.await;
import static org.packetrelay.upload.UploadChecks.requestsFor;

/**
 * The upload routes against servers that misbehave: Retry-After longer than the backoff (seconds and HTTP dates), a
 * redirect, an answer of 1 GB, an answer trickling a byte at a time; the window (a batch being redelivered holds the
 * rest of its file back), one batch at a time, the bearer token kept out of .error files and JMX. Gaps between
 * attempts are measured by the server; only lower bounds are asserted.
 */
@CamelMainTest(propertyPlaceholderLocations = "file:application.properties",
               properties = {
                       "camel.main.routes-include-pattern=file:routes/upload*.yaml",
                       "camel.server.enabled=false",
                       "camel.management.enabled=false",
                       "relay.roles=sender",
                       "relay.logs-dir=target/test-spool/faults",
                       "sender.poll-interval=1",
                       "sender.retry-delay=1",
                       "sender.max-retries=3",
                       "sender.failed-retry-interval=2",
                       "sender.timeout=2",
                       "sender.host-id=faults",
                       "sender.auth-token=" + UploadFaultsTest.TOKEN,
               })
class UploadFaultsTest {
    static final Path LOGS = Paths.get("target/test-spool/faults");
    static final Path PENDING = LOGS.resolve("pending_upload");
    static final Path PROCESSED = LOGS.resolve("processed");
    static final Path FAILED = LOGS.resolve("failed_uploads");
    static final String TOKEN = "s3cret-token-of-the-faults-test";
    static final IngestServer SERVER;
    /** Where the redirect points: it must never get a request (nor the token). */
    static final IngestServer ELSEWHERE;

    static {
        try {
            SpoolFiles.deleteTree(LOGS);
            SERVER = new IngestServer(0);
            ELSEWHERE = new IngestServer(0);
            System.setProperty("sender.url", SERVER.url());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @AfterAll
    static void stop() throws Exception {
        System.clearProperty("sender.url");
        SERVER.close();
        ELSEWHERE.close();
        SpoolFiles.deleteTree(LOGS);
    }

    static void behave() {
        SERVER.faults(r -> null);
        SERVER.maxRecordsPerRequest(Integer.MAX_VALUE);
    }

    /** Gaps in ms between the successive requests of one batch key, as the server saw them. */
    static List<Long> gaps(String keySuffix) {
        List<Long> times = SERVER.log().stream().filter(r -> r.key() != null && r.key().endsWith(keySuffix))
                .map(IngestServer.Request::receivedMillis).toList();
        return IntStream.range(1, times.size()).mapToObj(i -> times.get(i) - times.get(i - 1)).toList();
    }

    @Nested
    @CamelMainTest
    class Default {
        @BeforeEach
        void reset() {
            behave();
        }

        @Test
        void retryAfterInSecondsLongerThanTheBackoffIsWaited() throws Exception {
            String name = "packets_20260102_000000_000.csv";
            AtomicInteger n = new AtomicInteger();
            SERVER.faults(r -> r.key() != null && r.key().contains(name) && n.incrementAndGet() == 1
                    ? Fault.status(503, Map.of("Retry-After", "4")) : null);
            SpoolFixtures.write(PENDING, name, 10, "ra-seconds");
            await(() -> Files.exists(PROCESSED.resolve(name)), 60_000, "uploaded");
            assertExactlyOnce(SERVER, "ra-seconds", 10);
            List<Long> g = gaps(name + ":0+10");
            assertEquals(1, g.size(), "one retry");
            // the backoff alone would be 1 s (+-15 %)
            assertTrue(g.get(0) >= 4000, "waited " + g.get(0) + " ms for Retry-After: 4");
        }

        @Test
        void retryAfterAsAnHttpDateIsWaitedInEachOfItsForms() throws Exception {
            DateTimeFormatter rfc850 = DateTimeFormatter.ofPattern("EEEE, dd-MMM-yy HH:mm:ss 'GMT'", Locale.US);
            DateTimeFormatter asctime = DateTimeFormatter.ofPattern("EEE MMM ppd HH:mm:ss yyyy", Locale.US);
            int i = 0;
            for (DateTimeFormatter f : new DateTimeFormatter[] { DateTimeFormatter.RFC_1123_DATE_TIME, rfc850, asctime }) {
                String name = "packets_20260102_000100_00" + i + ".csv";
                AtomicBoolean first = new AtomicBoolean(true);
                SERVER.faults(r -> r.key() != null && r.key().contains(name) && first.getAndSet(false)
                        ? Fault.status(429, Map.of("Retry-After", ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(5).format(f))) : null);
                SpoolFixtures.write(PENDING, name, 5, "ra-date" + i);
                await(() -> Files.exists(PROCESSED.resolve(name)), 60_000, "uploaded");
                List<Long> g = gaps(name + ":0+5");
                assertEquals(1, g.size(), "one retry");
                // the date has whole seconds: at least 4 s of the 5 asked for, against a backoff of 1 s
                assertTrue(g.get(0) >= 3900, f + ": waited " + g.get(0) + " ms");
                i++;
            }
        }

        @Test
        void aRedirectIsPermanentNamesItsLocationAndIsNotFollowed() throws Exception {
            String name = "packets_20260102_000200_000.csv";
            SERVER.faults(r -> r.key() != null && r.key().contains(name) ? Fault.status(301, Map.of("Location", ELSEWHERE.url()), "moved") : null);
            SpoolFixtures.write(PENDING, name, 10, "redirect");
            await(() -> Files.exists(FAILED.resolve(name + ".error")) && Files.exists(FAILED.resolve(name)), 30_000, "permanent failure");
            String error = Files.readString(FAILED.resolve(name + ".error"));
            assertTrue(error.contains("HTTP 301") && error.contains(ELSEWHERE.url()), error);
            assertEquals(0, ELSEWHERE.requests(), "nothing (and no token) sent where the redirect points");
            assertFalse(error.contains(TOKEN), "no token in the .error file");
            assertTrue(requestsFor(SERVER, name).stream().allMatch(r -> ("Bearer " + TOKEN).equals(r.authorization())), "token sent");
        }

        @Test
        void anAnswerOfAGigabyteIsNotRead() throws Exception {
            String name = "packets_20260102_000300_000.csv";
            SERVER.faults(r -> r.key() != null && r.key().contains(name) ? Fault.hugeAnswer(200, 1L << 30) : null);
            SpoolFixtures.write(PENDING, name, 1200, "huge");
            await(() -> Files.exists(PROCESSED.resolve(name)), 60_000, "uploaded");
            assertExactlyOnce(SERVER, "huge", 1200);
            assertEquals(3, requestsFor(SERVER, name).size(), "each batch once: the 2xx counted though its answer was cut");
            assertTrue(SERVER.answerBytesSent() < 64L << 20, "the sender closed the connection early: "
                                                               + SERVER.answerBytesSent() + " bytes of 3 GiB sent");
        }

        @Test
        void anAnswerTricklingAByteAtATimeIsBoundedBySenderTimeout() throws Exception {
            String name = "packets_20260102_000400_000.csv";
            AtomicBoolean trickle = new AtomicBoolean(true);
            SERVER.faults(r -> r.key() != null && r.key().contains(name) && trickle.get() ? Fault.trickle(500) : null);
            SpoolFixtures.write(PENDING, name, 10, "trickle");
            // every attempt ends at sender.timeout (2 s): 4 attempts, then failed_uploads/ like any transient failure
            await(() -> Files.exists(FAILED.resolve(name)), 60_000, "the file failed transiently");
            assertFalse(Files.exists(FAILED.resolve(name + ".error")));
            assertEquals(4, requestsFor(SERVER, name).size(), "1 + sender.max-retries attempts");
            trickle.set(false);
            await(() -> Files.exists(PROCESSED.resolve(name)), 60_000, "retried and uploaded");
            assertExactlyOnce(SERVER, "trickle", 10);
        }

        @Test
        void aBatchBeingRedeliveredHoldsTheRestOfItsFileBack() throws Exception {
            String name = "packets_20260102_000500_000.csv";
            AtomicInteger failures = new AtomicInteger();
            // batch 0 fails twice (redelivered after 1 and 2 s); the others pass at once
            SERVER.faults(r -> r.key() != null && r.key().endsWith(name + ":0+500") && failures.incrementAndGet() <= 2
                    ? Fault.status(503, "busy") : null);
            SpoolFixtures.write(PENDING, name, 5000, "window");
            await(() -> Files.exists(PROCESSED.resolve(name)), 60_000, "uploaded");
            assertExactlyOnce(SERVER, "window", 5000);
            List<IngestServer.Request> reqs = requestsFor(SERVER, name);
            long batch0Done = reqs.stream().filter(r -> r.key().endsWith(":0+500")).mapToLong(IngestServer.Request::receivedMillis).max().orElseThrow();
            // sender.parallel-batches=4: while batch 0 is out, only batches 1 to 3 may go
            Set<String> before = new TreeSet<>();
            reqs.stream().filter(r -> r.receivedMillis() < batch0Done).forEach(r -> before.add(r.key().substring(r.key().lastIndexOf(':') + 1)));
            assertEquals(Set.of("0+500", "500+500", "1000+500", "1500+500"), before, "posted before batch 0 got its 2xx");
        }

        @Test
        void theTokenIsNeitherInTheErrorFileNorOverJmx() throws Exception {
            String name = "packets_20260102_000600_000.csv";
            SERVER.faults(r -> r.key() != null && r.key().contains(name) ? Fault.status(400, "{\"error\":\"no\"}") : null);
            SpoolFixtures.write(PENDING, name, 10, "secret");
            await(() -> Files.exists(FAILED.resolve(name + ".error")) && Files.exists(FAILED.resolve(name)), 30_000, "permanent failure");
            assertFalse(Files.readString(FAILED.resolve(name + ".error")).contains(TOKEN));
            MBeanServer jmx = ManagementFactory.getPlatformMBeanServer();
            int read = 0;
            for (ObjectName on : jmx.queryNames(new ObjectName("org.apache.camel:*"), null)) {
                for (MBeanAttributeInfo a : jmx.getMBeanInfo(on).getAttributes()) {
                    try {
                        Object v = jmx.getAttribute(on, a.getName());
                        read++;
                        assertFalse(String.valueOf(v).contains(TOKEN), on + " " + a.getName());
                    } catch (Exception | LinkageError unreadable) {
                        // an attribute that cannot be read shows nothing either
                    }
                }
            }
            assertTrue(read > 100, "Camel's MBeans were read: " + read);
        }
    }

    /** One batch at a time: a redelivery must not leave the file's reader waiting on the only thread. */
    @Nested
    @CamelMainTest(properties = "sender.parallel-batches=1")
    class OneBatchAtATime {
        @BeforeEach
        void reset() {
            behave();
        }

        @Test
        void batchesGoOneByOneThroughRedeliveries() throws Exception {
            String name = "packets_20260102_000700_000.csv";
            AtomicInteger n = new AtomicInteger();
            SERVER.faults(r -> r.key() != null && r.key().contains(name) && n.incrementAndGet() % 3 == 1 ? Fault.status(503, "busy") : null);
            SpoolFixtures.write(PENDING, name, 2000, "onebyone");
            await(() -> Files.exists(PROCESSED.resolve(name)), 60_000, "uploaded");
            assertExactlyOnce(SERVER, "onebyone", 2000);
            List<IngestServer.Request> reqs = requestsFor(SERVER, name);
            for (int i = 1; i < reqs.size(); i++) {
                long prev = Long.parseLong(reqs.get(i - 1).key().replaceAll(".*:(\\d+)\\+\\d+$", "$1"));
                long cur = Long.parseLong(reqs.get(i).key().replaceAll(".*:(\\d+)\\+\\d+$", "$1"));
                assertTrue(cur == prev || cur == prev + 500, "in file order, one batch out at a time: " + reqs);
            }
        }
    }
}
