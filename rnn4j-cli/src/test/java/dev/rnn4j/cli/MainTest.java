package dev.rnn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MainTest {
    @Test
    void helpListsEveryCommand() {
        Cli.Run r = Cli.run("--help");
        assertEquals(0, r.code());
        for (String c : new String[] {"info", "check", "bench", "demo"}) assertTrue(r.out().contains(c), r.out());
        assertTrue(r.out().contains("Exit codes"), r.out());
    }

    @ParameterizedTest
    @ValueSource(strings = {"info", "check", "bench", "demo"})
    void everyCommandHasHelp(String command) {
        Cli.Run r = Cli.run(command, "--help");
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("Usage: rnn4j " + command), r.out());
    }

    @Test
    void demoHelpExplainsItsOptions() {
        String out = Cli.run("demo", "--help").out();
        for (String o : new String[] {"--cell", "--hidden", "--layers", "--steps", "--backend", "--seed", "--corpus", "--task"}) {
            assertTrue(out.contains(o), o + " missing from:\n" + out);
        }
    }

    @Test
    void versionNamesRnn4j() {
        Cli.Run r = Cli.run("--version");
        assertEquals(0, r.code());
        assertTrue(r.out().startsWith("rnn4j "), r.out());
    }

    @Test
    void unknownOptionIsUsageErrorWithExitCode2() {
        Cli.Run r = Cli.run("check", "--bogus");
        assertEquals(2, r.code());
        assertTrue(r.err().contains("Unknown option: '--bogus'"), r.err());
        assertTrue(r.err().contains("Usage: rnn4j check"), r.err());
        assertFalse(r.err().contains("at dev.rnn4j"), "no stack trace: " + r.err());
    }

    @Test
    void badValuesAreUsageErrors() {
        Cli.Run cell = Cli.run("demo", "--cell", "TRANSFORMER");
        assertEquals(2, cell.code());
        assertTrue(cell.err().contains("TRANSFORMER"), cell.err());
        assertTrue(cell.err().contains("Usage: rnn4j demo"), cell.err());

        Cli.Run steps = Cli.run("demo", "--steps", "many");
        assertEquals(2, steps.code());
        assertTrue(steps.err().contains("'many' is not an int"), steps.err());

        Cli.Run negative = Cli.run("demo", "--backend", "java", "--hidden", "-3");
        assertEquals(2, negative.code());
        assertTrue(negative.err().contains("--hidden must be positive, got -3"), negative.err());
        assertTrue(negative.err().contains("Usage: rnn4j demo"), negative.err());

        Cli.Run shape = Cli.run("bench", "--shape", "lstm,1,2");
        assertEquals(2, shape.code());
        assertTrue(shape.err().contains("cell,I,H,N,T"), shape.err());
    }

    @Test
    void missingCommandIsUsageError() {
        Cli.Run r = Cli.run();
        assertEquals(2, r.code());
        assertTrue(r.err().contains("Missing command"), r.err());
    }

    @Test
    void infoShowsBackendsCpuBlasAndGpus() {
        Cli.Run r = Cli.run("info");
        assertEquals(0, r.code(), r.all());
        for (String s : new String[] {"rnn4j ", "Backends", "JAVA", "CPU", "CUDA", "vector extensions", "OpenBLAS", "GPUs"}) {
            assertTrue(r.out().contains(s), s + " missing from:\n" + r.out());
        }
    }
}
