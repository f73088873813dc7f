package org.packetrelay.pcap;

import org.apache.camel.Category;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.UriEndpoint;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriPath;
import org.apache.camel.support.DefaultEndpoint;

/**
 * Captures packets from network interfaces (live) or replays capture files, decodes every packet into one
 * record of the field catalog and sends the records as CSV rows in micro-batches ({@link PacketBatch}).
 */
@UriEndpoint(firstVersion = "0.1.0", scheme = "pcap", title = "PCAP", syntax = "pcap:interfaces",
             consumerOnly = true, category = { Category.NETWORKING, Category.MONITORING },
             headersClass = PcapConstants.class)
public class PcapEndpoint extends DefaultEndpoint {

    @UriPath(description = "Interfaces to capture on: 'all' (every interface that is up), or a comma-separated list"
                           + " such as 'lo,eth0'. Ignored when 'file' is set.")
    @Metadata(required = true, defaultValue = "all")
    private String interfaces = "all";
    @UriParam(description = "Replay instead of capturing live: a pcap/pcapng file, a folder (its files in name order)"
                            + " or a glob such as /data/*.pcap. The end of the replay is signalled by an exchange with"
                            + " the header CamelPcapReplayComplete=true.")
    private String file;
    @UriParam(description = "BPF filter expression (tcpdump syntax)")
    private String filter;
    @UriParam(description = "Comma-separated URLs whose TCP traffic is not captured (the relay's own uploads, which"
                            + " would otherwise be captured, spooled and uploaded again): adds 'not (tcp and host H and"
                            + " port P)' to the filter for each URL whose host is an IP address or localhost")
    private String ignoreTcpTo;
    @UriParam(defaultValue = "65535", description = "Bytes kept per packet")
    private int snaplen = 65535;
    @UriParam(defaultValue = "true", description = "Put the interfaces into promiscuous mode")
    private boolean promiscuous = true;
    @UriParam(defaultValue = "100", description = "libpcap read timeout in milliseconds")
    private int readTimeout = 100;
    @UriParam(defaultValue = "16777216", description = "Kernel capture buffer size in bytes (0: libpcap's default)")
    private int bufferSize = 16 * 1024 * 1024;
    @UriParam(defaultValue = "false", description = "Deliver packets as soon as they arrive (libpcap immediate mode)")
    private boolean immediate;
    @UriParam(defaultValue = "false", description = "Nanosecond timestamps (9 decimals) where libpcap gives them;"
                                                    + " microseconds (6 decimals) otherwise")
    private boolean nanosecondTimestamps;
    @UriParam(defaultValue = "1000", description = "Hand over a micro-batch when it holds this many packets")
    private int batchSize = 1000;
    @UriParam(defaultValue = "200", description = "Hand over a micro-batch at the latest this many milliseconds after"
                                                  + " its first packet")
    private long batchInterval = 200;

    public PcapEndpoint(String uri, PcapComponent component) {
        super(uri, component);
    }

    @Override
    public Producer createProducer() {
        throw new UnsupportedOperationException("the pcap component only consumes (captures)");
    }

    @Override
    public Consumer createConsumer(Processor processor) throws Exception {
        PcapConsumer consumer = new PcapConsumer(this, processor);
        configureConsumer(consumer);
        return consumer;
    }

    /** Opens the configured sources once and closes them again, turning every problem into a clear message. */
    public void validate() {
        PcapSources.of(this).check();
    }

    public String getInterfaces() {
        return interfaces;
    }

    public void setInterfaces(String interfaces) {
        this.interfaces = interfaces == null || interfaces.isBlank() ? "all" : interfaces.trim();
    }

    public String getFile() {
        return file;
    }

    public void setFile(String file) {
        this.file = file == null || file.isBlank() ? null : file.trim();
    }

    public String getFilter() {
        return filter;
    }

    public void setFilter(String filter) {
        this.filter = filter == null || filter.isBlank() ? null : filter.trim();
    }

    public String getIgnoreTcpTo() {
        return ignoreTcpTo;
    }

    public void setIgnoreTcpTo(String ignoreTcpTo) {
        this.ignoreTcpTo = ignoreTcpTo == null || ignoreTcpTo.isBlank() ? null : ignoreTcpTo.trim();
    }

    /**
     * The BPF filter libpcap gets: {@code filter} and, when capturing live, without the TCP traffic of
     * {@code ignoreTcpTo}; null for none. A replay applies {@code filter} alone.
     */
    public String effectiveFilter() {
        StringBuilder not = new StringBuilder();
        if (ignoreTcpTo != null && file == null) {
            for (String u : ignoreTcpTo.split(",")) {
                try {
                    java.net.URI uri = java.net.URI.create(u.trim());
                    String host = uri.getHost();
                    int port = uri.getPort() > 0 ? uri.getPort() : "https".equalsIgnoreCase(uri.getScheme()) ? 443 : 80;
                    if (host == null) {
                        continue;
                    }
                    host = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
                    String hosts;
                    if ("localhost".equalsIgnoreCase(host)) {
                        hosts = "host 127.0.0.1 or host ::1";
                    } else if (host.matches("[0-9.]+") || host.contains(":")) {
                        hosts = "host " + host;
                    } else {
                        continue; // a name: resolving it in the filter could fail start-up; capture it
                    }
                    not.append(not.length() == 0 ? "" : " and ").append("not (tcp and (").append(hosts).append(") and port ")
                            .append(port).append(')');
                } catch (IllegalArgumentException e) {
                    // not a URL: nothing to ignore
                }
            }
        }
        if (not.length() == 0) {
            return filter;
        }
        return filter == null ? not.toString() : "(" + filter + ") and " + not;
    }

    public int getSnaplen() {
        return snaplen;
    }

    public void setSnaplen(int snaplen) {
        this.snaplen = snaplen;
    }

    public boolean isPromiscuous() {
        return promiscuous;
    }

    public void setPromiscuous(boolean promiscuous) {
        this.promiscuous = promiscuous;
    }

    public int getReadTimeout() {
        return readTimeout;
    }

    public void setReadTimeout(int readTimeout) {
        this.readTimeout = readTimeout;
    }

    public int getBufferSize() {
        return bufferSize;
    }

    public void setBufferSize(int bufferSize) {
        this.bufferSize = bufferSize;
    }

    public boolean isImmediate() {
        return immediate;
    }

    public void setImmediate(boolean immediate) {
        this.immediate = immediate;
    }

    public boolean isNanosecondTimestamps() {
        return nanosecondTimestamps;
    }

    public void setNanosecondTimestamps(boolean nanosecondTimestamps) {
        this.nanosecondTimestamps = nanosecondTimestamps;
    }

    public int getBatchSize() {
        return batchSize;
    }

    public void setBatchSize(int batchSize) {
        this.batchSize = batchSize;
    }

    public long getBatchInterval() {
        return batchInterval;
    }

    public void setBatchInterval(long batchInterval) {
        this.batchInterval = batchInterval;
    }
}
