package org.packetrelay;

import java.util.StringJoiner;

import org.apache.camel.CamelContext;
import org.apache.camel.dsl.yaml.YamlRoutesBuilderLoader;
import org.apache.camel.main.BaseMainSupport;
import org.apache.camel.main.Main;
import org.apache.camel.main.MainListenerSupport;
import org.apache.camel.spi.PropertiesComponent;
import org.apache.camel.spi.Resource;
import org.apache.camel.support.service.ServiceHelper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Camel Main as the relay runs it: each YAML bean made once, and the management server's real address in the log.
 * <p>
 * Camel's YAML loader pre-parses every route file (for modelines and beans needed during auto-configuration), making
 * its beans, then parses the file again for its routes and makes them again, unbinding the first ones: every
 * initMethod ran twice ('Ingest store ready' twice, the spool's recovery twice). The relay's beans are needed only
 * by its routes, so the YAML files are read once.
 */
final class RelayMain extends Main {
    private static final Logger LOG = LoggerFactory.getLogger(RelayMain.class);

    RelayMain() {
        super(PacketRelay.class);
        addMainListener(new MainListenerSupport() {
            @Override
            public void afterStart(BaseMainSupport main) {
                logServers(main.getCamelContext().getPropertiesComponent());
            }
        });
    }

    @Override
    protected CamelContext createCamelContext() {
        CamelContext context = super.createCamelContext();
        YamlRoutesBuilderLoader yaml = new YamlRoutesBuilderLoader() {
            @Override
            public void preParseRoute(Resource resource) {
                // no pre-parse: the beans are made once, with the routes
            }
        };
        // Camel takes the loader of an extension from the registry first ("routes-builder-loader-<extension>")
        context.getRegistry().bind("routes-builder-loader-" + YamlRoutesBuilderLoader.EXTENSION, yaml);
        ServiceHelper.startService(yaml);
        return context;
    }

    /**
     * Where the management server listens (the receiver's logs its own). Camel's summary (logger MainHttpServerUtil,
     * off in logback.xml) always prints 0.0.0.0, whatever camel.management.host binds to.
     */
    private static void logServers(PropertiesComponent p) {
        if (on(p, "camel.management.enabled")) {
            StringJoiner paths = new StringJoiner(", ");
            if (on(p, "camel.management.health-check-enabled")) {
                paths.add("/observe/health");
            }
            if (on(p, "camel.management.metrics-enabled")) {
                paths.add("/observe/metrics");
            }
            if (on(p, "camel.management.jolokia-enabled")) {
                paths.add(p.resolveProperty("camel.management.jolokia-path").orElse("/observe/jolokia"));
            }
            LOG.info("Management server on {}: {}", url(p.resolveProperty("camel.management.host").orElse(""),
                    p.resolveProperty("camel.management.port").orElse("")), paths);
        }
    }

    private static boolean on(PropertiesComponent p, String key) {
        return "true".equalsIgnoreCase(p.resolveProperty(key).orElse("false").trim());
    }

    private static String url(String host, String port) {
        return "http://" + (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
    }
}
