package org.packetrelay.decode;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import com.code_intelligence.jazzer.junit.FuzzTest;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;

/**
 * Coverage-guided fuzzing of the decoder (Jazzer): no input may throw out of it, hang it (libFuzzer's -timeout), or
 * give a row that does not come back from CSV, through the sender and the receiver, as the same values
 * ({@link DecoderProperties}). Inputs are {@link FuzzInput}s.
 *
 * <p>Without {@code JAZZER_FUZZ} (the default test run, an IDE) only the regression inputs in
 * {@code src/test/resources/org/packetrelay/decode/DecoderFuzzTestInputs/decode/} run. The surefire execution
 * {@code decoder-fuzz} (in {@code make test} for {@code fuzz.time} seconds; {@code make fuzz} for longer) sets
 * {@code JAZZER_FUZZ=1} and passes libFuzzer its corpus folders: {@code target/fuzz/corpus} (what it finds),
 * {@code target/fuzz/seeds} (every packet of the tcpdump test corpus, written here first) and the regression inputs;
 * a crash or timeout is written to {@code target/fuzz/crashes/}.
 */
@Tag("jazzer")
class DecoderFuzzTest {
    private final DecoderProperties properties = new DecoderProperties();

    /** In fuzzing mode: the corpus folders libFuzzer is given, the seeds written from the tcpdump corpus. */
    @BeforeAll
    static void seeds() throws Exception {
        String dir = System.getProperty("fuzz.dir");
        if (System.getenv("JAZZER_FUZZ") == null || dir == null) {
            return;
        }
        Path root = Path.of(dir);
        Files.createDirectories(root.resolve("corpus"));
        Files.createDirectories(root.resolve("crashes"));
        Path seeds = Files.createDirectories(root.resolve("seeds"));
        MessageDigest sha1 = MessageDigest.getInstance("SHA-1");
        int written = 0;
        for (String[] m : CorpusDecodeTest.manifest()) {
            for (Packets.Captured p : Packets.read(CorpusDecodeTest.CORPUS.resolve(m[0])).packets()) {
                byte[] seed = new FuzzInput(p.dlt(), p.data(), p.wireLength(), p.epochNanos(), 9).encode();
                Path file = seeds.resolve(HexFormat.of().formatHex(sha1.digest(seed)));
                if (!Files.exists(file)) {
                    Files.write(file, seed);
                    written++;
                }
            }
        }
        System.out.println("decoder-fuzz: " + written + " new seeds from the tcpdump corpus in " + seeds);
    }

    @FuzzTest(maxDuration = "45s")
    void decode(byte[] input) throws Exception {
        properties.check(FuzzInput.parse(input));
    }
}
