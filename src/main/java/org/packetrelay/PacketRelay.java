package org.packetrelay;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.Set;

import org.packetrelay.pcap.PcapComponent;
import org.packetrelay.pcap.PcapEndpoint;
import org.packetrelay.pcap.PcapException;
import org.packetrelay.upload.SenderLock;
import org.packetrelay.upload.SenderTls;

/** Entry point: checks the settings (one clear line and exit 2 on a problem), then runs Camel Main. */
public final class PacketRelay {
    private static final Set<String> ROLES = Set.of("sniffer", "sender", "receiver");

    /** Every numeric setting with its range, as the README gives it: {min, max}. */
    static final Map<String, int[]> RANGES = Map.ofEntries(
            Map.entry("relay.summary-interval", new int[] { 1, 86400 }),
            Map.entry("sniffer.snaplen", new int[] { 64, 262144 }),
            Map.entry("sniffer.save-interval", new int[] { 1, 86400 }),
            Map.entry("sniffer.max-packets-per-file", new int[] { 1, 500_000 }),
            Map.entry("sniffer.max-spool-mb", new int[] { 0, Integer.MAX_VALUE }),
            Map.entry("sniffer.min-free-mb", new int[] { 0, Integer.MAX_VALUE }),
            Map.entry("sender.batch-size", new int[] { 1, 100_000 }),
            Map.entry("sender.max-retries", new int[] { 0, 1000 }),
            Map.entry("sender.retry-delay", new int[] { 0, 86400 }),
            Map.entry("sender.poll-interval", new int[] { 1, 86400 }),
            Map.entry("sender.failed-retry-interval", new int[] { 1, 30 * 86400 }),
            Map.entry("sender.timeout", new int[] { 1, 86400 }),
            Map.entry("sender.parallel-batches", new int[] { 1, 64 }),
            Map.entry("sender.unhealthy-after", new int[] { 1, 365 * 86400 }),
            Map.entry("sender.prune-after-days", new int[] { 0, 36500 }),
            Map.entry("receiver.port", new int[] { 1, 65535 }),
            Map.entry("receiver.max-records-per-batch", new int[] { 1, 1_000_000 }),
            Map.entry("receiver.max-string-length", new int[] { 1, Integer.MAX_VALUE }),
            Map.entry("receiver.max-body-bytes", new int[] { 1, Integer.MAX_VALUE }),
            Map.entry("receiver.max-bytes-in-flight", new int[] { 1, Integer.MAX_VALUE }),
            Map.entry("receiver.header-timeout", new int[] { 1, 86400 }),
            Map.entry("receiver.keep-alive-timeout", new int[] { 1, 86400 }),
            Map.entry("receiver.kafka.consumers", new int[] { 1, 64 }),
            Map.entry("camel.management.port", new int[] { 0, 65535 }));

    private PacketRelay() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && "status".equals(args[0])) {
            System.exit(Status.print(Settings.load(), System.out));
        }
        Settings settings = Settings.load();
        try {
            followReceiver(settings);
            preflight(settings);
        } catch (IllegalArgumentException | IllegalStateException | PcapException e) {
            System.err.println("packet-relay: " + oneLine(e.getMessage()));
            System.exit(2);
        }
        RelayMain main = new RelayMain();
        main.setDefaultPropertyPlaceholderLocation(Settings.LOCATIONS);
        if (number(settings, "camel.management.port") == 0) {
            main.addOverrideProperty("camel.management.enabled", "false");
        }
        RelayControl.onShutdownRequest(main::completed);
        int code;
        try {
            code = main.run(args);
        } catch (Exception e) {
            Throwable root = e;
            while (root.getCause() != null && root.getCause() != root) {
                root = root.getCause();
            }
            System.err.println("packet-relay: start-up failed: " + oneLine(root.getMessage()));
            System.exit(2);
            return;
        }
        System.exit(code);
    }

    /** The value of a numeric setting, checked against its range. */
    static int number(Settings s, String key) {
        int[] range = RANGES.get(key);
        return s.getInt(key, range[0], range[1]);
    }

    private static String oneLine(String s) {
        return String.valueOf(s).replaceAll("\\s*\\R\\s*", " ").strip();
    }

    /**
     * With the receiver in this process and no sender.url of the user's, the sender posts to this receiver wherever
     * receiver.host/receiver.port put it (and sniffer.ignore-tcp-to, {{sender.url}}, follows): a system property,
     * so that these checks and Camel see the same value.
     */
    static void followReceiver(Settings s) {
        if (s.get("relay.roles").contains("receiver") && !s.isSet("sender.url")) {
            System.setProperty("sender.url", Settings.localReceiverUrl(s.get("receiver.host"), number(s, "receiver.port")));
        }
    }

    /** sender.url: one case per kind of destination. */
    static void checkSenderUrl(String url) {
        String scheme = url.contains(":") ? url.substring(0, url.indexOf(':')) : "";
        switch (scheme) {
            case "http", "https" -> {
                URI u;
                try {
                    u = new URI(url);
                } catch (URISyntaxException e) {
                    throw new IllegalArgumentException("bad setting sender.url='" + url + "': " + e.getReason()
                                                       + " (expected " + scheme + "://host[:port]/path)");
                }
                if (u.getHost() == null || u.getHost().isEmpty()) {
                    throw new IllegalArgumentException("bad setting sender.url='" + url + "': no host (expected " + scheme
                                                       + "://host[:port]/path)");
                }
                if (u.getPort() > 65535) {
                    throw new IllegalArgumentException("bad setting sender.url='" + url + "': port " + u.getPort()
                                                       + " is not from 1 to 65535");
                }
            }
            case "kafka" -> {
                if (url.length() == "kafka:".length() || url.contains("?") || url.contains("/")) {
                    throw new IllegalArgumentException("bad setting sender.url='" + url + "': expected kafka:<topic> (producer options"
                                                       + " go in routes/upload.yaml, route post-kafka)");
                }
            }
            default -> throw new IllegalArgumentException("bad setting sender.url='" + url
                                                          + "': expected an http:// or https:// URL, or kafka:<topic>");
        }
    }

    /** A port another process listens on: one line naming the setting, before Camel starts (Camel only logs it). */
    static void checkPortFree(String setting, String host, int port, String advice) {
        try (ServerSocket probe = new ServerSocket()) {
            probe.setReuseAddress(true); // as Vert.x binds: a closed connection in TIME_WAIT does not count
            probe.bind(new InetSocketAddress(host, port));
        } catch (IOException e) {
            throw new IllegalStateException(setting + "=" + port + ": cannot listen on " + host + ":" + port + " ("
                                            + e.getMessage() + "): " + advice);
        }
    }

    /** Validates the settings and, for the sniffer role, opens its capture sources once. */
    static void preflight(Settings s) {
        String roles = s.get("relay.roles");
        if (roles.isEmpty()) {
            throw new IllegalArgumentException("bad setting relay.roles='': name at least one of sniffer, sender, receiver");
        }
        for (String r : roles.split(",")) {
            if (!ROLES.contains(r.trim())) {
                throw new IllegalArgumentException("bad setting relay.roles='" + roles + "': unknown role '" + r.trim()
                                                   + "' (sniffer, sender, receiver)");
            }
        }
        if (s.get("relay.logs-dir").isEmpty()) {
            throw new IllegalArgumentException("bad setting relay.logs-dir='': a folder is needed");
        }
        // the YAML routes are read from the working folder (routes/ by default): say so plainly when they are not there
        for (String pattern : s.get("camel.main.routes-include-pattern").split(",")) {
            pattern = pattern.trim();
            if (pattern.startsWith("file:")) {
                Path dir = Paths.get(pattern.substring(5)).toAbsolutePath().getParent();
                if (dir != null && !Files.isDirectory(dir)) {
                    throw new IllegalArgumentException("no route folder " + dir + " (camel.main.routes-include-pattern=" + pattern
                                                       + "): run from the project folder, which has routes/, or point the setting at it");
                }
            }
        }
        RANGES.keySet().stream().sorted().forEach(key -> number(s, key));
        s.getBool("sniffer.promiscuous");
        checkSenderUrl(s.get("sender.url"));
        if (roles.contains("sender") && s.get("sender.url").startsWith("kafka:") && s.get("sender.kafka.brokers").isEmpty()) {
            throw new IllegalArgumentException("bad setting sender.kafka.brokers='': sender.url=" + s.get("sender.url")
                                               + " needs the brokers (host:port[,...])");
        }
        int receiverPort = number(s, "receiver.port");
        int managementPort = number(s, "camel.management.port");
        boolean receiver = roles.contains("receiver");
        boolean management = managementPort > 0 && s.getBool("camel.management.enabled");
        if (receiver && management && receiverPort == managementPort) {
            throw new IllegalArgumentException("bad setting camel.management.port=" + managementPort + ": receiver.port is the same");
        }
        if (receiver) {
            checkPortFree("receiver.port", s.get("receiver.host"), receiverPort,
                    "another process has it; set receiver.port, or leave out the receiver role");
        }
        if (management) {
            checkPortFree("camel.management.port", s.get("camel.management.host"), managementPort,
                    "another process has it (another packet-relay?); set camel.management.port, or 0 to turn the management server off");
        }
        if (roles.contains("sender")) {
            SenderTls.check(s);
            try {
                SenderLock.lock(Paths.get(s.get("relay.logs-dir")));
            } catch (IOException e) {
                throw new IllegalStateException("cannot lock the spool folder " + s.get("relay.logs-dir") + ": " + e.getMessage());
            }
        }
        if (roles.contains("sniffer")) {
            PcapEndpoint ep = new PcapEndpoint("pcap:" + s.get("sniffer.interfaces"), new PcapComponent());
            ep.setInterfaces(s.get("sniffer.interfaces"));
            ep.setFile(s.get("sniffer.file"));
            ep.setFilter(s.get("sniffer.filter"));
            ep.setIgnoreTcpTo(s.get("sniffer.ignore-tcp-to"));
            ep.setSnaplen(number(s, "sniffer.snaplen"));
            ep.setPromiscuous(s.getBool("sniffer.promiscuous"));
            ep.validate();
        }
    }
}
