package org.packetrelay.ops;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import java.util.Map;

import org.apache.camel.Route;
import org.apache.camel.ServiceStatus;
import org.apache.camel.health.HealthCheck;
import org.apache.camel.health.HealthCheckAware;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;
import org.packetrelay.pcap.PcapConsumer;
import org.packetrelay.spool.Spool;
import org.packetrelay.upload.UploadStatus;

/**
 * {@code /observe/health}: DOWN when the sniffer captures on no interface, when the spool folder is not writable or full,
 * when a route's consumer reports a fault (a file consumer whose polls fail), or when uploads have been failing for
 * longer than {@code sender.unhealthy-after} seconds.
 * <p>
 * A route that is suspended or stopped while the relay runs was suspended or stopped by an operator (JMX, Jolokia), e.g.
 * {@code upload} during the server's maintenance: that is not a fault. The check stays UP with the route's state as a
 * detail ({@code route.upload: Suspended}), and the checks of that route's work (capturing, failing uploads) wait until it
 * runs again. Camel's own route and consumer checks, which would report DOWN, are off (application.properties).
 */
public class RelayHealthCheck extends AbstractHealthCheck {
    private String roles = "";
    private String logsDir = "logs";
    private long unhealthyAfterSeconds = 600;

    public RelayHealthCheck() {
        super("packet-relay", "relay");
    }

    public void setRoles(String roles) {
        this.roles = roles;
    }

    public void setLogsDir(String logsDir) {
        this.logsDir = logsDir;
    }

    public void setUnhealthyAfterSeconds(long unhealthyAfterSeconds) {
        this.unhealthyAfterSeconds = unhealthyAfterSeconds;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        builder.up();
        Path pending = Paths.get(logsDir, "pending_upload");
        if ((roles.contains("sniffer") || roles.contains("sender")) && !(Files.isDirectory(pending) && Files.isWritable(pending))) {
            builder.down().message("spool folder " + pending + " is not writable");
            return;
        }
        if (!routesHealthy(builder, options)) {
            return;
        }
        if (roles.contains("sniffer") && isRunning("capture")) {
            RelayMetrics m = getCamelContext().getRegistry().lookupByNameAndType("relayMetrics", RelayMetrics.class);
            List<PcapConsumer> caps = m == null ? List.of() : m.captures();
            boolean capturing = caps.stream().anyMatch(c -> c.isRunAllowed() && !c.isPaused() && c.getActiveSources() > 0);
            ServiceStatus route = getCamelContext().getRouteController().getRouteStatus("capture");
            boolean replayDone = caps.stream().anyMatch(PcapConsumer::isReplayComplete);
            if (!capturing && !replayDone) {
                builder.down().message("no interface captures (capture route: " + route + ")");
                return;
            }
            caps.forEach(c -> builder.detail("capture." + c.getSources(), c.getPacketsCaptured()));
            Spool spool = getCamelContext().getRegistry().lookupByNameAndType("spool", Spool.class);
            String full = spool == null ? null : spool.getFullReason();
            if (full != null) {
                builder.down().message("spool full, dropping captured packets: " + full);
                return;
            }
        }
        if (roles.contains("sender") && isRunning("upload")) {
            UploadStatus u = getCamelContext().getRegistry().lookupByNameAndType("uploadStatus", UploadStatus.class);
            if (u != null) {
                long since = u.getFailingSinceMillis();
                builder.detail("upload.lastResult", u.getLastResult());
                if (since > 0 && System.currentTimeMillis() - since > unhealthyAfterSeconds * 1000) {
                    builder.down().message("uploads failing for " + (System.currentTimeMillis() - since) / 1000 + " s: " + u.getLastResult());
                }
            }
        }
    }

    /** Route states as details; false (and DOWN) when a running route's consumer reports a fault. */
    private boolean routesHealthy(HealthCheckResultBuilder builder, Map<String, Object> options) {
        for (Route route : getCamelContext().getRoutes()) {
            ServiceStatus status = getCamelContext().getRouteController().getRouteStatus(route.getRouteId());
            if (status != ServiceStatus.Started) {
                builder.detail("route." + route.getRouteId(), String.valueOf(status));
                continue;
            }
            HealthCheck consumer = route.getConsumer() instanceof HealthCheckAware aware ? aware.getHealthCheck() : null;
            if (consumer != null) {
                Result result = consumer.call(options);
                if (result.getState() == State.DOWN) {
                    builder.down().message("route " + route.getRouteId() + ": " + result.getMessage().orElse("its consumer is DOWN"));
                    result.getError().ifPresent(builder::error);
                    return false;
                }
            }
        }
        return true;
    }

    private boolean isRunning(String routeId) {
        return getCamelContext().getRouteController().getRouteStatus(routeId) == ServiceStatus.Started;
    }
}
