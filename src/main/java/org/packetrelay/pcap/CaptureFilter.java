package org.packetrelay.pcap;

import java.net.URI;

/**
 * The BPF filter libpcap gets: the user's {@code filter} and, when capturing live, {@code not (tcp and host H and
 * port P)} for each URL (or {@code host:port}, as Kafka brokers are given) of {@code ignoreTcpTo} whose host is an IP
 * address or localhost (the relay's own uploads would otherwise be captured, spooled and uploaded again). A replay
 * applies {@code filter} alone.
 */
final class CaptureFilter {
    private CaptureFilter() {
    }

    /** The filter expression, or null for none. */
    static String of(String filter, String ignoreTcpTo, boolean replay) {
        StringBuilder not = new StringBuilder();
        if (ignoreTcpTo != null && !replay) {
            for (String u : ignoreTcpTo.split(",")) {
                String term = notTcpTo(u.trim());
                if (term != null) {
                    not.append(not.length() == 0 ? "" : " and ").append(term);
                }
            }
        }
        if (not.length() == 0) {
            return filter;
        }
        return filter == null ? not.toString() : "(" + filter + ") and " + not;
    }

    /**
     * {@code not (tcp and (host H) and port P)} for one URL or {@code host:port} (a Kafka broker); null for none (not a
     * URL, or a host name).
     */
    private static String notTcpTo(String url) {
        URI uri;
        try {
            uri = URI.create(url.contains("://") || url.startsWith("kafka:") ? url : "tcp://" + url);
        } catch (IllegalArgumentException e) {
            return null; // not a URL: nothing to ignore
        }
        String host = uri.getHost();
        if (host == null) {
            return null;
        }
        int port = uri.getPort() > 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
        host = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        String hosts;
        if ("localhost".equalsIgnoreCase(host)) {
            hosts = "host 127.0.0.1 or host ::1";
        } else if (host.matches("[0-9.]+") || host.contains(":")) {
            hosts = "host " + host;
        } else {
            return null; // a name: resolving it in the filter could fail start-up; capture it
        }
        return "not (tcp and (" + hosts + ") and port " + port + ")";
    }
}
