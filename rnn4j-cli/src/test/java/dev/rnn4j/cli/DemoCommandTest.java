package dev.rnn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import dev.rnn4j.Backend;
import dev.rnn4j.CellType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoCommandTest {
    static final String[] TINY = {"--hidden", "24", "--seq-length", "16", "--batch", "8", "--steps", "60", "--lr", "0.01",
            "--samples", "1", "--sample-length", "30"};

    private static String[] args(String... extra) {
        String[] a = new String[1 + TINY.length + extra.length];
        a[0] = "demo";
        System.arraycopy(TINY, 0, a, 1, TINY.length);
        System.arraycopy(extra, 0, a, 1 + TINY.length, extra.length);
        return a;
    }

    @Test
    void tinyCharacterModelTrainsAndItsLossDrops() {
        Cli.Run r = Cli.run(args("--backend", "java"));
        assertEquals(0, r.code(), r.all());
        DemoCommand demo = r.commandLine().getSubcommands().get("demo").getCommand();
        DemoCommand.Result res = demo.result;
        assertNotNull(res);
        assertEquals(Backend.JAVA, res.backend());
        assertTrue(res.finalLoss() < res.firstLoss() - 0.5, "loss " + res.firstLoss() + " -> " + res.finalLoss());
        assertTrue(res.finalLoss() < res.baseline(), "below the unigram baseline " + res.baseline() + ": " + res.finalLoss());
        for (String s : new String[] {"backend    JAVA", "baseline", "--- sample", "nats/char"}) {
            assertTrue(r.out().contains(s), s + " missing from:\n" + r.out());
        }
    }

    @Test
    void truncatedBpttCarriesTheStateAndSamplingUsesTheCorpusAlphabet() {
        Corpus c = Corpus.builtin();
        CharModel.Settings s = new CharModel.Settings(CellType.GRU, 16, 2, 8, 4, 0.01, 5, 3, 1f);
        try (CharModel m = new CharModel(c, s, Backend.JAVA)) {
            for (int i = 0; i < 5; i++) assertTrue(Double.isFinite(m.trainStep()));
            String text = m.sample("Shall I", 50, 1.0, new SplittableRandom(1));
            assertEquals(50, text.length());
            for (int cp : text.codePoints().toArray()) assertTrue(c.encode(cp) >= 0, "sampled a character outside the corpus");
            assertTrue(Double.isFinite(m.heldOutLoss()));
        }
    }

    @Test
    void builtinCorpusIsTheSonnets() {
        Corpus c = Corpus.builtin();
        assertTrue(c.characters > 15_000 && c.characters < 40_000, "size " + c.characters);
        double h = c.unigramEntropy(0, c.characters);
        assertTrue(h > 2.5 && h < 3.5, "unigram entropy " + h);
    }

    @Test
    void ownCorpusIsUsed(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("abc.txt");
        Files.writeString(f, "abcabcabd ".repeat(200), StandardCharsets.UTF_8);
        Cli.Run r = Cli.run(args("--backend", "java", "--corpus", f.toString()));
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("5 distinct"), r.out());
    }

    @Test
    void emptyCorpusIsRejected(@TempDir Path dir) throws Exception {
        Path f = Files.createFile(dir.resolve("empty.txt"));
        Cli.Run r = Cli.run(args("--backend", "java", "--corpus", f.toString()));
        assertEquals(2, r.code());
        assertTrue(r.err().contains("is empty"), r.err());
        assertTrue(r.err().contains("Usage: rnn4j demo"), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
    }

    @Test
    void binaryCorpusIsRejected(@TempDir Path dir) throws Exception {
        byte[] bytes = new byte[4096];
        new SplittableRandom(1).nextBytes(bytes);
        Path f = Files.write(dir.resolve("random.bin"), bytes);
        Cli.Run r = Cli.run(args("--backend", "java", "--corpus", f.toString()));
        assertEquals(2, r.code());
        assertTrue(r.err().contains("is not text"), r.err());

        byte[] zeros = "hello\0world\0".repeat(100).getBytes(StandardCharsets.UTF_8);
        Path z = Files.write(dir.resolve("nul.txt"), zeros);
        Cli.Run r2 = Cli.run(args("--backend", "java", "--corpus", z.toString()));
        assertEquals(2, r2.code());
        assertTrue(r2.err().contains("is not text"), r2.err());
    }

    @Test
    void missingOrUnreadableCorpusIsRejected(@TempDir Path dir) throws Exception {
        Cli.Run missing = Cli.run(args("--backend", "java", "--corpus", dir.resolve("nope.txt").toString()));
        assertEquals(2, missing.code());
        assertTrue(missing.err().contains("no such file"), missing.err());

        Cli.Run directory = Cli.run(args("--backend", "java", "--corpus", dir.toString()));
        assertEquals(2, directory.code());
        assertTrue(directory.err().contains("is a directory"), directory.err());

        Path locked = Files.writeString(dir.resolve("locked.txt"), "some text ".repeat(100));
        Files.setPosixFilePermissions(locked, PosixFilePermissions.fromString("---------"));
        assumeFalse(Files.isReadable(locked), "running as root: permissions do not stop reading");
        Cli.Run unreadable = Cli.run(args("--backend", "java", "--corpus", locked.toString()));
        assertEquals(2, unreadable.code());
        assertTrue(unreadable.err().contains("not readable"), unreadable.err());
    }

    @Test
    void tooShortCorpusIsRejected(@TempDir Path dir) throws Exception {
        Path f = Files.writeString(dir.resolve("short.txt"), "just a few words");
        Cli.Run r = Cli.run(args("--backend", "java", "--corpus", f.toString()));
        assertEquals(2, r.code());
        assertTrue(r.err().contains("too short"), r.err());
    }

    @Test
    void addingTaskRunsAndReportsTheFinalError() {
        Cli.Run r = Cli.run("demo", "--task", "adding", "--backend", "java", "--cell", "gru", "--hidden", "8", "--seq-length", "12",
                "--batch", "8", "--steps", "30");
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("final MSE"), r.out());
        DemoCommand demo = r.commandLine().getSubcommands().get("demo").getCommand();
        assertTrue(Double.isFinite(demo.result.finalLoss()));
    }

    @Test
    void addingProblemTargetsAreTheSumOfTheMarkedNumbers() {
        int T = 10, n = 5;
        float[] x = new float[T * n * 2], t = new float[n];
        AddingProblem.generate(new SplittableRandom(2), T, n, x, t);
        for (int b = 0; b < n; b++) {
            double sum = 0;
            int marks = 0, firstHalf = 0;
            for (int s = 0; s < T; s++) {
                if (x[(s * n + b) * 2 + 1] == 1f) {
                    marks++;
                    sum += x[(s * n + b) * 2];
                    if (s < T / 2) firstHalf++;
                }
            }
            assertEquals(2, marks);
            assertEquals(1, firstHalf);
            assertEquals(sum, t[b], 1e-6);
        }
    }
}
