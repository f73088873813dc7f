package org.packetrelay.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Debian package as {@code make deb} builds it, and what its files say: the unit files' settings, the
 * environment file, and the setpriv command that gives a process what a unit gives it.
 */
public final class DebPackage {
    private DebPackage() {
    }

    /** Runs a command on this machine to its end; fails on a non-zero exit. Returns stdout and stderr together. */
    public static String run(Path dir, String... cmd) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new AssertionError(String.join(" ", cmd) + " failed: " + out);
        }
        return out;
    }

    /** {@code make deb}, without remaking the jar this build has just packaged; returns the .deb. */
    public static Path build() throws IOException, InterruptedException {
        Path project = RelayProcess.projectDir();
        String out = run(project, "make", "--no-print-directory", "-o", "target/packet-relay.jar", "deb");
        String[] lines = out.strip().split("\n");
        return project.resolve(lines[lines.length - 1].strip());
    }

    /** The project's version as the package has it (0.1.0-SNAPSHOT: 0.1.0~SNAPSHOT). */
    public static String version() throws IOException {
        String pom = Files.readString(RelayProcess.projectDir().resolve("pom.xml"));
        Matcher m = Pattern.compile("<artifactId>packet-relay</artifactId>\\s*<version>([^<]+)</version>").matcher(pom);
        if (!m.find()) {
            throw new IllegalStateException("no project version in pom.xml");
        }
        return m.group(1).replace('-', '~');
    }

    /** The bounded-memory JVM options of the Makefile (MEMORY_OPTS), which make run and the package use. */
    public static String memoryOptions() throws IOException {
        for (String line : Files.readAllLines(RelayProcess.projectDir().resolve("Makefile"))) {
            if (line.startsWith("MEMORY_OPTS :=")) {
                return line.substring("MEMORY_OPTS :=".length()).strip();
            }
        }
        throw new IllegalStateException("no MEMORY_OPTS in the Makefile");
    }

    /** A unit file's [Service] and [Unit] settings: key to its values in order (a key may repeat). */
    public static Map<String, List<String>> unitSettings(Path unit) throws IOException {
        Map<String, List<String>> out = new LinkedHashMap<>();
        for (String line : Files.readAllLines(unit)) {
            int eq = line.indexOf('=');
            if (line.isBlank() || line.startsWith("#") || line.startsWith("[") || eq < 0) {
                continue;
            }
            out.computeIfAbsent(line.substring(0, eq), k -> new ArrayList<>()).add(line.substring(eq + 1));
        }
        return out;
    }

    /** The one value of a unit setting ("" when set empty), or null when not set. */
    public static String one(Map<String, List<String>> unit, String key) {
        List<String> v = unit.get(key);
        if (v == null) {
            return null;
        }
        if (v.size() != 1) {
            throw new IllegalStateException(key + " set " + v.size() + " times");
        }
        return v.get(0);
    }

    /** KEY=value lines of an environment file as systemd reads them (comments skipped, double quotes removed). */
    public static Map<String, String> environmentFile(Path file) throws IOException {
        Map<String, String> env = new LinkedHashMap<>();
        for (String line : Files.readAllLines(file)) {
            String l = line.strip();
            int eq = l.indexOf('=');
            if (l.isEmpty() || l.startsWith("#") || eq < 0) {
                continue;
            }
            String v = l.substring(eq + 1);
            if (v.length() >= 2 && v.startsWith("\"") && v.endsWith("\"")) {
                v = v.substring(1, v.length() - 1);
            }
            env.put(l.substring(0, eq), v);
        }
        return env;
    }

    /**
     * What the unit runs, as systemd starts it: setpriv to the unit's User= with its AmbientCapabilities= (also
     * inheritable) and CapabilityBoundingSet= and no new privileges, then ExecStart with ${VAR} taken from env,
     * then {@code extra} arguments.
     */
    public static List<String> asUnit(Map<String, List<String>> unit, Map<String, String> env, List<String> extra) {
        String ambient = caps(one(unit, "AmbientCapabilities"));
        String bounding = caps(one(unit, "CapabilityBoundingSet"));
        String user = one(unit, "User");
        List<String> cmd = new ArrayList<>(List.of("setpriv", "--reuid=" + user, "--regid=" + one(unit, "Group"), "--init-groups",
                "--inh-caps=" + ambient, "--ambient-caps=" + ambient, "--bounding-set=" + bounding, "--no-new-privs"));
        Matcher m = Pattern.compile("\\$\\{(\\w+)}").matcher(one(unit, "ExecStart"));
        StringBuilder exec = new StringBuilder();
        while (m.find()) {
            m.appendReplacement(exec, Matcher.quoteReplacement(env.getOrDefault(m.group(1), "")));
        }
        m.appendTail(exec);
        cmd.addAll(List.of(exec.toString().split(" ")));
        cmd.addAll(extra);
        return cmd;
    }

    /** "CAP_NET_RAW CAP_NET_ADMIN" as setpriv's "-all,+net_raw,+net_admin"; null or "": "-all". */
    private static String caps(String unitValue) {
        StringBuilder sb = new StringBuilder("-all");
        if (unitValue != null && !unitValue.isBlank()) {
            for (String c : unitValue.trim().split("\\s+")) {
                sb.append(",+").append(c.toLowerCase(Locale.ROOT).replaceFirst("^cap_", ""));
            }
        }
        return sb.toString();
    }
}
