package org.packetrelay;

import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Locale;
import java.util.Objects;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The settings as Camel's properties component resolves them, for checks before Camel starts: the jar's
 * {@code application.properties}, then {@code ./application.properties}, overridden by an environment variable
 * ({@code SENDER_URL} for {@code sender.url}) and by a JVM system property of the same name.
 */
public final class Settings {
    /**
     * Where Camel reads the settings from. For a setting in both, Camel takes the first location that has it, so
     * {@code ./application.properties} (a user's edited copy) comes before the jar's built-in one.
     */
    public static final String LOCATIONS = "file:application.properties;optional=true,classpath:application.properties;optional=true";

    private final Properties file = new Properties();
    /** The jar's built-in defaults, apart from {@code ./application.properties} (often a whole copy of them). */
    private final Properties builtin = new Properties();

    private Settings() {
    }

    public static Settings load() {
        Settings s = new Settings();
        try (InputStream in = Settings.class.getClassLoader().getResourceAsStream("application.properties")) {
            if (in != null) {
                s.builtin.load(new InputStreamReader(in, StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the built-in application.properties: " + e.getMessage());
        }
        s.file.putAll(s.builtin);
        Path local = Paths.get("application.properties");
        if (Files.isRegularFile(local)) {
            try (Reader r = Files.newBufferedReader(local, StandardCharsets.UTF_8)) {
                s.file.load(r);
            } catch (IOException e) {
                throw new IllegalStateException("cannot read " + local.toAbsolutePath() + ": " + e.getMessage());
            }
        }
        return s;
    }

    /**
     * Whether the user set this key: a system property, an environment variable, or a value in
     * {@code ./application.properties} other than the jar's (the Debian package installs a whole copy of the defaults).
     */
    public boolean isSet(String key) {
        return System.getProperty(key) != null || System.getenv(envName(key)) != null
               || !Objects.equals(file.getProperty(key), builtin.getProperty(key));
    }

    /**
     * The URL of an ingest server on this host listening on {@code host:port} (receiver.host, receiver.port), with a
     * wildcard host (0.0.0.0, ::) replaced by the loopback address a local client connects to.
     */
    public static String localReceiverUrl(String host, int port) {
        if (host.isEmpty() || "0.0.0.0".equals(host)) {
            host = "127.0.0.1";
        } else if ("::".equals(host) || "[::]".equals(host)) {
            host = "::1";
        }
        if (host.contains(":") && !host.startsWith("[")) {
            host = "[" + host + "]";
        }
        return "http://" + host + ":" + port + "/ingest_packets";
    }

    public static String envName(String key) {
        return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /** The value, with {@code {{other.key}}} placeholders resolved, or "" when the setting is missing. */
    public String get(String key) {
        return get(key, 0);
    }

    private String get(String key, int depth) {
        String v = System.getProperty(key);
        if (v == null) {
            v = System.getenv(envName(key));
        }
        if (v == null) {
            v = file.getProperty(key, "");
        }
        Matcher m = Pattern.compile("\\{\\{([^}]+)}}").matcher(v);
        StringBuilder sb = new StringBuilder();
        while (m.find()) {
            if (depth > 10) {
                throw new IllegalArgumentException("bad setting " + key + ": placeholders nest too deep");
            }
            m.appendReplacement(sb, Matcher.quoteReplacement(get(m.group(1), depth + 1)));
        }
        m.appendTail(sb);
        return sb.toString().trim();
    }

    public int getInt(String key, int min, int max) {
        String v = get(key);
        try {
            int n = Integer.parseInt(v);
            if (n < min || n > max) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("bad setting " + key + "='" + v + "': expected a whole number from "
                                               + min + " to " + max);
        }
    }

    public boolean getBool(String key) {
        String v = get(key);
        if (!"true".equalsIgnoreCase(v) && !"false".equalsIgnoreCase(v)) {
            throw new IllegalArgumentException("bad setting " + key + "='" + v + "': expected true or false");
        }
        return Boolean.parseBoolean(v);
    }
}
