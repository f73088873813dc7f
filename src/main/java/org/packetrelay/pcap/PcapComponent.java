package org.packetrelay.pcap;

import java.util.Map;

import org.apache.camel.Endpoint;
import org.apache.camel.spi.annotations.Component;
import org.apache.camel.support.DefaultComponent;

/**
 * The {@code pcap:} component: captures packets with libpcap (through pcap4j) and hands them over, decoded into
 * CSV rows, in micro-batches. {@code pcap:all}, {@code pcap:lo,eth0} or {@code pcap:replay?file=...}.
 */
@Component("pcap")
public class PcapComponent extends DefaultComponent {

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        PcapEndpoint endpoint = new PcapEndpoint(uri, this);
        endpoint.setInterfaces(remaining);
        setProperties(endpoint, parameters);
        return endpoint;
    }
}
