package org.packetrelay.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** The packaged jar run as a separate process in its own working folder (with a copy of routes/). */
public final class RelayProcess implements AutoCloseable {
    private static final String PERL = "/usr/bin/perl";
    public final Path workDir;
    public final Path stdout;
    public final Path stderr;
    private final Process process;

    private RelayProcess(Path workDir, Process process) {
        this.workDir = workDir;
        this.process = process;
        this.stdout = workDir.resolve("stdout.log");
        this.stderr = workDir.resolve("stderr.log");
    }

    public static Path jar() {
        return Paths.get(System.getProperty("relay.jar", "target/packet-relay.jar")).toAbsolutePath();
    }

    public static Path projectDir() {
        return Paths.get(System.getProperty("project.dir", ".")).toAbsolutePath();
    }

    public static Path sharedDir() {
        return Paths.get(System.getProperty("shared.dir", "../shared")).toAbsolutePath().normalize();
    }

    /** A fresh working folder holding a copy of routes/ (and nothing else: the jar's defaults apply). */
    public static Path newWorkDir(String name) throws IOException {
        Path dir = projectDir().resolve("target/it-work").resolve(name + "-" + System.nanoTime());
        Files.createDirectories(dir.resolve("routes"));
        try (Stream<Path> s = Files.list(projectDir().resolve("routes"))) {
            for (Path p : s.toList()) {
                Files.copy(p, dir.resolve("routes").resolve(p.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return dir;
    }

    /**
     * Starts {@code java [jvmArgs] -jar packet-relay.jar} with {@code -Dkey=value} for each setting (and
     * {@code camel.management.port=0} unless a setting or the working folder's application.properties names it).
     */
    public static RelayProcess start(Path workDir, Map<String, String> settings, List<String> jvmArgs, List<String> prefix)
            throws IOException {
        return start(workDir, settings, jvmArgs, prefix, Map.of());
    }

    /** As above, with these environment variables added to the process's ({@code SENDER_AUTH_TOKEN=...}). */
    public static RelayProcess start(Path workDir, Map<String, String> settings, List<String> jvmArgs, List<String> prefix,
                                     Map<String, String> env) throws IOException {
        Path localProps = workDir.resolve("application.properties");
        if (!settings.containsKey("camel.management.port")
            && !(Files.exists(localProps) && Files.readString(localProps).contains("camel.management.port"))) {
            // never the default 9876 (another build on this machine may hold it): a port of the kernel's choosing
            settings = new HashMap<>(settings);
            settings.put("camel.management.port", "0");
        }
        List<String> cmd = new ArrayList<>(prefix);
        if (Files.isExecutable(Paths.get(PERL))) {
            // a build run in the background (make test &, a CI runner) inherits SIGINT ignored, and the JVM leaves an
            // ignored signal ignored: put it back to its default, as a shell in a terminal has it, so Ctrl+C can be tested
            cmd.addAll(List.of(PERL, "-e", "$SIG{INT} = 'DEFAULT'; exec @ARGV or die \"exec: $!\""));
        }
        cmd.add(Paths.get(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx320m");
        // the JVM's temporary files (Vert.x's file cache, lz4's native library) in the work folder: a relay killed
        // with -9 leaves them behind, and a test run kills many
        Path tmp = workDir.resolve("tmp");
        Files.createDirectories(tmp);
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rwxrwxrwx")); // also for runs as nobody
        cmd.add("-Djava.io.tmpdir=" + tmp);
        cmd.addAll(jvmArgs);
        settings.forEach((k, v) -> cmd.add("-D" + k + "=" + v));
        cmd.add("-jar");
        // a copy of the jar in the work folder wins (for runs as another user, who may not read target/)
        Path local = workDir.resolve("packet-relay.jar");
        cmd.add(Files.exists(local) ? local.toString() : jar().toString());
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile())
                .redirectOutput(workDir.resolve("stdout.log").toFile())
                .redirectError(workDir.resolve("stderr.log").toFile());
        pb.environment().putAll(env);
        return new RelayProcess(workDir, pb.start());
    }

    /**
     * Starts any command (the Debian package's launcher, say) in {@code cwd} with exactly this environment, its output
     * in workDir's stdout.log and stderr.log.
     */
    public static RelayProcess startCommand(Path workDir, Path cwd, List<String> cmd, Map<String, String> env) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(cmd).directory(cwd.toFile())
                .redirectOutput(workDir.resolve("stdout.log").toFile())
                .redirectError(workDir.resolve("stderr.log").toFile());
        pb.environment().clear();
        pb.environment().putAll(env);
        return new RelayProcess(workDir, pb.start());
    }

    public static RelayProcess start(Path workDir, Map<String, String> settings) throws IOException {
        return start(workDir, settings, List.of(), List.of());
    }

    public int waitFor(long seconds) throws InterruptedException {
        if (!process.waitFor(seconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("packet-relay did not exit within " + seconds + " s; log: " + tail());
        }
        return process.exitValue();
    }

    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** SIGKILL: no shutdown hook runs. */
    public void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** Sends signal {@code name} (TERM, INT, ...) with kill(1) and waits for the exit code. */
    public int signal(String name, long seconds) throws Exception {
        Process k = new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
        if (k.waitFor() != 0) {
            throw new IllegalStateException("kill -" + name + " " + process.pid() + " failed");
        }
        return waitFor(seconds);
    }

    /** SIGTERM: like Ctrl+C, Camel shuts down gracefully. */
    public int term(long seconds) throws InterruptedException {
        process.destroy();
        return waitFor(seconds);
    }

    public String out() throws IOException {
        return Files.readString(stdout, StandardCharsets.UTF_8);
    }

    /** What it wrote to stdout so far, "" when that cannot be read. */
    public String outQuietly() {
        try {
            return out();
        } catch (IOException e) {
            return "";
        }
    }

    public String err() throws IOException {
        return Files.readString(stderr, StandardCharsets.UTF_8);
    }

    public String tail() {
        try {
            String o = out();
            return o.substring(Math.max(0, o.length() - 3000)) + "\nstderr: " + err();
        } catch (IOException e) {
            return e.toString();
        }
    }

    /** Waits until stdout holds {@code text}. */
    public void awaitLog(String text, long seconds) throws Exception {
        long end = System.currentTimeMillis() + seconds * 1000;
        while (System.currentTimeMillis() < end) {
            if (Files.exists(stdout) && out().contains(text)) {
                return;
            }
            if (!process.isAlive()) {
                throw new AssertionError("packet-relay exited (" + process.exitValue() + ") before logging '" + text + "': " + tail());
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no '" + text + "' within " + seconds + " s: " + tail());
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
