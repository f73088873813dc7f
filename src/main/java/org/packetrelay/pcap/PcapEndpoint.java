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

    @UriPath(label = "consumer", description = "Interfaces to capture on: 'all' (every interface that is up), or a comma-separated list"
                           + " such as 'lo,eth0'. Ignored when 'file' is set.")
    @Metadata(required = true, defaultValue = "all")
    private String interfaces = "all";
    @UriParam(label = "consumer,replay", description = "Replay instead of capturing live: a pcap/pcapng file, a folder (its files in name order)"
                            + " or a glob such as /data/*.pcap. The end of the replay is signalled by an exchange with"
                            + " the header CamelPcapReplayComplete=true.")
    private String file;
    @UriParam(label = "consumer,filter", description = "BPF filter expression (tcpdump syntax)")
    private String filter;
    @UriParam(label = "consumer,filter", description = "Comma-separated URLs whose TCP traffic is not captured (the relay's own uploads, which"
                            + " would otherwise be captured, spooled and uploaded again): adds 'not (tcp and host H and"
                            + " port P)' to the filter for each URL whose host is an IP address or localhost")
    private String ignoreTcpTo;
    @UriParam(label = "consumer", defaultValue = "65535", description = "Bytes kept per packet (64 to 262144)")
    private int snaplen = 65535;
    @UriParam(label = "consumer", defaultValue = "true", description = "Put the interfaces into promiscuous mode")
    private boolean promiscuous = true;
    @UriParam(label = "consumer,advanced", defaultValue = "100", description = "libpcap read timeout in milliseconds")
    private int readTimeout = 100;
    @UriParam(label = "consumer,advanced", defaultValue = "16777216", description = "Kernel capture buffer size in bytes (0: libpcap's default)")
    private int bufferSize = 16 * 1024 * 1024;
    @UriParam(label = "consumer,advanced", defaultValue = "false", description = "Deliver packets as soon as they arrive (libpcap immediate mode)")
    private boolean immediate;
    @UriParam(label = "consumer", defaultValue = "false", description = "Nanosecond timestamps (9 decimals) where libpcap gives them;"
                                                    + " microseconds (6 decimals) otherwise")
    private boolean nanosecondTimestamps;
    // each micro-batch is one exchange: with 1000, a replay ran twice as many through Camel, whose per-exchange code
    // then kept the C2 compiler from the decoder in the first second; at low rates batchInterval bounds a batch anyway
    @UriParam(label = "consumer,advanced", defaultValue = "4096", description = "Hand over a micro-batch when it holds this many packets"
                                                                               + " (or 1 MiB of packet bytes)")
    private int batchSize = 4096;
    @UriParam(label = "consumer,advanced", defaultValue = "200", description = "Hand over a micro-batch at the latest this many milliseconds after"
                                                  + " its first packet")
    private long batchInterval = 200;
    @UriParam(label = "consumer,advanced", defaultValue = "0", description = "Threads decoding packets into rows, each"
                                                                            + " micro-batch on one of them, handed on in"
                                                                            + " capture order; 0: one per core")
    private int decodeThreads;

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

    /** The BPF filter libpcap gets ({@link CaptureFilter}); null for none. */
    public String effectiveFilter() {
        return CaptureFilter.of(filter, ignoreTcpTo, file != null);
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

    public int getDecodeThreads() {
        return decodeThreads;
    }

    public void setDecodeThreads(int decodeThreads) {
        this.decodeThreads = decodeThreads;
    }

    /** {@link #getDecodeThreads()}, with 0 as the number of cores. */
    int effectiveDecodeThreads() {
        return decodeThreads > 0 ? decodeThreads : Runtime.getRuntime().availableProcessors();
    }

    public long getBatchInterval() {
        return batchInterval;
    }

    public void setBatchInterval(long batchInterval) {
        this.batchInterval = batchInterval;
    }
}
