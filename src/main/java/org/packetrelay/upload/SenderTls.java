package org.packetrelay.upload;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.UnrecoverableKeyException;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.Collection;
import java.util.Collections;
import java.util.Locale;

import org.apache.camel.CamelContext;
import org.apache.camel.CamelContextAware;
import org.apache.camel.component.http.HttpComponent;
import org.apache.camel.support.jsse.KeyManagersParameters;
import org.apache.camel.support.jsse.KeyStoreParameters;
import org.apache.camel.support.jsse.SSLContextParameters;
import org.apache.camel.support.jsse.TrustManagersParameters;
import org.apache.hc.client5.http.ssl.NoopHostnameVerifier;
import org.packetrelay.Settings;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * HTTPS for the uploads (settings {@code sender.tls.*}): a trust store for the server's certificate (empty: the
 * JDK's default trust), an optional key store with a client certificate (mutual TLS) and hostname verification
 * (on unless {@code sender.tls.verify-hostname=false}). Applied to Camel's {@code https} component only, which
 * serves {@code https://} sender URLs: not to the JVM, the embedded ingest server or the management server.
 *
 * <p>The stores are loaded here rather than by Camel so that a missing file, a wrong password or a wrong type is
 * one clear line at start-up ({@link #check}), without the password.
 */
public class SenderTls implements CamelContextAware {
    private static final Logger LOG = LoggerFactory.getLogger(SenderTls.class);

    private CamelContext camelContext;
    private String roles = "sender";
    private String url = "";
    private String trustStore = "";
    private String trustStorePassword = "";
    private String trustStoreType = "PKCS12";
    private String keyStore = "";
    private String keyStorePassword = "";
    private String keyStoreType = "PKCS12";
    private boolean verifyHostname = true;

    @Override
    public void setCamelContext(CamelContext camelContext) {
        this.camelContext = camelContext;
    }

    @Override
    public CamelContext getCamelContext() {
        return camelContext;
    }

    public void setRoles(String roles) {
        this.roles = trim(roles);
    }

    public void setUrl(String url) {
        this.url = trim(url);
    }

    public void setTrustStore(String trustStore) {
        this.trustStore = trim(trustStore);
    }

    public void setTrustStorePassword(String trustStorePassword) {
        this.trustStorePassword = trim(trustStorePassword);
    }

    public void setTrustStoreType(String trustStoreType) {
        this.trustStoreType = trim(trustStoreType);
    }

    public void setKeyStore(String keyStore) {
        this.keyStore = trim(keyStore);
    }

    public void setKeyStorePassword(String keyStorePassword) {
        this.keyStorePassword = trim(keyStorePassword);
    }

    public void setKeyStoreType(String keyStoreType) {
        this.keyStoreType = trim(keyStoreType);
    }

    public void setVerifyHostname(boolean verifyHostname) {
        this.verifyHostname = verifyHostname;
    }

    private static String trim(String s) {
        return s == null ? "" : s.trim();
    }

    /** Configures the {@code https} component (init method of the bean). */
    public void start() {
        if (!roles.contains("sender")) {
            return;
        }
        HttpComponent https = camelContext.getComponent("https", HttpComponent.class);
        SSLContextParameters params = parameters();
        if (params != null) {
            https.setSslContextParameters(params);
        }
        if (!verifyHostname) {
            https.setX509HostnameVerifier(NoopHostnameVerifier.INSTANCE);
            if (url.startsWith("https:")) {
                LOG.warn("sender.tls.verify-hostname=false: the server's certificate is not checked against the host name of {}; "
                         + "any server with a trusted certificate is accepted", server(url));
            }
        }
    }

    /** The TLS parameters of the stores, or null when neither is set (the JDK's defaults then apply). */
    SSLContextParameters parameters() {
        if (trustStore.isEmpty() && keyStore.isEmpty()) {
            return null;
        }
        SSLContextParameters params = new SSLContextParameters();
        if (!trustStore.isEmpty()) {
            TrustManagersParameters trust = new TrustManagersParameters();
            trust.setKeyStore(wrap(loadTrustStore(trustStore, trustStorePassword, trustStoreType)));
            params.setTrustManagers(trust);
        }
        if (!keyStore.isEmpty()) {
            KeyManagersParameters keys = new KeyManagersParameters();
            keys.setKeyStore(wrap(loadKeyStore(keyStore, keyStorePassword, keyStoreType)));
            keys.setKeyPassword(keyStorePassword);
            params.setKeyManagers(keys);
        }
        return params;
    }

    /** scheme://host:port of a URL, without user information, path or query (for logs). */
    static String server(String url) {
        try {
            URI u = new URI(url);
            return u.getScheme() + "://" + u.getHost() + (u.getPort() < 0 ? "" : ":" + u.getPort());
        } catch (URISyntaxException e) {
            return "sender.url";
        }
    }

    private static KeyStoreParameters wrap(KeyStore ks) {
        KeyStoreParameters p = new KeyStoreParameters();
        p.setKeyStore(ks);
        return p;
    }

    /** Start-up check of the {@code sender.tls.*} settings: throws IllegalArgumentException with one clear line. */
    public static void check(Settings s) {
        s.getBool("sender.tls.verify-hostname");
        if (!s.get("sender.tls.trust-store").isEmpty()) {
            loadTrustStore(s.get("sender.tls.trust-store"), s.get("sender.tls.trust-store-password"), s.get("sender.tls.trust-store-type"));
        }
        if (!s.get("sender.tls.key-store").isEmpty()) {
            loadKeyStore(s.get("sender.tls.key-store"), s.get("sender.tls.key-store-password"), s.get("sender.tls.key-store-type"));
        }
    }

    /** A trust store: PKCS12 or JKS, or PEM (a file of CA certificates); it must hold at least one certificate. */
    static KeyStore loadTrustStore(String path, String password, String type) {
        String t = type(type, "sender.tls.trust-store-type", true);
        Path file = readable(path, "sender.tls.trust-store");
        KeyStore ks;
        if (t.equals("PEM")) {
            try (InputStream in = Files.newInputStream(file)) {
                Collection<? extends Certificate> certs = CertificateFactory.getInstance("X.509").generateCertificates(in);
                ks = KeyStore.getInstance("PKCS12");
                ks.load(null, null);
                int i = 0;
                for (Certificate c : certs) {
                    ks.setCertificateEntry("ca-" + i++, c);
                }
            } catch (IOException | GeneralSecurityException | RuntimeException e) {
                throw new IllegalArgumentException("sender.tls.trust-store " + path + " is not a PEM file of certificates "
                                                   + "(sender.tls.trust-store-type=PEM): " + e.getMessage());
            }
        } else {
            ks = load(file, password, t, "sender.tls.trust-store");
        }
        try {
            for (String alias : Collections.list(ks.aliases())) {
                if (ks.isCertificateEntry(alias) || ks.getCertificate(alias) != null) {
                    return ks;
                }
            }
        } catch (GeneralSecurityException e) {
            // fall through to the message below
        }
        throw new IllegalArgumentException("sender.tls.trust-store " + path + " holds no certificate"
                                           + (t.equals("PEM") ? "" : " (or needs sender.tls.trust-store-password)"));
    }

    /** A key store with the client certificate and its private key (the key's password is the store's). */
    static KeyStore loadKeyStore(String path, String password, String type) {
        String t = type(type, "sender.tls.key-store-type", false);
        KeyStore ks = load(readable(path, "sender.tls.key-store"), password, t, "sender.tls.key-store");
        try {
            for (String alias : Collections.list(ks.aliases())) {
                if (ks.isKeyEntry(alias)) {
                    ks.getKey(alias, password.toCharArray());
                    return ks;
                }
            }
        } catch (UnrecoverableKeyException e) {
            throw new IllegalArgumentException("sender.tls.key-store " + path + (password.isEmpty()
                    ? ": its private key needs a password and sender.tls.key-store-password is empty"
                    : ": its private key has another password than sender.tls.key-store-password"));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("sender.tls.key-store " + path + ": " + e.getMessage());
        }
        throw new IllegalArgumentException("sender.tls.key-store " + path + " holds no private key (a client certificate with its key is needed)");
    }

    private static String type(String type, String setting, boolean pemAllowed) {
        String t = type == null || type.isBlank() ? "PKCS12" : type.trim().toUpperCase(Locale.ROOT);
        if (t.equals("PKCS12") || t.equals("JKS") || (pemAllowed && t.equals("PEM"))) {
            return t;
        }
        throw new IllegalArgumentException("bad setting " + setting + "='" + type + "': expected PKCS12"
                                           + (pemAllowed ? ", JKS or PEM" : " or JKS"));
    }

    private static Path readable(String path, String setting) {
        Path file = Paths.get(path);
        if (!Files.exists(file)) {
            throw new IllegalArgumentException("cannot read " + setting + " " + path + ": no such file");
        }
        if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
            throw new IllegalArgumentException("cannot read " + setting + " " + path + ": not a readable file");
        }
        return file;
    }

    private static KeyStore load(Path file, String password, String type, String setting) {
        try (InputStream in = Files.newInputStream(file)) {
            KeyStore ks = KeyStore.getInstance(type);
            ks.load(in, password.isEmpty() ? null : password.toCharArray());
            return ks;
        } catch (IOException e) {
            if (e.getCause() instanceof UnrecoverableKeyException) {
                throw new IllegalArgumentException(setting + " " + file + ": wrong password (" + setting + "-password)");
            }
            throw new IllegalArgumentException(setting + " " + file + " is not a " + type + " key store (" + setting + "-type="
                                               + type + "): " + e.getMessage());
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IllegalArgumentException(setting + " " + file + " cannot be read as " + type + ": " + e);
        }
    }
}
