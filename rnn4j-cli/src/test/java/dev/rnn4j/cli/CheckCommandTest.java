package dev.rnn4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnn4j.Batch;
import dev.rnn4j.CellType;
import dev.rnn4j.RnnSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckCommandTest {
    @Test
    void quickCheckPassesOnEveryAvailableBackend() {
        Cli.Run r = Cli.run("check", "--quick");
        assertEquals(0, r.code(), r.all());
        assertTrue(r.out().contains("PASS: "), r.out());
        assertTrue(r.out().contains("JAVA"), r.out());
        assertFalse(r.out().contains("FAIL"), r.out());
    }

    /** A backend that returns a wrong result (one element of one gradient) must make check fail with exit 1. */
    @Test
    void aWrongBackendResultFailsTheCheck() {
        // the hidden --inject-fault perturbs the middle element of the named tensor in every result
        Cli.Run r = Cli.run("check", "--quick", "--backend", "java", "--no-finite-differences", "--inject-fault", "dx");
        assertEquals(1, r.code(), r.all());
        assertTrue(r.out().contains("FAIL JAVA"), r.out());
        assertTrue(r.out().contains("dx["), r.out());
        assertTrue(r.out().contains("FAIL: 0 of"), r.out());
    }

    @Test
    void aWrongOutputIsCaughtJustAboveTheTolerance() {
        CrossCheck.Config c = new CrossCheck.Config("", RnnSpec.builder(CellType.GRU, 3, 4).build(), Batch.of(3, 2));
        CrossCheck.Result ok = CrossCheck.check(c, dev.rnn4j.Backend.JAVA, 1, null);
        assertTrue(ok.passed());
        // 3x the allowed error on a single element of hN: rtol*|ref| + atol*max|ref| < 3e-4 * max|ref|.
        CrossCheck.Result bad = CrossCheck.check(c, dev.rnn4j.Backend.JAVA, 1, (b, t, v) -> {
            if (t.equals("hN")) {
                float max = 0;
                for (float x : v) max = Math.max(max, Math.abs(x));
                v[1] += 3e-4f * max;
            }
        });
        assertFalse(bad.passed());
        assertEquals(1, bad.tensor("hN").index());
        assertTrue(bad.tensor("y").passed(), "only hN was changed");
    }

    @Test
    void nanCountsAsFailure() {
        CrossCheck.TensorResult t = CrossCheck.compare("y", new float[] {1, Float.NaN}, new double[] {1, 2});
        assertFalse(t.passed());
        assertEquals(1, t.index());
    }

    @Test
    void hiddenInjectFaultOptionShowsTheFailure() {
        Cli.Run r = Cli.run("check", "--quick", "--backend", "java", "--inject-fault", "y", "--no-finite-differences");
        assertEquals(1, r.code(), r.all());
        assertTrue(r.out().contains("FAIL"), r.out());
    }

    @Test
    void finiteDifferenceChecksOfTheReferencePass() {
        for (CrossCheck.Config c : CrossCheck.finiteDifferenceGrid(CrossCheck.Level.QUICK)) {
            CrossCheck.Result r = CrossCheck.finiteDifference(c, 3);
            assertTrue(r.passed(), r.toString());
            assertEquals("FD", r.backend());
        }
    }

    @Test
    void theGridCoversCellsDirectionsLayersLengthsProjectionAndEdges() {
        var grid = CrossCheck.grid(CrossCheck.Level.STANDARD);
        for (CellType cell : CellType.values()) {
            for (boolean bi : new boolean[] {false, true}) {
                for (int layers = 1; layers <= 3; layers++) {
                    for (boolean lengths : new boolean[] {false, true}) {
                        final int l = layers;
                        assertTrue(grid.stream().anyMatch(c -> c.spec().cell() == cell && c.spec().bidirectional() == bi
                                && c.spec().layers() == l && c.batch().hasLengths() == lengths), cell + " " + bi + " " + layers);
                    }
                }
            }
        }
        assertTrue(grid.stream().anyMatch(c -> c.spec().projectionSize() > 0));
        assertTrue(grid.stream().anyMatch(c -> c.batch().steps() == 1));
        assertTrue(grid.stream().anyMatch(c -> c.batch().size() == 1));
        assertTrue(grid.stream().anyMatch(c -> c.spec().hiddenSize() % 2 == 1 && c.spec().inputSize() % 2 == 1));
        assertTrue(CrossCheck.grid(CrossCheck.Level.FULL).stream().anyMatch(c -> c.batch().steps() == 200));
        // The cell options of issue 16, at every level, checked against the reference like the rest.
        for (CrossCheck.Level level : CrossCheck.Level.values()) {
            var g = CrossCheck.grid(level);
            assertTrue(g.stream().anyMatch(c -> !c.spec().linearBeforeReset()), level + ": GRU reset-before");
            assertTrue(g.stream().anyMatch(c -> c.spec().cellClip() > 0), level + ": cell clip");
            assertTrue(g.stream().anyMatch(c -> c.spec().projectionClip() > 0), level + ": projection clip");
            assertTrue(g.stream().anyMatch(c -> c.spec().dropout() > 0 && c.spec().layers() > 1), level + ": dropout");
            assertTrue(g.stream().anyMatch(c -> c.describe().contains("reset-before")), level + ": described");
        }
        assertTrue(CrossCheck.finiteDifferenceGrid(CrossCheck.Level.STANDARD).stream().anyMatch(c -> c.spec().dropout() > 0));
    }

    @Test
    void jsonIsWrittenAndValid(@TempDir Path dir) throws Exception {
        Path json = dir.resolve("check.json");
        Cli.Run r = Cli.run("check", "--quick", "--json", json.toString());
        assertEquals(0, r.code(), r.all());
        String text = Files.readString(json);
        Object doc = JsonParser.parse(text);
        assertTrue(doc instanceof java.util.Map);
        var map = (java.util.Map<?, ?>) doc;
        assertEquals(Boolean.TRUE, map.get("passed"));
        var checks = (java.util.List<?>) map.get("crossChecks");
        assertFalse(checks.isEmpty());
        var first = (java.util.Map<?, ?>) checks.get(0);
        assertTrue(first.containsKey("tensors") && first.containsKey("backend") && first.containsKey("configuration"));
        assertFalse(((java.util.List<?>) map.get("finiteDifferenceChecks")).isEmpty());
    }

    @Test
    void jsonIntoAMissingDirectoryIsAUsageError(@TempDir Path dir) {
        Cli.Run r = Cli.run("check", "--quick", "--json", dir.resolve("no/such/dir/x.json").toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("does not exist"), r.err());
    }
}
