package org.packetrelay.catalog;

import java.net.InetAddress;
import java.net.UnknownHostException;

/**
 * An address block, {@code 10.1.0.0/16}, {@code 2001:db8::/32} or a single address, for the routes' filters
 * ({@code inSubnet}). Only address literals are taken: nothing is ever looked up in DNS.
 */
public final class Subnet {
    private final byte[] net;
    private final int bits;

    private Subnet(byte[] net, int bits) {
        this.net = net;
        this.bits = bits;
    }

    /** @throws IllegalArgumentException when {@code cidr} is not an address literal with an optional prefix length */
    public static Subnet parse(String cidr) {
        int slash = cidr.indexOf('/');
        byte[] net = literal(slash < 0 ? cidr : cidr.substring(0, slash));
        int bits = net == null ? -1 : net.length * 8;
        if (net != null && slash >= 0) {
            try {
                bits = Integer.parseInt(cidr.substring(slash + 1));
            } catch (NumberFormatException e) {
                bits = -1;
            }
        }
        if (net == null || bits < 0 || bits > net.length * 8) {
            throw new IllegalArgumentException("not an address block: '" + cidr + "' (10.1.0.0/16, 2001:db8::/32 or one address)");
        }
        return new Subnet(net, bits);
    }

    /** Whether {@code address} (a literal; anything else is not in it) lies in this block. */
    public boolean contains(String address) {
        byte[] a = literal(address);
        if (a == null || a.length != net.length) {
            return false;
        }
        for (int i = 0; i < bits; i++) {
            int mask = 0x80 >> (i % 8);
            if ((a[i / 8] & mask) != (net[i / 8] & mask)) {
                return false;
            }
        }
        return true;
    }

    /** The bytes of an IPv4 or IPv6 literal, or null (a host name is not resolved). */
    private static byte[] literal(String s) {
        if (s == null || s.isEmpty() || !(s.indexOf(':') >= 0 || s.chars().allMatch(c -> c == '.' || c >= '0' && c <= '9'))) {
            return null;
        }
        try {
            return InetAddress.getByName(s).getAddress();
        } catch (UnknownHostException e) {
            return null;
        }
    }
}
