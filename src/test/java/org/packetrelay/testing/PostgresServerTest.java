package org.packetrelay.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The test PostgreSQL server itself: a real server on 127.0.0.1 with password authentication, down and up again, gone after close. */
class PostgresServerTest {

    @Test
    void serverKeepsDataThroughStopAndStartAndLeavesNothingBehind() throws Exception {
        int port;
        try (PostgresServer pg = PostgresServer.create()) {
            port = pg.port();
            assertTrue(port < 32768, "port " + port + " is in the ephemeral range");
            assertTrue(pg.jdbcUrl().startsWith("jdbc:postgresql://127.0.0.1:" + port + "/"), pg.jdbcUrl());
            try (Connection c = pg.connect(); Statement st = c.createStatement()) {
                st.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, s VARCHAR)");
                st.execute("INSERT INTO t VALUES (1, 'ä'), (2, NULL)");
            }
            assertEquals(List.of(List.of("1", "ä"), Arrays.asList("2", null)), pg.query(pg.jdbcUrl(), "SELECT id, s FROM t ORDER BY id"));
            assertThrows(SQLException.class, () -> DriverManager.getConnection(pg.jdbcUrl(), PostgresServer.USER, "wrong"));
            String other = pg.createDatabase("other");
            assertEquals(0, pg.queryLong(other, "SELECT COUNT(*) FROM pg_tables WHERE tablename = 't'"));

            pg.stop();
            assertThrows(SQLException.class, () -> pg.queryLong("SELECT 1"));
            pg.start();
            assertEquals(2, pg.queryLong("SELECT COUNT(*) FROM t"));
            assertTrue(pg.log().contains("database system is ready"), pg.log());
        }
        try (Socket s = new Socket()) {
            assertThrows(IOException.class, () -> s.connect(new InetSocketAddress("127.0.0.1", port), 1000));
        }
        try (var tmp = Files.list(Path.of("/tmp"))) {
            assertFalse(tmp.anyMatch(p -> p.getFileName().toString().startsWith("packet-relay-pg-") && Files.exists(p.resolve("data/postmaster.pid"))));
        }
    }
}
