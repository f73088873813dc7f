package org.packetrelay.receiver;

import java.io.IOException;
import java.math.BigDecimal;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import io.vertx.core.buffer.Buffer;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.Processor;
import org.packetrelay.catalog.Field;
import org.packetrelay.catalog.FieldType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded ingest server's store: validates a batch (a JSON array of flat objects whose keys are the
 * catalog's and whose values have the catalog's JSON types), and stores all its records in one transaction into
 * an SQL database (H2 by default; the JDBC URL is a setting, PostgreSQL for a database shared by several
 * receivers). A repeated {@code Idempotency-Key} is answered 200 and not stored twice (a primary key on the key,
 * inserted in the same transaction). A rejected batch is never stored in part. {@link #ingest} is the one path
 * of both a POST ({@link #process}) and a batch from Kafka ({@link KafkaIngest}).
 * <p>
 * A connection the database dropped (a restart, a network cut) is replaced when it is next borrowed, so the
 * store works again once the database is back.
 */
public class IngestStore implements Processor {
    private static final Logger LOG = LoggerFactory.getLogger(IngestStore.class);
    /** Longest Idempotency-Key accepted: the width of the key columns. */
    static final int MAX_KEY_LENGTH = 512;
    static final String KEY = "Idempotency-Key";
    private static final JsonFactory JSON = JsonFactory.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    private String roles = "receiver";
    private String jdbcUrl = "jdbc:h2:file:./logs/ingest";
    private String jdbcUser = "";
    private String jdbcPassword = "";
    private int maxRecords = 10_000;
    private int maxStringLength = 65_536;
    private long maxBodyBytes = 32L * 1024 * 1024;
    private int poolSize = 4;
    /** Connections, or null where one was dropped and is to be made again when borrowed. */
    private BlockingQueue<Slot> pool;
    private String insertSql;
    private final AtomicLong recordsStored = new AtomicLong();
    private final AtomicLong batchesStored = new AtomicLong();
    private final AtomicLong duplicates = new AtomicLong();
    private final AtomicLong rejected = new AtomicLong();

    public void setRoles(String roles) {
        this.roles = roles;
    }

    public void setJdbcUrl(String jdbcUrl) {
        this.jdbcUrl = jdbcUrl;
    }

    public void setJdbcUser(String jdbcUser) {
        this.jdbcUser = jdbcUser;
    }

    public void setJdbcPassword(String jdbcPassword) {
        this.jdbcPassword = jdbcPassword;
    }

    public void setMaxRecords(int maxRecords) {
        this.maxRecords = maxRecords;
    }

    public void setMaxStringLength(int maxStringLength) {
        this.maxStringLength = maxStringLength;
    }

    public void setMaxBodyBytes(long maxBodyBytes) {
        this.maxBodyBytes = maxBodyBytes;
    }

    public long getRecordsStored() {
        return recordsStored.get();
    }

    public long getBatchesStored() {
        return batchesStored.get();
    }

    public long getDuplicates() {
        return duplicates.get();
    }

    public long getRejected() {
        return rejected.get();
    }

    private boolean active() {
        return roles != null && roles.contains("receiver");
    }

    public boolean isActive() {
        return pool != null;
    }

    public void start() throws SQLException {
        if (!active()) {
            return;
        }
        if (jdbcUrl.startsWith("jdbc:h2:file:")) {
            // H2 wants relative paths spelled ./name; relay.logs-dir is often relative
            String path = jdbcUrl.substring("jdbc:h2:file:".length());
            if (!path.startsWith("/") && !path.startsWith("./") && !path.startsWith("~")) {
                jdbcUrl = "jdbc:h2:file:./" + path;
            }
        }
        pool = new ArrayBlockingQueue<>(poolSize);
        for (int i = 0; i < poolSize; i++) {
            pool.add(new Slot());
        }
        createTables();
        ownerOnly();
        StringBuilder cols = new StringBuilder("idempotency_key");
        StringBuilder qs = new StringBuilder("?");
        for (Field f : Field.ALL) {
            cols.append(", \"").append(f.key()).append('"');
            qs.append(", ?");
        }
        insertSql = "INSERT INTO packets (" + cols + ") VALUES (" + qs + ")";
        LOG.info("Ingest store ready: {} ({} records stored)", jdbcUrl.replaceAll("password=[^;&]*", "password=***"), count());
    }

    /** An H2 file database holds captured traffic: its files and folder are made readable by the owner only. */
    private void ownerOnly() {
        if (!jdbcUrl.startsWith("jdbc:h2:file:")) {
            return;
        }
        String path = jdbcUrl.substring("jdbc:h2:file:".length()).split(";")[0];
        Path base = Paths.get(path).toAbsolutePath();
        try (var files = Files.newDirectoryStream(base.getParent(), base.getFileName() + ".*")) {
            for (Path f : files) {
                Files.setPosixFilePermissions(f, PosixFilePermissions.fromString("rw-------"));
            }
        } catch (IOException | UnsupportedOperationException e) {
            LOG.warn("Cannot make the database files owner-only: {}", e.toString());
        }
    }

    public void stop() {
        if (pool == null) {
            return;
        }
        for (Slot s : pool) {
            s.drop();
        }
        pool = null;
    }

    private void createTables() throws SQLException {
        StringBuilder ddl = new StringBuilder("CREATE TABLE IF NOT EXISTS packets (idempotency_key VARCHAR(" + MAX_KEY_LENGTH + ")");
        for (Field f : Field.ALL) {
            ddl.append(", \"").append(f.key()).append("\" ").append(switch (f.type()) {
                case TIMESTAMP -> "NUMERIC(20,9)";
                case INT -> "INTEGER";
                case LONG -> "BIGINT";
                case BOOL -> "BOOLEAN";
                case STRING -> "VARCHAR";
            });
        }
        ddl.append(')');
        String batches = "CREATE TABLE IF NOT EXISTS ingest_batches (idempotency_key VARCHAR(" + MAX_KEY_LENGTH + ") PRIMARY KEY, "
                         + "records INTEGER NOT NULL, received_at TIMESTAMP NOT NULL)";
        Slot slot = borrow();
        try {
            Connection c = slot.connection();
            try (Statement st = c.createStatement()) {
                st.execute(ddl.toString());
                st.execute(batches);
                c.commit();
            } catch (SQLException e) {
                // PostgreSQL: receivers starting at once on a new database race in CREATE TABLE IF NOT EXISTS (a
                // unique violation in its catalog); the loser finds the tables made on its second try
                c.rollback();
                LOG.debug("creating the tables, once more: {}", e.getMessage());
                try (Statement st = c.createStatement()) {
                    st.execute(ddl.toString());
                    st.execute(batches);
                    c.commit();
                }
            }
        } finally {
            giveBack(slot);
        }
    }

    /** A pooled connection, made (again) when needed. */
    private final class Slot {
        private Connection connection;
        /** Another connection was found dead: this one is checked before its next use. */
        private volatile boolean suspect;

        Connection connection() throws SQLException {
            if (suspect) {
                suspect = false;
                if (connection != null && !valid()) {
                    drop();
                }
            }
            if (connection == null) {
                Connection c = DriverManager.getConnection(jdbcUrl, jdbcUser, jdbcPassword);
                c.setAutoCommit(false);
                connection = c;
            }
            return connection;
        }

        /**
         * After an error: a connection the database no longer answers on is closed, to be made again, and the idle
         * ones are checked before their next use (a database restart ends them all).
         */
        void checkAfterError() {
            if (connection == null || !valid()) {
                if (connection != null) {
                    LOG.warn("Database connection lost; connections are made again for the next batches");
                }
                drop();
                for (Slot idle : pool) {
                    idle.suspect = true;
                }
            }
        }

        private boolean valid() {
            try {
                return connection.isValid(2);
            } catch (SQLException e) {
                return false;
            }
        }

        void drop() {
            if (connection != null) {
                try {
                    connection.close();
                } catch (SQLException e) {
                    LOG.debug("closing: {}", e.getMessage());
                }
                connection = null;
            }
        }
    }

    private Slot borrow() throws SQLException {
        try {
            Slot s = pool.poll(30, TimeUnit.SECONDS);
            if (s == null) {
                throw new SQLException("no database connection free within 30 s");
            }
            return s;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SQLException("interrupted");
        }
    }

    private void giveBack(Slot s) {
        pool.add(s);
    }

    /** Rows in the packets table. */
    public long count() throws SQLException {
        Slot slot = borrow();
        try {
            Connection c = slot.connection();
            try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM packets")) {
                rs.next();
                long n = rs.getLong(1);
                c.commit();
                return n;
            }
        } catch (SQLException e) {
            slot.checkAfterError();
            throw e;
        } finally {
            giveBack(slot);
        }
    }

    /** GET /health */
    public String health() throws SQLException {
        return "{\"status\":\"UP\",\"records\":" + count() + "}";
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        // the HTTP checks (token, Content-Type, one Idempotency-Key header, the in-flight budget) are the IngestGate's
        Message in = exchange.getIn();
        Stored stored;
        try {
            stored = ingest(in.getHeader(KEY, String.class), body(in));
        } catch (Rejected r) {
            reply(exchange, r.status, "{\"error\":" + quote(r.getMessage()) + "}");
            return;
        }
        if (stored.duplicate()) {
            reply(exchange, 200, "{\"stored\":0,\"duplicate\":true}");
        } else {
            reply(exchange, 200, "{\"stored\":" + stored.records() + "}");
        }
    }

    /** What became of a batch: its records stored, or none because its key was stored before. */
    public record Stored(int records, boolean duplicate) {
    }

    /**
     * Validates a batch and stores it in one transaction with its key: the one path of HTTP and Kafka. A
     * {@link Rejected} batch can never be stored (the reason and the HTTP status say why); an SQLException is the
     * database's trouble (down, busy): the same batch may be stored when tried again.
     */
    Stored ingest(String key, ByteBuffer body) throws Rejected, SQLException {
        List<Object[]> records;
        try {
            if (body.remaining() > maxBodyBytes) {
                throw new Rejected(413, "body larger than " + maxBodyBytes + " bytes");
            }
            checkKey(key);
            records = parse(body);
            return store(key, records) ? new Stored(records.size(), false) : new Stored(0, true);
        } catch (Rejected r) {
            rejected.incrementAndGet();
            throw r;
        }
    }

    /** The body without a copy: Vert.x hands it over as a Buffer; anything else is converted to bytes. */
    private static ByteBuffer body(Message in) {
        Object b = in.getBody();
        if (b instanceof Buffer buffer) {
            return buffer.getByteBuf().nioBuffer();
        }
        byte[] bytes = in.getBody(byte[].class);
        return ByteBuffer.wrap(bytes == null ? new byte[0] : bytes);
    }

    /** No key: stored without a duplicate check. A blank key would make every keyless sender a duplicate of the first. */
    static void checkKey(String key) throws Rejected {
        if (key == null) {
            return;
        }
        if (key.isBlank()) {
            throw new Rejected(400, "blank Idempotency-Key");
        }
        if (key.length() > MAX_KEY_LENGTH) {
            throw new Rejected(400, "Idempotency-Key longer than " + MAX_KEY_LENGTH + " characters");
        }
    }

    private static void reply(Exchange exchange, int status, String json) {
        exchange.getMessage().removeHeaders("*");
        exchange.getMessage().setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        exchange.getMessage().setHeader(Exchange.CONTENT_TYPE, "application/json");
        exchange.getMessage().setBody(json);
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }

    static final class Rejected extends Exception {
        final int status;

        Rejected(int status, String message) {
            super(message, null, false, false);
            this.status = status;
        }
    }

    /** The records of a body, each an array in catalog order, or a {@link Rejected} with the reason. */
    List<Object[]> parse(byte[] body) throws Rejected {
        return parse(ByteBuffer.wrap(body));
    }

    List<Object[]> parse(ByteBuffer body) throws Rejected {
        // Jackson decodes an overlong form (C0 AF) as '/': the bytes are checked as strict UTF-8 first
        Utf8.check(body);
        List<Object[]> records = new ArrayList<>();
        byte[] bytes;
        int offset;
        if (body.hasArray()) {
            bytes = body.array();
            offset = body.arrayOffset() + body.position();
        } else {
            bytes = new byte[body.remaining()];
            body.duplicate().get(bytes);
            offset = 0;
        }
        try (JsonParser p = JSON.createParser(bytes, offset, body.remaining())) {
            if (p.nextToken() != JsonToken.START_ARRAY) {
                throw new Rejected(422, "body must be a JSON array of records");
            }
            JsonToken t;
            while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                if (t != JsonToken.START_OBJECT) {
                    throw new Rejected(422, "record " + records.size() + " is not a JSON object");
                }
                if (records.size() >= maxRecords) {
                    throw new Rejected(413, "more than " + maxRecords + " records in one batch");
                }
                Object[] rec = new Object[Field.COUNT];
                while ((t = p.nextToken()) != JsonToken.END_OBJECT) {
                    String name = p.currentName();
                    Field f = Field.byKey(name);
                    if (f == null) {
                        throw new Rejected(422, "record " + records.size() + ": unknown key '" + cut(name) + "'");
                    }
                    t = p.nextToken();
                    rec[f.ordinal()] = value(p, t, f, records.size());
                }
                records.add(rec);
            }
            if (p.nextToken() != null) {
                throw new Rejected(422, "content after the JSON array");
            }
        } catch (JacksonException e) {
            throw new Rejected(422, "malformed JSON: " + cut(e.getOriginalMessage()));
        } catch (IOException e) {
            throw new Rejected(400, "unreadable body: " + e.getMessage());
        }
        return records;
    }

    private Object value(JsonParser p, JsonToken t, Field f, int index) throws IOException, Rejected {
        if (t == JsonToken.VALUE_NULL) {
            return null;
        }
        String where = "record " + index + ": " + f.key();
        switch (f.type()) {
            case INT, LONG -> {
                if (t != JsonToken.VALUE_NUMBER_INT) {
                    throw new Rejected(422, where + " must be an integer");
                }
                if (f.type() == FieldType.INT && p.getNumberType() != JsonParser.NumberType.INT) {
                    throw new Rejected(422, where + " is out of the integer range");
                }
                if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
                    throw new Rejected(422, where + " is out of range");
                }
                return p.getLongValue();
            }
            case TIMESTAMP -> {
                if (t != JsonToken.VALUE_NUMBER_INT && t != JsonToken.VALUE_NUMBER_FLOAT) {
                    throw new Rejected(422, where + " must be a number (epoch seconds)");
                }
                BigDecimal d = p.getDecimalValue();
                if (d.signum() < 0 || d.precision() - d.scale() > 11 || d.scale() > 9) {
                    throw new Rejected(422, where + " is not epoch seconds with up to 9 decimals");
                }
                return d;
            }
            case BOOL -> {
                if (t != JsonToken.VALUE_TRUE && t != JsonToken.VALUE_FALSE) {
                    throw new Rejected(422, where + " must be true or false");
                }
                return t == JsonToken.VALUE_TRUE;
            }
            default -> {
                if (t != JsonToken.VALUE_STRING) {
                    throw new Rejected(422, where + " must be a string"
                                            + (t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY ? " (nested JSON is not accepted)" : ""));
                }
                String s = p.getText();
                if (s.length() > maxStringLength) {
                    throw new Rejected(422, where + " is longer than " + maxStringLength + " characters");
                }
                int bad = Utf8.unpairedSurrogate(s);
                if (bad >= 0) {
                    throw new Rejected(422, where + " has an unpaired surrogate (\\u" + Integer.toHexString(s.charAt(bad))
                                            + " at character " + bad + "): not Unicode text");
                }
                // PostgreSQL cannot store U+0000 in text; refused here whatever the database, so a batch one
                // database takes is taken by all (a sender writes control characters as \\xHH anyway)
                int nul = s.indexOf('\u0000');
                if (nul >= 0) {
                    throw new Rejected(422, where + " has a NUL character (\\u0000 at character " + nul + "): not storable text");
                }
                return s;
            }
        }
    }

    private static String cut(String s) {
        return s == null ? "" : s.length() > 100 ? s.substring(0, 100) + "..." : s;
    }

    /**
     * Stores the records in one transaction; false when the key was stored before. A value the database refuses
     * (SQLSTATE class 22, a data exception) is a {@link Rejected}: it would be refused on every try.
     */
    boolean store(String key, List<Object[]> records) throws SQLException, Rejected {
        Slot slot = borrow();
        Connection c = null;
        try {
            c = slot.connection();
            if (key != null) {
                try (PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO ingest_batches (idempotency_key, records, received_at) VALUES (?, ?, CURRENT_TIMESTAMP)")) {
                    ps.setString(1, key);
                    ps.setInt(2, records.size());
                    ps.executeUpdate();
                } catch (SQLException e) {
                    c.rollback();
                    if (e.getSQLState() != null && e.getSQLState().startsWith("23")) {
                        duplicates.incrementAndGet();
                        return false;
                    }
                    throw e;
                }
            }
            try (PreparedStatement ps = c.prepareStatement(insertSql)) {
                for (Object[] rec : records) {
                    ps.setString(1, key);
                    for (Field f : Field.ALL) {
                        int i = f.ordinal() + 2;
                        Object v = rec[f.ordinal()];
                        if (v == null) {
                            ps.setNull(i, switch (f.type()) {
                                case TIMESTAMP -> Types.NUMERIC;
                                case INT -> Types.INTEGER;
                                case LONG -> Types.BIGINT;
                                case BOOL -> Types.BOOLEAN;
                                case STRING -> Types.VARCHAR;
                            });
                        } else {
                            switch (f.type()) {
                                case TIMESTAMP -> ps.setBigDecimal(i, (BigDecimal) v);
                                case INT -> ps.setInt(i, ((Long) v).intValue());
                                case LONG -> ps.setLong(i, (Long) v);
                                case BOOL -> ps.setBoolean(i, (Boolean) v);
                                case STRING -> ps.setString(i, (String) v);
                            }
                        }
                    }
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            c.commit();
            recordsStored.addAndGet(records.size());
            batchesStored.incrementAndGet();
            return true;
        } catch (SQLException e) {
            if (c != null) {
                try {
                    c.rollback();
                } catch (SQLException lost) {
                    e.addSuppressed(lost);
                }
            }
            if (e.getSQLState() != null && e.getSQLState().startsWith("22")) {
                throw new Rejected(422, "the database refused a value: " + cut(e.getMessage()));
            }
            slot.checkAfterError();
            throw e;
        } finally {
            giveBack(slot);
        }
    }
}
