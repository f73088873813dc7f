package org.packetrelay.catalog;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;

/**
 * The field catalog: the single source of truth for the CSV header, the decoder's record, type conversion
 * back from CSV and the JSON keys. The order is the contract's; fields may be appended, never inserted.
 */
public enum Field {
    TIMESTAMP("timestamp", FieldType.TIMESTAMP),
    INTERFACE("interface", FieldType.STRING),
    LENGTH("length", FieldType.INT),
    SRC_IP("src_ip", FieldType.STRING),
    DST_IP("dst_ip", FieldType.STRING),
    PROTOCOL("protocol", FieldType.STRING),
    SRC_PORT("src_port", FieldType.INT),
    DST_PORT("dst_port", FieldType.INT),
    TCP_FLAGS("tcp_flags", FieldType.STRING),
    TCP_SYN("tcp_syn", FieldType.BOOL),
    TCP_ACK("tcp_ack", FieldType.BOOL),
    TCP_FIN("tcp_fin", FieldType.BOOL),
    TCP_RST("tcp_rst", FieldType.BOOL),
    TCP_PSH("tcp_psh", FieldType.BOOL),
    SEQ("seq", FieldType.LONG),
    ACK("ack", FieldType.LONG),
    ICMP_TYPE("icmp_type", FieldType.INT),
    ICMP_CODE("icmp_code", FieldType.INT),
    ARP_OP("arp_op", FieldType.INT),
    ARP_PSRC("arp_psrc", FieldType.STRING),
    ARP_PDST("arp_pdst", FieldType.STRING),
    ARP_HWSRC("arp_hwsrc", FieldType.STRING),
    ARP_HWDST("arp_hwdst", FieldType.STRING),
    DNS_QUERY("dns_query", FieldType.BOOL),
    DNS_RESPONSE("dns_response", FieldType.BOOL),
    DNS_QNAME("dns_qname", FieldType.STRING),
    DNS_QTYPE("dns_qtype", FieldType.INT),
    DNS_ANSWER_COUNT("dns_answer_count", FieldType.INT),
    DNS_ANSWER_SIZE("dns_answer_size", FieldType.INT),
    HTTP_METHOD("http_method", FieldType.STRING),
    HTTP_PATH("http_path", FieldType.STRING),
    HTTP_STATUS_CODE("http_status_code", FieldType.INT),
    HTTP_HOST("http_host", FieldType.STRING),
    IP_VERSION("ip_version", FieldType.INT),
    TTL("ttl", FieldType.INT),
    SRC_MAC("src_mac", FieldType.STRING),
    DST_MAC("dst_mac", FieldType.STRING),
    VLAN_ID("vlan_id", FieldType.INT),
    TCP_WINDOW("tcp_window", FieldType.INT),
    CAPTURED_LENGTH("captured_length", FieldType.INT),
    PAYLOAD_LENGTH("payload_length", FieldType.INT),
    TLS_SNI("tls_sni", FieldType.STRING),
    COMMUNITY_ID("community_id", FieldType.STRING),
    DECODE_ERROR("decode_error", FieldType.STRING);

    /** All fields in catalog order (shared, do not modify). */
    public static final Field[] ALL = values();
    public static final int COUNT = ALL.length;
    /** The CSV header row, without line end. */
    public static final String CSV_HEADER = Arrays.stream(ALL).map(Field::key).collect(Collectors.joining(","));
    public static final List<String> KEYS = Arrays.stream(ALL).map(Field::key).toList();
    private static final Map<String, Field> BY_KEY = Arrays.stream(ALL).collect(Collectors.toMap(Field::key, Function.identity()));

    private final String key;
    private final FieldType type;

    Field(String key, FieldType type) {
        this.key = key;
        this.type = type;
    }

    /** The CSV column name and JSON key. */
    public String key() {
        return key;
    }

    public FieldType type() {
        return type;
    }

    public static Field byKey(String key) {
        return BY_KEY.get(key);
    }
}
