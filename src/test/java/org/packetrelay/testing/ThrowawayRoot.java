package org.packetrelay.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * This machine's own file system, copy-on-write: "/" overlaid with a tmpfs in a private mount namespace, so that a
 * test may install a package, add users and edit /etc for real while the machine itself stays untouched; all of it
 * is gone when the namespace ends ({@link #close}, or this JVM's end). Commands run in it through nsenter; they share
 * the machine's network and processes (loopback traffic is the machine's own). Needs root.
 */
public final class ThrowawayRoot implements AutoCloseable {
    /** root's usual PATH: dpkg wants ldconfig and start-stop-daemon from /usr/sbin, whatever this JVM's PATH is. */
    public static final String PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    private final Path mountPoint;
    /** Holds the namespace: a shell in the overlay's root that ends when this JVM does. */
    private final Process holder;

    private ThrowawayRoot(Path mountPoint, Process holder) {
        this.mountPoint = mountPoint;
        this.holder = holder;
    }

    public static ThrowawayRoot create() throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("pr-root");
        String script = """
                set -e
                d=$1
                mount -t tmpfs -o mode=0755 tmpfs "$d"
                mkdir "$d/upper" "$d/work" "$d/root"
                mount -t overlay overlay -o "lowerdir=/,upperdir=$d/upper,workdir=$d/work" "$d/root"
                for m in proc dev sys; do mount --rbind "/$m" "$d/root/$m"; done
                exec chroot "$d/root" /bin/sh -c 'echo ready; while kill -0 "$0" 2>/dev/null; do sleep 1; done' "$2"
                """;
        ProcessBuilder pb = new ProcessBuilder("unshare", "--mount", "--propagation", "private", "bash", "-c", script, "bash",
                dir.toString(), String.valueOf(ProcessHandle.current().pid())).redirectErrorStream(true);
        pb.environment().put("PATH", PATH);
        Process p = pb.start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        StringBuilder said = new StringBuilder();
        for (String line; (line = out.readLine()) != null; ) {
            if (line.equals("ready")) {
                ThrowawayRoot root = new ThrowawayRoot(dir, p);
                // said from inside the chroot; were it not, every write "inside" would land on this machine
                if (Files.isSameFile(root.path("/"), Paths.get("/"))) {
                    root.close();
                    throw new IllegalStateException("the overlay root is this machine's own");
                }
                return root;
            }
            said.append(line).append('\n');
        }
        p.waitFor(10, TimeUnit.SECONDS);
        Files.deleteIfExists(dir);
        throw new IllegalStateException("no overlay root (unshare, mount -t overlay as root): " + said);
    }

    /** The command, to run inside: nsenter into the namespace and the overlay's root. */
    public List<String> inside(List<String> cmd) {
        List<String> all = new ArrayList<>(List.of("nsenter", "--target", String.valueOf(holder.pid()), "--mount", "--root", "--wd"));
        all.addAll(cmd);
        return all;
    }

    /** Runs a command inside to its end; returns its exit code and output (stdout and stderr together). */
    public Result run(String... cmd) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(inside(List.of(cmd))).redirectErrorStream(true);
        pb.environment().put("PATH", PATH);
        Process p = pb.start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(300, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("no end within 300 s: " + String.join(" ", cmd) + "\n" + out);
        }
        return new Result(p.exitValue(), out);
    }

    /** A path inside, as this JVM sees it (through /proc/PID/root). */
    public Path path(String inside) {
        return Paths.get("/proc/" + holder.pid() + "/root" + inside);
    }

    /** A command's exit code and output. */
    public record Result(int code, String output) {
    }

    @Override
    public void close() throws IOException, InterruptedException {
        holder.destroy();
        holder.waitFor(10, TimeUnit.SECONDS);
        Files.deleteIfExists(mountPoint);
    }
}
