package dev.rnn4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnn4j.Backend;
import dev.rnn4j.Rnn;
import dev.rnn4j.io.Checkpoint;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code demo --save}, {@code demo --resume} and {@code sample}: a model trained, saved, trained on and sampled. */
class SaveResumeSampleTest {
    private static final String[] TINY = {"demo", "--backend", "java", "--seq-length", "8", "--batch", "4", "--samples", "0", "--sample-length", "10"};

    private static String[] with(String[] base, String... extra) {
        String[] a = java.util.Arrays.copyOf(base, base.length + extra.length);
        System.arraycopy(extra, 0, a, base.length, extra.length);
        return a;
    }

    @Test
    void saveResumeAndSample(@TempDir Path dir) throws Exception {
        Path first = dir.resolve("first.safetensors"), second = dir.resolve("second.safetensors");
        Cli.Run r = Cli.run(with(TINY, "--cell", "GRU", "--hidden", "12", "--layers", "2", "--steps", "3", "--save", first.toString()));
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("saved      " + first), r.out());
        Checkpoint c = Checkpoint.load(first);
        assertEquals(3, c.optimizerSteps());
        assertEquals("GRU", c.spec().cell().name());

        // --resume takes the cell, size and layers from the file, whatever the options say
        r = Cli.run(with(TINY, "--cell", "LSTM", "--hidden", "7", "--steps", "2", "--resume", first.toString(), "--save", second.toString()));
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("resumed    from " + first + ": its parameters and Adam's state after 3 steps"), r.out());
        Checkpoint c2 = Checkpoint.load(second);
        assertEquals(5, c2.optimizerSteps());
        assertEquals(c.spec(), c2.spec());
        try (Rnn a = c.rnn(Backend.JAVA); Rnn b = c2.rnn(Backend.JAVA)) {
            assertTrue(!java.util.Arrays.equals(a.parameters(), b.parameters()), "two more steps changed the parameters");
        }

        r = Cli.run("sample", second.toString(), "--length", "40", "--prompt", "Shall I", "--backend", "java", "--seed", "3");
        assertEquals(0, r.code(), r.all());
        SampleCommand s = r.commandLine().getSubcommands().get("sample").getCommand();
        assertEquals(40, s.sample.length());
        Corpus sonnets = Corpus.builtin();
        for (int cp : s.sample.codePoints().toArray()) assertTrue(sonnets.encode(cp) >= 0, "sampled outside the alphabet");
        // the same seed gives the same text: the model is loaded bitwise
        Cli.Run again = Cli.run("sample", second.toString(), "--length", "40", "--prompt", "Shall I", "--backend", "java", "--seed", "3");
        SampleCommand s2 = again.commandLine().getSubcommands().get("sample").getCommand();
        assertEquals(s.sample, s2.sample);
        try (Rnn a = c2.rnn(Backend.JAVA); Rnn b = Checkpoint.load(second).rnn(Backend.JAVA)) {
            assertArrayEquals(a.parameters(), b.parameters());
        }
    }

    @Test
    void badFilesAreUsageErrors(@TempDir Path dir) throws Exception {
        Cli.Run r = Cli.run("sample", dir.resolve("none.safetensors").toString());
        assertEquals(2, r.code(), r.all());
        assertTrue(r.err().contains("no such file"), r.err());
        Path junk = dir.resolve("junk.safetensors");
        Files.write(junk, new byte[] {1, 2, 3});
        r = Cli.run("sample", junk.toString());
        assertEquals(2, r.code(), r.all());
        assertTrue(r.err().contains("is not a usable checkpoint: " + junk + ": truncated: 3 bytes"), r.err());
        r = Cli.run(with(TINY, "--steps", "1", "--resume", junk.toString()));
        assertEquals(2, r.code(), r.all());
        r = Cli.run("demo", "--task", "adding", "--save", junk.toString());
        assertEquals(2, r.code(), r.all());
        assertTrue(r.err().contains("--save and --resume are for --task chars"), r.err());
    }
}
