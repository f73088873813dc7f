package org.packetrelay.pcap;

import java.io.IOException;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;

import org.pcap4j.core.BpfProgram;
import org.pcap4j.core.NotOpenException;
import org.pcap4j.core.PcapHandle;
import org.pcap4j.core.PcapNativeException;
import org.pcap4j.core.PcapNetworkInterface;
import org.pcap4j.core.PcapNetworkInterface.PromiscuousMode;
import org.pcap4j.core.Pcaps;
import org.pcap4j.packet.namednumber.DataLinkType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Resolves an endpoint's sources (interfaces or capture files) and opens libpcap handles on them. Every failure
 * is a {@link PcapException} with one line that names the problem, so that start-up can report it plainly.
 */
final class PcapSources {
    private static final Logger LOG = LoggerFactory.getLogger(PcapSources.class);

    private final PcapEndpoint endpoint;

    private PcapSources(PcapEndpoint endpoint) {
        this.endpoint = endpoint;
    }

    static PcapSources of(PcapEndpoint endpoint) {
        return new PcapSources(endpoint);
    }

    boolean isReplay() {
        return endpoint.getFile() != null;
    }

    /** Opens and closes every source once: a start-up check that turns problems into one-line messages. */
    void check() {
        libpcapVersion();
        if (endpoint.getSnaplen() < 64 || endpoint.getSnaplen() > 262144) {
            throw new PcapException("snaplen must be between 64 and 262144, not " + endpoint.getSnaplen());
        }
        if (endpoint.getBatchSize() < 1 || endpoint.getBatchInterval() < 1) {
            throw new PcapException("batchSize and batchInterval must be at least 1");
        }
        if (endpoint.getDecodeThreads() < 0) {
            throw new PcapException("decodeThreads must be 0 (one per core) or more");
        }
        if (endpoint.effectiveFilter() != null) {
            compileFilter(endpoint.effectiveFilter());
        }
        if (isReplay()) {
            // a single file must be readable; in a folder or glob, files that are not captures are skipped
            List<Path> files = files();
            int readable = 0;
            PcapException first = null;
            for (Path p : files) {
                try {
                    openOffline(p).close();
                    readable++;
                } catch (PcapException e) {
                    if (first == null) {
                        first = e; // the replay skips it with a warning (once, when it comes to it)
                    }
                }
            }
            if (readable == 0) {
                throw first;
            }
        } else {
            List<String> names = interfaceNames();
            List<String> opened = new ArrayList<>();
            for (String name : names) {
                try {
                    openLive(name).close();
                    opened.add(name);
                } catch (PcapException e) {
                    if (!"all".equals(endpoint.getInterfaces())) {
                        throw e;
                    }
                    LOG.warn("Skipping interface {}: {}", name, e.getMessage());
                }
            }
            if (opened.isEmpty()) {
                throw new PcapException("no interface could be opened for capture (" + String.join(", ", names) + ")");
            }
        }
    }

    static String libpcapVersion() {
        try {
            return Pcaps.libVersion();
        } catch (Throwable e) {
            throw new PcapException("libpcap is not installed or cannot be loaded (Debian: apt-get install libpcap0.8): "
                                    + String.valueOf(e.getMessage()).lines().findFirst().orElse("").replaceAll(":$", ""));
        }
    }

    void compileFilter(String filter) {
        if (filter.equals(endpoint.effectiveFilter()) && endpoint.getFilter() != null) {
            compileOnly(endpoint.getFilter()); // name the user's own expression when it is the one at fault
        }
        compileOnly(filter);
    }

    private void compileOnly(String filter) {
        try (PcapHandle dead = Pcaps.openDead(DataLinkType.EN10MB, endpoint.getSnaplen())) {
            BpfProgram prog = dead.compileFilter(filter, BpfProgram.BpfCompileMode.OPTIMIZE, PcapHandle.PCAP_NETMASK_UNKNOWN);
            prog.free();
        } catch (PcapNativeException | NotOpenException e) {
            throw new PcapException("bad BPF filter '" + filter + "': " + e.getMessage());
        }
    }

    /** The interfaces to capture on, in a stable order. */
    List<String> interfaceNames() {
        String spec = endpoint.getInterfaces();
        List<PcapNetworkInterface> devs;
        try {
            devs = Pcaps.findAllDevs();
        } catch (PcapNativeException e) {
            throw new PcapException("cannot list network interfaces: " + e.getMessage());
        }
        Set<String> known = new LinkedHashSet<>();
        for (PcapNetworkInterface d : devs) {
            known.add(d.getName());
        }
        if ("all".equals(spec)) {
            // 'all': the kernel's network interfaces that are up (not libpcap's pseudo devices: any, nflog, usbmon...)
            List<String> names = new ArrayList<>();
            for (String name : known) {
                if (isUpNetdev(name)) {
                    names.add(name);
                }
            }
            if (names.isEmpty()) {
                throw new PcapException("no network interface is up (libpcap sees: " + String.join(", ", known) + ")");
            }
            Collections.sort(names);
            return names;
        }
        List<String> names = new ArrayList<>();
        for (String raw : spec.split(",")) {
            String name = raw.trim();
            if (name.isEmpty()) {
                continue;
            }
            if (!known.contains(name)) {
                throw new PcapException("unknown interface '" + name + "' (known: " + String.join(", ", known) + ")");
            }
            names.add(name);
        }
        if (names.isEmpty()) {
            throw new PcapException("no interface named in '" + spec + "'");
        }
        return names;
    }

    private static boolean isUpNetdev(String name) {
        try {
            NetworkInterface ni = NetworkInterface.getByName(name);
            return ni != null && ni.isUp();
        } catch (SocketException e) {
            return false;
        }
    }

    /** The capture files of a replay, in order. */
    List<Path> files() {
        String spec = endpoint.getFile();
        Path path = Paths.get(spec);
        List<Path> result = new ArrayList<>();
        if (spec.contains("*") || spec.contains("?") || spec.contains("[") || spec.contains("{")) {
            Path dir = path.getParent() == null ? Paths.get(".") : path.getParent();
            PathMatcher m = dir.getFileSystem().getPathMatcher("glob:" + path.getFileName());
            try (Stream<Path> s = Files.list(dir)) {
                s.filter(p -> Files.isRegularFile(p) && m.matches(p.getFileName())).sorted().forEach(result::add);
            } catch (IOException e) {
                throw new PcapException("cannot read capture folder " + dir + ": " + e);
            }
            if (result.isEmpty()) {
                throw new PcapException("no capture file matches " + spec);
            }
        } else if (Files.isDirectory(path)) {
            try (Stream<Path> s = Files.list(path)) {
                s.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().startsWith("."))
                        .sorted().forEach(result::add);
            } catch (IOException e) {
                throw new PcapException("cannot read capture folder " + path + ": " + e);
            }
            if (result.isEmpty()) {
                throw new PcapException("capture folder " + path + " holds no file");
            }
        } else if (!Files.isReadable(path)) {
            throw new PcapException("cannot read capture file " + path + (Files.exists(path) ? " (permission denied)" : " (no such file)"));
        } else {
            result.add(path);
        }
        return result;
    }

    ReplayFile openOffline(Path file) {
        String filter = endpoint.effectiveFilter();
        ReplayFile f;
        try {
            // a BPF filter is libpcap's to apply; without one, the file is read in Java where that reads it alike
            f = filter == null ? ReplayFile.read(file, precision()) : ReplayFile.open(file, precision());
        } catch (PcapNativeException e) {
            throw new PcapException("cannot read capture file " + file + ": " + e.getMessage());
        }
        if (filter != null) {
            try {
                f.handle().setFilter(filter, BpfProgram.BpfCompileMode.OPTIMIZE);
            } catch (PcapNativeException | NotOpenException e) {
                f.close();
                throw new PcapException("BPF filter '" + filter + "' does not apply to " + file + ": " + e.getMessage());
            }
        }
        return f;
    }

    private PcapHandle.TimestampPrecision precision() {
        return endpoint.isNanosecondTimestamps() ? PcapHandle.TimestampPrecision.NANO : PcapHandle.TimestampPrecision.MICRO;
    }

    PcapHandle openLive(String name) {
        PcapHandle handle;
        try {
            handle = builder(name, endpoint.isNanosecondTimestamps()).build();
        } catch (PcapNativeException e) {
            if (endpoint.isNanosecondTimestamps()) {
                try {
                    handle = builder(name, false).build();
                    LOG.warn("Interface {} gives no nanosecond timestamps: using microseconds", name);
                } catch (PcapNativeException e2) {
                    throw openError(name, e2);
                }
            } else {
                throw openError(name, e);
            }
        }
        String filter = endpoint.effectiveFilter();
        if (filter != null) {
            try {
                handle.setFilter(filter, BpfProgram.BpfCompileMode.OPTIMIZE);
            } catch (PcapNativeException | NotOpenException e) {
                handle.close();
                throw new PcapException("bad BPF filter '" + filter + "' on " + name + ": " + e.getMessage());
            }
        }
        return handle;
    }

    private PcapHandle.Builder builder(String name, boolean nano) {
        PcapHandle.Builder b = new PcapHandle.Builder(name)
                .snaplen(endpoint.getSnaplen())
                .promiscuousMode(endpoint.isPromiscuous() ? PromiscuousMode.PROMISCUOUS : PromiscuousMode.NONPROMISCUOUS)
                .timeoutMillis(endpoint.getReadTimeout())
                .timestampPrecision(nano ? PcapHandle.TimestampPrecision.NANO : PcapHandle.TimestampPrecision.MICRO);
        if (endpoint.getBufferSize() > 0) {
            b.bufferSize(endpoint.getBufferSize());
        }
        if (endpoint.isImmediate()) {
            b.immediateMode(true);
        }
        return b;
    }

    private static PcapException openError(String name, PcapNativeException e) {
        String msg = String.valueOf(e.getMessage());
        if (msg.contains("ermission") || msg.contains("not permitted")) {
            return new PcapException("no permission to capture on " + name
                                     + " (run as root or: setcap cap_net_raw,cap_net_admin+eip $(readlink -f $(which java))): " + msg);
        }
        return new PcapException("cannot open interface " + name + ": " + msg);
    }
}
