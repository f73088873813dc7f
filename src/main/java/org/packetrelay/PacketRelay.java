package org.packetrelay;

import java.util.Set;

import org.apache.camel.main.Main;
import org.packetrelay.pcap.PcapComponent;
import org.packetrelay.pcap.PcapEndpoint;
import org.packetrelay.pcap.PcapException;

/** Entry point: checks the settings (one clear line and exit 2 on a problem), then runs Camel Main. */
public final class PacketRelay {
    private static final Set<String> ROLES = Set.of("sniffer", "sender", "receiver");

    private PacketRelay() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && "status".equals(args[0])) {
            System.exit(Status.print(Settings.load(), System.out));
        }
        try {
            preflight(Settings.load());
        } catch (IllegalArgumentException | IllegalStateException | PcapException e) {
            System.err.println("packet-relay: " + oneLine(e.getMessage()));
            System.exit(2);
        }
        Main main = new Main(PacketRelay.class);
        main.setDefaultPropertyPlaceholderLocation(Settings.LOCATIONS);
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

    private static String oneLine(String s) {
        return String.valueOf(s).replaceAll("\\s*\\R\\s*", " ").strip();
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
                java.nio.file.Path dir = java.nio.file.Paths.get(pattern.substring(5)).toAbsolutePath().getParent();
                if (dir != null && !java.nio.file.Files.isDirectory(dir)) {
                    throw new IllegalArgumentException("no route folder " + dir + " (camel.main.routes-include-pattern=" + pattern
                                                       + "): run from the project folder, which has routes/, or point the setting at it");
                }
            }
        }
        s.getInt("sniffer.snaplen", 64, 262144);
        s.getInt("sniffer.save-interval", 1, 86400);
        s.getInt("sniffer.max-packets-per-file", 1, 500_000);
        s.getInt("sniffer.max-spool-mb", 0, Integer.MAX_VALUE);
        s.getInt("sniffer.min-free-mb", 0, Integer.MAX_VALUE);
        s.getBool("sniffer.promiscuous");
        s.getInt("sender.batch-size", 1, 100_000);
        s.getInt("sender.max-retries", 1, 1000);
        s.getInt("sender.retry-delay", 0, 86400);
        s.getInt("sender.poll-interval", 1, 86400);
        s.getInt("sender.failed-retry-interval", 1, 86400 * 30);
        s.getInt("sender.timeout", 1, 86400);
        s.getInt("receiver.port", 1, 65535);
        String url = s.get("sender.url");
        if (url.startsWith("kafka:")) {
            if (url.length() == "kafka:".length() || url.contains("?")) {
                throw new IllegalArgumentException("bad setting sender.url='" + url + "': expected kafka:<topic> (producer options go in"
                                                   + " routes/upload.yaml, route post-kafka)");
            }
            if (roles.contains("sender") && s.get("sender.kafka.brokers").isEmpty()) {
                throw new IllegalArgumentException("bad setting sender.kafka.brokers='': sender.url=" + url + " needs the brokers"
                                                   + " (host:port[,...])");
            }
        } else if (!url.startsWith("http://") && !url.startsWith("https://")) {
            throw new IllegalArgumentException("bad setting sender.url='" + url + "': expected an http:// or https:// URL, or kafka:<topic>");
        }
        s.getInt("sender.parallel-batches", 1, 64);
        s.getInt("sender.unhealthy-after", 1, 86400 * 365);
        s.getInt("relay.summary-interval", 1, 86400);
        s.getInt("sender.prune-after-days", 0, 36500);
        if (roles.contains("sender")) {
            org.packetrelay.upload.SenderTls.check(s);
            try {
                org.packetrelay.upload.SenderLock.lock(java.nio.file.Paths.get(s.get("relay.logs-dir")));
            } catch (java.io.IOException e) {
                throw new IllegalStateException("cannot lock the spool folder " + s.get("relay.logs-dir") + ": " + e.getMessage());
            }
        }
        if (roles.contains("sniffer")) {
            PcapEndpoint ep = new PcapEndpoint("pcap:" + s.get("sniffer.interfaces"), new PcapComponent());
            ep.setInterfaces(s.get("sniffer.interfaces"));
            ep.setFile(s.get("sniffer.file"));
            ep.setFilter(s.get("sniffer.filter"));
            ep.setIgnoreTcpTo(s.get("sniffer.ignore-tcp-to"));
            ep.setSnaplen(s.getInt("sniffer.snaplen", 64, 262144));
            ep.setPromiscuous(s.getBool("sniffer.promiscuous"));
            ep.validate();
        }
    }
}
