package dev.rnn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rnn4j.Backend;
import org.junit.jupiter.api.Test;

/**
 * User errors found by trying to break the command line: each is one sentence on stderr and exit 2,
 * never a stack trace, a negative count or an exception class name.
 */
class UsageErrorsTest {

    /** Out of memory (defect 4): a model or batch too large gets one line with the sizes, exit 2. */
    @Test
    void outOfMemoryIsOneLineWithTheSizesAndExitTwo() {
        assumeTrue(Backend.CPU.isAvailable(), "the CPU backend allocates its workspace natively");
        for (String[] args : new String[][] {
            {"demo", "--backend", "cpu", "--layers", "100000", "--hidden", "2", "--steps", "1"},
            {"bench", "--backend", "cpu", "--shape", "LSTM,1,1,1,400000000", "--reps", "1", "--min-reps", "1"}}) {
            Cli.Run r = Cli.run(args);
            assertEquals(2, r.code(), String.join(" ", args) + ":\n" + r.all());
            String line = lastLine(r.err());
            assertTrue(line.contains("not enough memory") && line.contains("GiB") && line.contains("free"), line);
            assertFalse(r.err().contains("\tat "), "a stack trace:\n" + r.err());
        }
    }

    @Test
    void hugeSequenceLengthOrBatchReportsThePositiveNeed() {
        Cli.Run r = Cli.run("demo", "--seq-length", "100000000", "--steps", "1");
        assertEquals(2, r.code(), r.all());
        assertTrue(r.err().contains("need at least 3,200,000,064"), r.err());
        r = Cli.run("demo", "--batch", "2000000000", "--steps", "1");
        assertEquals(2, r.code(), r.all());
        assertTrue(r.err().contains("need at least 132,000,000,000"), r.err());
    }

    @Test
    void hiddenSizeBeyondTheParameterLimitIsAUsageError() {
        Cli.Run r = Cli.run("demo", "--backend", "java", "--hidden", "100000", "--steps", "1");
        assertEquals(2, r.code(), r.all());
        assertTrue(r.err().contains("--hidden 100000") && r.err().contains("536,870,911"), r.err());
        assertFalse(r.err().contains("Exception"), r.err());
    }

    @Test
    void repsBelowTheDefaultMinimumNeedNoMinReps() {
        Cli.Run r = Cli.run("bench", "--backend", "java", "--shape", "LSTM,2,3,2,3", "--mode", "infer", "--reps", "1",
                "--time", "0.01");
        assertEquals(0, r.code(), r.all());
    }

    private static String lastLine(String s) {
        String[] lines = s.strip().split("\n");
        return lines[lines.length - 1];
    }
}
