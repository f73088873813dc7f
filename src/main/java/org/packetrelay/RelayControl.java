package org.packetrelay;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Bean the routes call for process-level events. The end of a replay ends a sniffer-only run (exit 0) once
 * its last spool file is written; with other roles the process keeps running.
 */
public class RelayControl {
    private static final Logger LOG = LoggerFactory.getLogger(RelayControl.class);
    private static volatile Runnable shutdownHook;

    private String roles = "";

    public void setRoles(String roles) {
        this.roles = roles;
    }

    static void onShutdownRequest(Runnable hook) {
        shutdownHook = hook;
    }

    public void replayComplete() {
        boolean snifferOnly = "sniffer".equals(roles.replace(" ", ""));
        LOG.info("Replay complete: every packet is in a spool file{}", snifferOnly ? "; exiting" : "");
        Runnable hook = shutdownHook;
        if (snifferOnly && hook != null) {
            hook.run();
        }
    }
}
