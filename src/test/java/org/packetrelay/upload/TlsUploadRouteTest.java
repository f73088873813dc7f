package org.packetrelay.upload;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BooleanSupplier;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import org.apache.camel.BeanInject;
import org.apache.camel.CamelContext;
import org.apache.camel.component.http.HttpComponent;
import org.apache.camel.test.main.junit5.CamelMainTest;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.packetrelay.testing.IngestServer;
import org.packetrelay.testing.SpoolFiles;
import org.packetrelay.testing.TestPki;
import org.slf4j.LoggerFactory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Uploads over HTTPS (routes/upload.yaml with sender.tls.*) to real HTTPS servers on 127.0.0.1 whose certificates
 * come from a test CA made here: trust store (PKCS12 and PEM), hostname verification, mutual TLS. A TLS failure is
 * transient: the file goes to failed_uploads/ (no .error), nothing reaches the server, and the log says it was TLS.
 */
@CamelMainTest(propertyPlaceholderLocations = "file:application.properties",
               properties = {
                       "camel.main.routes-include-pattern=file:routes/upload*.yaml",
                       "camel.server.enabled=false",
                       "camel.management.enabled=false",
                       "relay.roles=sender",
                       "sender.poll-interval=1",
                       "sender.retry-delay=0",
                       "sender.max-retries=1",
                       "sender.failed-retry-interval=3600",
                       "sender.timeout=5",
                       "sender.host-id=tls-test",
                       "sender.auth-token=" + TlsUploadRouteTest.TOKEN,
               })
class TlsUploadRouteTest {
    static final String TOKEN = "tls-test-token-not-to-be-logged";
    static final String DIR = "target/test-tls";
    static final String PASSWORD = "trust-pw-1";
    static final String CA_P12 = DIR + "/ca.p12";
    static final String CA_PEM = DIR + "/ca.pem";
    static final String CLIENT_P12 = DIR + "/client.p12";
    // the servers' URLs, on ports the kernel picks: placeholders Camel resolves from the system properties set below
    /** certificate for 127.0.0.1 and localhost */
    static final String GOOD = "{{tls.test.good}}";
    /** the same, and a client certificate from the test CA is required */
    static final String MTLS = "{{tls.test.mtls}}";
    /** certificate from the test CA for another host name */
    static final String WRONG_NAME = "{{tls.test.wrong-name}}";
    static final List<String> URLS = List.of(GOOD, MTLS, WRONG_NAME);
    static final String SPOOL = "target/test-spool/tls/";
    /** one spool folder and file number per scenario: the servers tell files apart by their Idempotency-Keys */
    static final List<String> SCENARIOS = List.of("p12", "pem", "default-trust", "wrong-name", "no-verify", "mtls", "mtls-none");
    static final List<IngestServer> SERVERS = new ArrayList<>();

    @BeforeAll
    static void pkiAndServers() throws Exception {
        SpoolFiles.deleteTree(Paths.get(SPOOL));
        TestPki pki = TestPki.create("packet-relay test CA");
        pki.writeTrustStore(Paths.get(CA_P12), PASSWORD);
        pki.writePem(Paths.get(CA_PEM));
        pki.client("relay-client").writePkcs12(Paths.get(CLIENT_P12), "client-pw-1");
        TestPki.Identity server = pki.server("127.0.0.1", "localhost");
        SERVERS.add(new IngestServer(0, server.sslContext(null), false));
        SERVERS.add(new IngestServer(0, server.sslContext(pki.caCert()), true));
        SERVERS.add(new IngestServer(0, pki.server("elsewhere.test").sslContext(null), false));
        for (int i = 0; i < URLS.size(); i++) {
            System.setProperty(URLS.get(i).replaceAll("[{}]", ""), SERVERS.get(i).url());
        }
    }

    @AfterAll
    static void stopServers() throws Exception {
        for (IngestServer s : SERVERS) {
            s.close();
        }
        URLS.forEach(u -> System.clearProperty(u.replaceAll("[{}]", "")));
    }

    @BeanInject
    CamelContext context;

    private final ListAppender<ILoggingEvent> log = new ListAppender<>();

    @BeforeEach
    void captureLog() {
        log.start();
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).addAppender(log);
    }

    @AfterEach
    void tokenNeverLogged() {
        ((Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME)).detachAppender(log);
        for (String line : logLines()) {
            assertFalse(line.contains(TOKEN), "token in the log: " + line);
        }
    }

    private List<String> logLines() {
        return log.list.stream().map(e -> e.getFormattedMessage() + throwable(e.getThrowableProxy())).toList();
    }

    /** Every message, class and stack frame of an exception and its causes, as the log would print them. */
    private static String throwable(ch.qos.logback.classic.spi.IThrowableProxy t) {
        StringBuilder sb = new StringBuilder();
        for (int depth = 0; t != null && depth < 20; t = t.getCause(), depth++) {
            sb.append(' ').append(t.getClassName()).append(": ").append(t.getMessage());
            for (ch.qos.logback.classic.spi.StackTraceElementProxy f : t.getStackTraceElementProxyArray()) {
                sb.append(' ').append(f.getSTEAsString());
            }
        }
        return sb.toString();
    }

    private static IngestServer server(String url) {
        return SERVERS.get(URLS.indexOf(url));
    }

    private static void await(BooleanSupplier done, String what) throws InterruptedException {
        long end = System.currentTimeMillis() + 60_000;
        while (!done.getAsBoolean()) {
            if (System.currentTimeMillis() > end) {
                throw new AssertionError("timed out waiting for: " + what);
            }
            Thread.sleep(100);
        }
    }

    /** A spool file of 700 rows with the scenario's number. */
    private static String spool(String logsDir) throws Exception {
        String name = String.format("packets_20260101_000000_%03d.csv", SCENARIOS.indexOf(logsDir));
        SpoolFiles.writeReady(Paths.get(SPOOL, logsDir, "pending_upload"), name, 700);
        return name;
    }

    void assertUploaded(String logsDir, String url) throws Exception {
        String name = spool(logsDir);
        Path processed = Paths.get(SPOOL, logsDir, "processed", name);
        await(() -> Files.exists(processed), name + " uploaded over " + url);
        assertEquals(700, server(url).stored().entrySet().stream().filter(e -> e.getKey().contains(name))
                .mapToLong(e -> e.getValue().size()).sum(), "records at the server");
    }

    void assertTlsFailure(String logsDir, String url, String hint) throws Exception {
        String name = spool(logsDir);
        Path failed = Paths.get(SPOOL, logsDir, "failed_uploads", name);
        await(() -> Files.exists(failed) && logLines().stream().anyMatch(l -> l.contains("Upload of " + name + " failed")),
                name + " in failed_uploads/");
        String line = logLines().stream().filter(l -> l.contains("Upload of " + name + " failed")).findFirst().orElseThrow();
        assertTrue(line.contains("will be retried") && line.contains("TLS") && line.contains(hint), line);
        assertFalse(Files.exists(failed.resolveSibling(name + ".error")), "transient: no .error file");
        assertEquals(0, server(url).stored().keySet().stream().filter(k -> k.contains(name)).count(), "nothing accepted");
        assertTrue(logLines().stream().anyMatch(l -> l.contains("On delivery attempt:")), "redelivered: " + logLines());
    }

    @Nested
    @CamelMainTest(properties = { "relay.logs-dir=" + SPOOL + "p12", "sender.url=" + GOOD, "sender.tls.trust-store=" + CA_P12,
                                  "sender.tls.trust-store-password=" + PASSWORD })
    class Pkcs12TrustStore {
        @Test
        void uploadsOverHttpsWithTheSameClientSettingsAsHttp() throws Exception {
            assertUploaded("p12", GOOD);
            HttpComponent https = context.getComponent("https", HttpComponent.class);
            assertEquals(5000, https.getResponseTimeout(), "camel.component.https.* from sender.timeout");
            assertEquals(5000, https.getConnectTimeout());
            assertTrue(https.isAutomaticRetriesDisabled(), "the redelivery policy alone retries");
            assertNull(context.getComponent("http", HttpComponent.class).getSslContextParameters(), "TLS settings on https only");
        }
    }

    @Nested
    @CamelMainTest(properties = { "relay.logs-dir=" + SPOOL + "pem", "sender.url=" + GOOD, "sender.tls.trust-store=" + CA_PEM,
                                  "sender.tls.trust-store-type=PEM" })
    class PemTrustStore {
        @Test
        void uploadsOverHttps() throws Exception {
            assertUploaded("pem", GOOD);
        }
    }

    @Nested
    @CamelMainTest(properties = { "relay.logs-dir=" + SPOOL + "default-trust", "sender.url=" + GOOD })
    class NoTrustStore {
        @Test
        void theTestCaIsNotTrustedByTheJdkDefaults() throws Exception {
            assertTlsFailure("default-trust", GOOD, "TLS/certificate problem with the server (its certificate is not trusted; see sender.tls.trust-store)");
        }
    }

    @Nested
    @CamelMainTest(properties = { "relay.logs-dir=" + SPOOL + "wrong-name", "sender.url=" + WRONG_NAME,
                                  "sender.tls.trust-store=" + CA_P12, "sender.tls.trust-store-password=" + PASSWORD })
    class WrongHostName {
        @Test
        void aTrustedCertificateForAnotherHostIsRefused() throws Exception {
            assertTlsFailure("wrong-name", WRONG_NAME, "TLS/certificate problem with the server (its certificate does not name the host of sender.url");
        }
    }

    @Nested
    @CamelMainTest(properties = { "relay.logs-dir=" + SPOOL + "no-verify", "sender.url=" + WRONG_NAME,
                                  "sender.tls.trust-store=" + CA_P12, "sender.tls.trust-store-password=" + PASSWORD,
                                  "sender.tls.verify-hostname=false" })
    class HostnameVerificationOff {
        @Test
        void aTrustedCertificateForAnotherHostIsAcceptedWithAWarning() throws Exception {
            assertUploaded("no-verify", WRONG_NAME);
        }
    }

    @Nested
    @CamelMainTest(properties = { "relay.logs-dir=" + SPOOL + "mtls", "sender.url=" + MTLS,
                                  "sender.tls.trust-store=" + CA_P12, "sender.tls.trust-store-password=" + PASSWORD,
                                  "sender.tls.key-store=" + CLIENT_P12, "sender.tls.key-store-password=client-pw-1" })
    class MutualTls {
        @Test
        void theServerAcceptsTheClientCertificate() throws Exception {
            assertUploaded("mtls", MTLS);
        }
    }

    @Nested
    @CamelMainTest(properties = { "relay.logs-dir=" + SPOOL + "mtls-none", "sender.url=" + MTLS,
                                  "sender.tls.trust-store=" + CA_P12, "sender.tls.trust-store-password=" + PASSWORD })
    class MutualTlsWithoutClientCertificate {
        @Test
        void theServerRefusesTheConnection() throws Exception {
            // with TLS 1.3 the refusal may come as the alert or as a connection closed while the request is written
            assertTlsFailure("mtls-none", MTLS, "see sender.tls.key-store");
        }
    }
}
