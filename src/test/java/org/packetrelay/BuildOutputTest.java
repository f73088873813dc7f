package org.packetrelay;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.packetrelay.testing.RelayProcess;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What make prints. Debian's Maven 3.8 with jansi 2 wrote terminal resets ({@code ESC[0m}, shown as {@code [0m[0m})
 * in front of its output even in batch mode; {@code .mvn/jvm.config} sets {@code jansi.noreset}.
 */
class BuildOutputTest {

    @Test
    void mavenWritesNoTerminalEscapes() throws Exception {
        Process mvn = new ProcessBuilder("mvn", "-B", "-ntp", "-o", "validate").directory(RelayProcess.projectDir().toFile())
                .redirectErrorStream(true).start();
        byte[] out = mvn.getInputStream().readAllBytes();
        assertTrue(mvn.waitFor(120, TimeUnit.SECONDS), "mvn validate did not finish");
        String text = new String(out, StandardCharsets.UTF_8);
        assertTrue(text.contains("BUILD SUCCESS"), text);
        assertFalse(text.contains("\u001b"), "escape sequence in Maven's output: " + text.replace("\u001b", "ESC").lines().findFirst().orElse(""));
    }
}
