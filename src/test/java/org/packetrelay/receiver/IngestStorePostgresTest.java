package org.packetrelay.receiver;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.packetrelay.catalog.Field;
import org.packetrelay.testing.Batches;
import org.packetrelay.testing.PostgresServer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The ingest store on a real PostgreSQL 15: its DDL and types, quoting, the key's primary key under concurrency, outages. */
class IngestStorePostgresTest {
    private static final AtomicInteger DATABASES = new AtomicInteger();
    static PostgresServer pg;

    @BeforeAll
    static void start() throws Exception {
        pg = PostgresServer.create();
    }

    @AfterAll
    static void stop() throws Exception {
        if (pg != null) {
            pg.close();
        }
    }

    private static IngestStore store(String url) throws SQLException {
        IngestStore s = new IngestStore();
        s.setJdbcUrl(url);
        s.setJdbcUser(PostgresServer.USER);
        s.setJdbcPassword(PostgresServer.PASSWORD);
        s.start();
        return s;
    }

    private static ByteBuffer utf8(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void columnsHaveTheCatalogsTypesAndValuesComeBackExactly() throws Exception {
        String url = pg.createDatabase("types" + DATABASES.incrementAndGet());
        IngestStore s = store(url);
        try {
            String tricky = "it's \"quoted\", back\\slash, ä €  𝄞 ; DROP TABLE packets; --";
            String body = "[{\"timestamp\":1701234567.123456789,\"interface\":" + IngestStore.quote(tricky)
                          + ",\"length\":2147483647,\"seq\":4294967295,\"tcp_syn\":true,\"tcp_ack\":false,\"src_port\":null}]";
            assertEquals(new IngestStore.Stored(1, false), s.ingest("k-types", utf8(body)));
            Map<String, String> types = new HashMap<>();
            for (List<String> row : pg.query(url, "SELECT column_name, data_type, numeric_precision, numeric_scale FROM information_schema.columns "
                                                  + "WHERE table_name = 'packets'")) {
                types.put(row.get(0), row.get(1) + ("numeric".equals(row.get(1)) ? "(" + row.get(2) + "," + row.get(3) + ")" : ""));
            }
            assertEquals(Field.COUNT + 1, types.size(), types.toString());
            for (Field f : Field.ALL) {
                assertEquals(switch (f.type()) {
                    case TIMESTAMP -> "numeric(20,9)";
                    case INT -> "integer";
                    case LONG -> "bigint";
                    case BOOL -> "boolean";
                    case STRING -> "character varying";
                }, types.get(f.key()), f.key());
            }
            assertEquals(List.of(Arrays.asList("1701234567.123456789", tricky, "2147483647", "4294967295", "t", "f", null)),
                    pg.query(url, "SELECT \"timestamp\", \"interface\", \"length\", \"seq\", \"tcp_syn\", \"tcp_ack\", \"src_port\" FROM packets"));
            assertEquals(1, pg.queryLong(url, "SELECT COUNT(*) FROM ingest_batches WHERE idempotency_key = 'k-types' AND records = 1"));
        } finally {
            s.stop();
        }
    }

    @Test
    void aKeyIsStoredOnceWhenManyStoresSendItAtOnce() throws Exception {
        String url = pg.createDatabase("keys" + DATABASES.incrementAndGet());
        int n = 6;
        ExecutorService pool = Executors.newFixedThreadPool(n);
        List<IngestStore> stores = new ArrayList<>();
        try {
            // receivers starting together on a new database: all of them create the tables
            CountDownLatch go = new CountDownLatch(1);
            List<Future<IngestStore>> starting = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                starting.add(pool.submit(() -> {
                    go.await();
                    return store(url);
                }));
            }
            go.countDown();
            for (Future<IngestStore> f : starting) {
                stores.add(f.get());
            }
            // each store sends the same 20 batches (keys), all at once
            List<Callable<Integer>> work = new ArrayList<>();
            for (IngestStore s : stores) {
                work.add(() -> {
                    int duplicates = 0;
                    for (int b = 0; b < 20; b++) {
                        if (s.ingest("k-" + b, utf8(Batches.json(b, 50))).duplicate()) {
                            duplicates++;
                        }
                    }
                    return duplicates;
                });
            }
            int duplicates = 0;
            for (Future<Integer> f : pool.invokeAll(work)) {
                duplicates += f.get();
            }
            assertEquals(20 * (n - 1), duplicates);
            Map<Integer, Integer> sent = new TreeMap<>();
            for (int b = 0; b < 20; b++) {
                sent.put(b, 50);
            }
            Batches.assertStoredOnce(pg, url, sent);
            assertEquals(20, pg.queryLong(url, "SELECT COUNT(*) FROM ingest_batches"));
        } finally {
            stores.forEach(IngestStore::stop);
            pool.shutdownNow();
        }
    }

    @Test
    void storingFailsWhileTheDatabaseIsDownAndWorksWhenItIsBack() throws Exception {
        String url = pg.createDatabase("outage" + DATABASES.incrementAndGet());
        IngestStore s = store(url);
        try {
            s.ingest("before", utf8(Batches.json(0, 3)));
            pg.stop();
            try {
                assertThrows(SQLException.class, () -> s.ingest("during", utf8(Batches.json(1, 3))));
                assertThrows(SQLException.class, () -> s.ingest("during", utf8(Batches.json(1, 3))), "no connection to be made");
            } finally {
                pg.start();
            }
            // every pooled connection was dropped by the restart: each is made again
            for (int i = 0; i < 6; i++) {
                s.ingest("during", utf8(Batches.json(1, 3)));
            }
            Batches.assertStoredOnce(pg, url, Map.of(0, 3, 1, 3));
            // no more connections than the pool's 4 (a connection of a store Camel made and let go would show here)
            assertTrue(pg.queryLong("SELECT COUNT(*) FROM pg_stat_activity WHERE datname = '" + url.substring(url.lastIndexOf('/') + 1) + "'") <= 4);
        } finally {
            s.stop();
        }
    }

    @Test
    void whatPostgresCannotHoldIsRefusedAsABadBatchNotAnOutage() throws Exception {
        String url = pg.createDatabase("refused" + DATABASES.incrementAndGet());
        IngestStore s = store(url);
        try {
            IngestStore.Rejected nul = assertThrows(IngestStore.Rejected.class, () -> s.ingest("nul", utf8("[{\"http_path\":\"a\\u0000b\"}]")));
            assertEquals(422, nul.status);
            assertTrue(nul.getMessage().contains("NUL"), nul.getMessage());
            assertEquals(0, pg.queryLong(url, "SELECT COUNT(*) FROM packets"));
            assertEquals(0, pg.queryLong(url, "SELECT COUNT(*) FROM ingest_batches"), "a refused batch leaves no key behind");
            assertEquals(new IngestStore.Stored(1, false), s.ingest("nul", utf8("[{\"http_path\":\"ab\"}]")), "the key is still free");
        } finally {
            s.stop();
        }
    }
}
