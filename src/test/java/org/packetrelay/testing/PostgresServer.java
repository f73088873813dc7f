package org.packetrelay.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real PostgreSQL 15 (Debian's {@code postgresql} package, {@code make test-deps} installs it) for the tests:
 * {@code initdb} and {@code pg_ctl} as the {@code postgres} user (when the tests run as root) in a fresh folder
 * under /tmp, listening on 127.0.0.1 on a port of {@link Traffic#freePort()} (and a Unix socket in its folder
 * only), password authentication over TCP. No systemd, no cluster of the package's: {@link #close()} stops it
 * and deletes the folder, and a test JVM that ends without close() stops it too.
 * <p>
 * {@link #stop()} and {@link #start()} take it down and bring it back on the same port and data (outages).
 * fsync is off: the tests kill the relay, never the database server, and it stops cleanly.
 */
public final class PostgresServer implements AutoCloseable {
    public static final Path BIN = Paths.get("/usr/lib/postgresql/15/bin");
    public static final String USER = "relay";
    public static final String PASSWORD = "relay-test-password";
    private final Path dir;
    private final int port;
    private final Thread hook;

    private PostgresServer(Path dir, int port) {
        this.dir = dir;
        this.port = port;
        this.hook = new Thread(this::stopQuietly);
    }

    /** initdb and start: a server with one superuser {@link #USER} and the database {@code relay}. */
    public static PostgresServer create() throws Exception {
        if (!Files.isExecutable(BIN.resolve("initdb"))) {
            throw new IllegalStateException(BIN.resolve("initdb") + " is missing: install Debian's postgresql (make test-deps)");
        }
        Path dir = Files.createTempDirectory(Paths.get("/tmp"), "packet-relay-pg-",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
        PostgresServer pg = new PostgresServer(dir, Traffic.freePort());
        try {
            Files.writeString(dir.resolve("pwfile"), PASSWORD + "\n");
            pg.chownToPostgres(dir);
            pg.run(List.of(BIN.resolve("initdb").toString(), "-D", pg.data().toString(), "-U", USER, "--pwfile=" + dir.resolve("pwfile"),
                    "--auth-host=scram-sha-256", "--auth-local=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync", "--no-instructions"), 60);
            Runtime.getRuntime().addShutdownHook(pg.hook);
            pg.start();
            try (Connection c = pg.connect("postgres"); Statement st = c.createStatement()) {
                st.execute("CREATE DATABASE relay");
            }
            return pg;
        } catch (Exception e) {
            pg.close();
            throw e;
        }
    }

    private Path data() {
        return dir.resolve("data");
    }

    /** Starts the server (again) and waits until it accepts connections. */
    public void start() throws Exception {
        run(List.of(BIN.resolve("pg_ctl").toString(), "-D", data().toString(), "-l", dir.resolve("server.log").toString(), "-w", "-t", "60",
                "-o", "-p " + port + " -c listen_addresses=127.0.0.1 -k " + dir + " -c fsync=off -c max_connections=60", "start"), 90);
    }

    /** Stops the server (fast: open connections are ended, as when a database goes down). */
    public void stop() throws Exception {
        run(List.of(BIN.resolve("pg_ctl").toString(), "-D", data().toString(), "-w", "-t", "60", "-m", "fast", "stop"), 90);
    }

    public int port() {
        return port;
    }

    /** The JDBC URL of the database {@code relay}. */
    public String jdbcUrl() {
        return jdbcUrl("relay");
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    /** A new empty database (for a test that wants one of its own); returns its JDBC URL. */
    public String createDatabase(String name) throws SQLException {
        try (Connection c = connect("postgres"); Statement st = c.createStatement()) {
            st.execute("CREATE DATABASE " + name);
        }
        return jdbcUrl(name);
    }

    public Connection connect() throws SQLException {
        return connect("relay");
    }

    public Connection connect(String database) throws SQLException {
        return DriverManager.getConnection(jdbcUrl(database), USER, PASSWORD);
    }

    /** The first column of the first row of a query on the database {@code relay}, as a long (COUNT(*) and the like). */
    public long queryLong(String sql) throws SQLException {
        return queryLong(jdbcUrl(), sql);
    }

    /** As {@link #queryLong(String)} on any database of this server (by JDBC URL). */
    public long queryLong(String url, String sql) throws SQLException {
        try (Connection c = DriverManager.getConnection(url, USER, PASSWORD); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            if (!rs.next()) {
                throw new SQLException("no row from " + sql);
            }
            return rs.getLong(1);
        }
    }

    /** Every row of a query as strings (columns in order, null as null). */
    public List<List<String>> query(String url, String sql) throws SQLException {
        List<List<String>> rows = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url, USER, PASSWORD); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery(sql)) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                List<String> row = new ArrayList<>();
                for (int i = 1; i <= n; i++) {
                    row.add(rs.getString(i));
                }
                rows.add(row);
            }
        }
        return rows;
    }

    public String log() throws IOException {
        Path log = dir.resolve("server.log");
        return Files.exists(log) ? Files.readString(log) : "";
    }

    /** The server runs as postgres (it refuses to run as root): its folder must be postgres's. */
    private void chownToPostgres(Path folder) throws Exception {
        if (isRoot()) {
            new ProcessBuilder("chown", "-R", "postgres:postgres", folder.toString()).inheritIO().start().waitFor(30, TimeUnit.SECONDS);
        }
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    private void run(List<String> cmd, long seconds) throws Exception {
        List<String> full = new ArrayList<>();
        if (isRoot()) {
            full.addAll(List.of("runuser", "-u", "postgres", "--"));
        }
        full.addAll(cmd);
        Path out = Files.createTempFile("pg-cmd", ".log");
        try {
            Process p = new ProcessBuilder(full).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(out.toFile()).start();
            if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", cmd) + " did not finish within " + seconds + " s");
            }
            if (p.exitValue() != 0) {
                throw new IOException(String.join(" ", cmd) + " failed (" + p.exitValue() + "): " + Files.readString(out) + "\n" + log());
            }
        } finally {
            Files.deleteIfExists(out);
        }
    }

    private void stopQuietly() {
        if (Files.exists(data().resolve("postmaster.pid"))) {
            try {
                run(List.of(BIN.resolve("pg_ctl").toString(), "-D", data().toString(), "-w", "-t", "30", "-m", "immediate", "stop"), 40);
            } catch (Exception e) {
                System.err.println("PostgresServer: could not stop the test server in " + dir + ": " + e);
            }
        }
    }

    /** Stops the server (immediate: the data is thrown away) and deletes its folder. */
    @Override
    public void close() throws IOException {
        stopQuietly();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException | IllegalArgumentException alreadyShuttingDownOrNotAdded) {
            // nothing to remove
        }
        SpoolFiles.deleteTree(dir);
    }
}
