package org.packetrelay.testing;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import ch.qos.logback.classic.Level;
import kafka.testkit.KafkaClusterTestKit;
import kafka.testkit.TestKitNodes;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka broker (KRaft, broker and controller in one node, PLAINTEXT) on 127.0.0.1 for the tests.
 * <ul>
 * <li>{@link #inProcess()}: Kafka's own {@link KafkaClusterTestKit} in the test JVM on ports the kernel picks
 * (about 3 s to start). It cannot be stopped and started again: use a process for outages.</li>
 * <li>{@link #process(Path)}: {@code kafka.Kafka} from the test classpath as a separate JVM on ports of
 * {@link Traffic#freePort()} (below the ephemeral range), its log folder formatted first with Kafka's
 * {@code StorageTool}. {@link #stop()} (SIGTERM), {@link #kill9()} and {@link #start()} again on the same port
 * and log folder: the topics and committed offsets survive.</li>
 * </ul>
 * Topics get replication factor 1; consumer groups rebalance without the broker's initial 3 s delay.
 * {@link KafkaRecords} has the clients' side (publish a batch, read a topic, committed offsets).
 */
public final class KafkaBroker implements AutoCloseable {
    /** Broker settings both modes share: a single node's replication, and no waiting before a group's first rebalance. */
    private static final Map<String, String> SINGLE_NODE = Map.of(
            "offsets.topic.replication.factor", "1",
            "offsets.topic.num.partitions", "4",
            "transaction.state.log.replication.factor", "1",
            "transaction.state.log.min.isr", "1",
            "group.initial.rebalance.delay.ms", "0",
            "auto.create.topics.enable", "false",
            // a broker restarted after kill -9 re-registers once its old session ends (9 s by default)
            "broker.session.timeout.ms", "3000",
            "broker.heartbeat.interval.ms", "1000",
            // the receiver's dead-letter batches and test batches can be as large as a receiver body
            "message.max.bytes", "33554432");

    private final KafkaClusterTestKit cluster;
    private final Path dir;
    private final int port;
    private final int controllerPort;
    private Process process;
    private boolean hooked;
    private Admin admin;

    private KafkaBroker(KafkaClusterTestKit cluster, Path dir, int port, int controllerPort) {
        this.cluster = cluster;
        this.dir = dir;
        this.port = port;
        this.controllerPort = controllerPort;
    }

    /** A broker in this JVM, started and ready. */
    public static KafkaBroker inProcess() throws Exception {
        quietLogs();
        TestKitNodes nodes = new TestKitNodes.Builder().setBootstrapMetadataVersion(MetadataVersion.IBP_3_9_IV0).setCombined(true).setNumBrokerNodes(1).setNumControllerNodes(1).build();
        KafkaClusterTestKit.Builder builder = new KafkaClusterTestKit.Builder(nodes)
                // 127.0.0.1, never "localhost" (which may also be ::1), port 0: the kernel picks
                .setConfigProp("listeners", "EXTERNAL://127.0.0.1:0,CONTROLLER://127.0.0.1:0");
        SINGLE_NODE.forEach(builder::setConfigProp);
        KafkaClusterTestKit cluster = builder.build();
        try {
            cluster.format();
            cluster.startup();
            cluster.waitForReadyBrokers();
        } catch (Exception e) {
            cluster.close();
            throw e;
        }
        String bootstrap = cluster.bootstrapServers();
        int port = Integer.parseInt(bootstrap.substring(bootstrap.lastIndexOf(':') + 1));
        return new KafkaBroker(cluster, null, port, -1);
    }

    /** A broker as a separate process keeping its log in {@code dir} (created if missing), started and ready. */
    public static KafkaBroker process(Path dir) throws Exception {
        Files.createDirectories(dir);
        KafkaBroker b = new KafkaBroker(null, dir.toAbsolutePath(), Traffic.freePort(), Traffic.freePort());
        b.format();
        b.start();
        return b;
    }

    /** "127.0.0.1:port", for {@code bootstrap.servers} and the relay's {@code *.kafka.brokers}. */
    public String bootstrap() {
        return "127.0.0.1:" + port;
    }

    public int port() {
        return port;
    }

    /** A process broker's pid, -1 in process (its memory is this JVM's). */
    public synchronized long pid() {
        return process != null && process.isAlive() ? process.pid() : -1;
    }

    /** A process broker's log folder (its output is broker.log there). */
    public Path dir() {
        return dir;
    }

    public boolean isRunning() {
        return cluster != null || (process != null && process.isAlive());
    }

    /** Creates the topic (replication factor 1) unless it exists. */
    public void createTopic(String name, int partitions) throws Exception {
        try {
            admin().createTopics(List.of(new NewTopic(name, partitions, (short) 1))).all().get(60, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw e;
            }
        }
    }

    /** An admin client of this broker (closed with it). */
    public synchronized Admin admin() {
        if (admin == null) {
            admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap(),
                    AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 60_000));
        }
        return admin;
    }

    private void format() throws Exception {
        Properties p = new Properties();
        p.setProperty("process.roles", "broker,controller");
        p.setProperty("node.id", "1");
        p.setProperty("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        p.setProperty("listeners", "PLAINTEXT://127.0.0.1:" + port + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.setProperty("advertised.listeners", "PLAINTEXT://127.0.0.1:" + port);
        p.setProperty("controller.listener.names", "CONTROLLER");
        p.setProperty("inter.broker.listener.name", "PLAINTEXT");
        p.setProperty("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.setProperty("log.dirs", dir.resolve("data").toString());
        SINGLE_NODE.forEach(p::setProperty);
        try (var out = Files.newBufferedWriter(dir.resolve("server.properties"))) {
            p.store(out, "test broker (KafkaBroker)");
        }
        Files.writeString(dir.resolve("logback.xml"), """
                <configuration>
                  <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
                    <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{0} - %msg%n</pattern></encoder>
                  </appender>
                  <logger name="kafka" level="INFO"/>
                  <logger name="org.apache.kafka" level="WARN"/>
                  <root level="WARN"><appender-ref ref="OUT"/></root>
                </configuration>
                """);
        Process f = new ProcessBuilder(java("kafka.tools.StorageTool", "format", "--ignore-formatted", "-t", Uuid.randomUuid().toString(),
                "-c", dir.resolve("server.properties").toString()))
                .redirectErrorStream(true).redirectOutput(dir.resolve("format.log").toFile()).start();
        if (!f.waitFor(120, TimeUnit.SECONDS) || f.exitValue() != 0) {
            f.destroyForcibly();
            throw new IOException("kafka StorageTool format failed: " + Files.readString(dir.resolve("format.log")));
        }
    }

    private List<String> java(String main, String... args) {
        List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-XX:+UseSerialGC", "-Dlogback.configurationFile=" + dir.resolve("logback.xml"),
                "-cp", System.getProperty("java.class.path"), main));
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** Starts the process broker (again) on its port and log folder and waits until it answers. */
    public synchronized void start() throws Exception {
        if (cluster != null) {
            throw new UnsupportedOperationException("an in-process broker cannot be restarted: use KafkaBroker.process(dir)");
        }
        if (process != null && process.isAlive()) {
            return;
        }
        process = new ProcessBuilder(java("kafka.Kafka", dir.resolve("server.properties").toString()))
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("broker.log").toFile())).start();
        if (!hooked) {
            // a test JVM that ends without close() leaves no broker behind
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                if (process != null) {
                    process.destroyForcibly();
                }
            }));
            hooked = true;
        }
        long end = System.currentTimeMillis() + 90_000;
        while (true) {
            if (!process.isAlive()) {
                throw new IOException("the Kafka broker exited (" + process.exitValue() + "): " + logTail());
            }
            if (listening()) {
                try {
                    admin().describeCluster().nodes().get(5, TimeUnit.SECONDS);
                    return;
                } catch (Exception notYet) {
                    // the listener is up before the broker has caught up with the metadata log
                }
            }
            if (System.currentTimeMillis() > end) {
                throw new IOException("the Kafka broker did not answer within 90 s: " + logTail());
            }
            Thread.sleep(100);
        }
    }

    private boolean listening() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress("127.0.0.1", port), 500);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** SIGTERM: the broker shuts down cleanly (it is gone when this returns). */
    public synchronized void stop() throws Exception {
        if (cluster != null) {
            throw new UnsupportedOperationException("an in-process broker cannot be stopped and restarted: use KafkaBroker.process(dir)");
        }
        if (process != null && process.isAlive()) {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    /** SIGKILL: no clean shutdown; the next {@link #start()} recovers the log. */
    public synchronized void kill9() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    public String logTail() {
        try {
            String log = Files.readString(dir.resolve("broker.log"));
            return log.substring(Math.max(0, log.length() - 3000));
        } catch (IOException e) {
            return e.toString();
        }
    }

    @Override
    public synchronized void close() throws Exception {
        if (admin != null) {
            admin.close();
            admin = null;
        }
        if (cluster != null) {
            cluster.close();
        } else {
            kill9();
        }
    }

    /** The in-process broker logs through the tests' logback: its INFO lines would drown theirs. */
    private static void quietLogs() {
        for (String name : new String[] { "kafka", "org.apache.kafka", "state.change.logger" }) {
            if (LoggerFactory.getLogger(name) instanceof ch.qos.logback.classic.Logger l) {
                l.setLevel(Level.WARN);
            }
        }
    }
}
