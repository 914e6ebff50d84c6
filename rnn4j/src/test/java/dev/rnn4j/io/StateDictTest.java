package dev.rnn4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnn4j.Backend;
import dev.rnn4j.CellType;
import dev.rnn4j.Rnn;
import dev.rnn4j.RnnSpec;
import dev.rnn4j.TensorAssert;
import dev.rnn4j.train.Linear;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PyTorch state_dicts (written by PyTorch 1.13, scripts/make-io-fixtures.py) into rnn4j, and back. */
class StateDictTest {

    @Test
    void everyFixtureLoadsWithItsSpecInferredAndMatchesPyTorch() throws IOException {
        double worst = 0;
        for (Map.Entry<String, CellType> f : Fixtures.STATE_DICTS.entrySet()) {
            // RNN needs the hint; the other cells are inferred without one
            CellType hint = f.getValue().gates() == 1 ? f.getValue() : null;
            try (StateDict sd = StateDict.open(Fixtures.path(f.getKey() + ".safetensors"))) {
                RnnSpec spec = sd.inferSpec("", hint);
                assertEquals(f.getValue(), spec.cell(), f.getKey());
                for (Backend b : List.of(Backend.JAVA, Backend.best())) {
                    try (Rnn rnn = sd.rnn("", spec, b)) {
                        worst = Math.max(worst, Fixtures.assertMatches(f.getKey() + " on " + b, rnn, Fixtures.expected(f.getKey())));
                    }
                }
                assertTrue(sd.unused().isEmpty(), f.getKey() + " leaves " + sd.unused());
            }
        }
        System.out.printf("state_dict fixtures (%d) vs PyTorch: worst %.3g x tolerance%n", Fixtures.STATE_DICTS.size(), worst);
    }

    @Test
    void inferredSpecsAreThePyTorchModules() throws IOException {
        try (StateDict sd = StateDict.open(Fixtures.path("lstm_proj_bi2.safetensors"))) {
            assertEquals(RnnSpec.builder(CellType.LSTM, 3, 4).layers(2).bidirectional(true).projectionSize(2).build(),
                    sd.inferSpec("", null));
        }
        try (StateDict sd = StateDict.open(Fixtures.path("gru_nobias.safetensors"))) {
            assertEquals(RnnSpec.builder(CellType.GRU, 3, 4).bias(false).build(), sd.inferSpec("", CellType.GRU));
        }
    }

    @Test
    void otherDtypesReadIntoFp32() throws IOException {
        for (String dtype : List.of("f16", "bf16", "f64")) {
            try (StateDict sd = StateDict.open(Fixtures.path("lstm." + dtype + ".safetensors")); Rnn rnn = sd.rnn("", null)) {
                Fixtures.assertMatches("lstm " + dtype, rnn, Fixtures.expected("lstm." + dtype));
            }
        }
    }

    @Test
    void aWholeSmallModelUnderAPrefixWithItsLinearHead() throws IOException {
        Map<String, float[]> e = Fixtures.expected("tagger");
        try (StateDict sd = StateDict.open(Fixtures.path("tagger.safetensors")); Rnn lstm = sd.rnn("encoder.lstm.", null)) {
            assertEquals(2, lstm.spec().layers());
            Fixtures.assertMatches("tagger encoder", lstm, e);
            Linear head = sd.linear("head.");
            float[] y = lstm.forward(e.get("x"), dev.rnn4j.Batch.of(Fixtures.T, Fixtures.N)).y();
            float[] logits = new float[Fixtures.T * Fixtures.N * 6];
            head.forward(y, Fixtures.T * Fixtures.N, logits);
            TensorAssert.assertClose("tagger logits", logits, e.get("logits"));
            assertEquals(List.of("embedding.weight"), List.copyOf(sd.unused()));
            assertEquals(10 * 3, sd.floats("embedding.weight").length);
            assertEquals("embedding unused here", sd.file().metadata().get("note"));
        }
    }

    @Test
    void vanillaRnnNeedsTheHintAndWrongHintsAreRejected() throws IOException {
        try (StateDict sd = StateDict.open(Fixtures.path("rnn_tanh.safetensors"))) {
            ModelFileException e = assertThrows(ModelFileException.class, () -> sd.inferSpec("", null));
            assertTrue(e.getMessage().contains("RNN_TANH or CellType.RNN_RELU"), e.getMessage());
            assertTrue(e.getMessage().contains("rnn_tanh.safetensors"), e.getMessage());
            assertEquals("weight_ih_l0", e.tensor());
        }
        try (StateDict sd = StateDict.open(Fixtures.path("gru.safetensors"))) {
            ModelFileException e = assertThrows(ModelFileException.class, () -> sd.inferSpec("", CellType.LSTM));
            assertTrue(e.getMessage().contains("hint LSTM has 4 gates"), e.getMessage());
        }
        try (StateDict sd = StateDict.open(Fixtures.path("tagger.safetensors"))) {
            ModelFileException e = assertThrows(ModelFileException.class, () -> sd.inferSpec("decoder.", null));
            assertTrue(e.getMessage().contains("decoder.weight_ih_l0"), e.getMessage());
        }
    }

    @Test
    void aGivenSpecIsCheckedAgainstTheFileAndNothingIsHalfLoaded() throws IOException {
        try (StateDict sd = StateDict.open(Fixtures.path("lstm_bi2.safetensors"));
                Rnn rnn = Rnn.create(RnnSpec.builder(CellType.LSTM, 3, 4).layers(2).build(), Backend.JAVA)) {
            rnn.initialize(5);
            float[] before = rnn.parameters();
            ModelFileException e = assertThrows(ModelFileException.class, () -> sd.loadInto(rnn, ""));
            // the second layer of the bidirectional file takes 2 * 4 inputs, not the 4 of this spec
            assertEquals("weight_ih_l1", e.tensor());
            assertTrue(e.problem().contains("shape [16, 8] does not match [16, 4]"), e.getMessage());
            assertArrayEquals(before, rnn.parameters());
            RnnSpec wrongSize = RnnSpec.builder(CellType.LSTM, 5, 4).layers(2).bidirectional(true).build();
            e = assertThrows(ModelFileException.class, () -> sd.rnn("", wrongSize, Backend.JAVA));
            assertEquals("weight_ih_l0", e.tensor());
            assertTrue(e.problem().contains("shape [16, 3] does not match [16, 5]"), e.problem());
        }
    }

    @Test
    void nonFiniteWeightsAreRejectedWithTheFiniteCheckOn(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("nan.safetensors");
        try (Rnn rnn = Rnn.create(RnnSpec.builder(CellType.GRU, 2, 3).build(), Backend.JAVA)) {
            rnn.initialize(1);
            float[] w = rnn.parameter("bias_hh_l0");
            w[4] = Float.NaN;
            rnn.setParameter("bias_hh_l0", w);
            StateDict.save(file, "gru.", rnn, Map.of());
        }
        try (StateDict sd = StateDict.open(file)) {
            try (Rnn loaded = sd.rnn("gru.", null)) {
                assertTrue(Float.isNaN(loaded.parameter("bias_hh_l0")[4]), "off by default: loaded as is");
            }
            sd.setFiniteCheck(true);
            ModelFileException e = assertThrows(ModelFileException.class, () -> sd.rnn("gru.", null));
            assertEquals("gru.bias_hh_l0", e.tensor());
            assertTrue(e.problem().contains("element [4] is NaN"), e.problem());
        }
    }

    /**
     * rnn4j to PyTorch: every fixture's model, written by rnn4j with its outputs, is read back by the
     * generator script into a fresh PyTorch module (load_state_dict strict) whose outputs must match.
     */
    @Test
    void rnn4jWrittenStateDictsLoadIntoPyTorch(@TempDir Path dir) throws Exception {
        Path script = Path.of("..", "scripts", "make-io-fixtures.py").toAbsolutePath().normalize();
        // Debian's python3-torch; RNN4J_FIXTURE_PYTHON may name one that also has the safetensors package,
        // whose reference reader then reads rnn4j's files (see the script)
        String python = System.getenv().getOrDefault("RNN4J_FIXTURE_PYTHON", "/usr/bin/python3");
        Assumptions.assumeTrue(Files.isExecutable(Path.of(python)) && Files.exists(script), "no " + python);
        Process probe = new ProcessBuilder(python, "-c", "import torch").redirectErrorStream(true).start();
        Assumptions.assumeTrue(probe.waitFor(120, TimeUnit.SECONDS) && probe.exitValue() == 0,
                "PyTorch is not installed for " + python + " (apt-get install python3-torch)");
        for (Map.Entry<String, CellType> f : Fixtures.STATE_DICTS.entrySet()) {
            CellType hint = f.getValue().gates() == 1 ? f.getValue() : null;
            try (StateDict sd = StateDict.open(Fixtures.path(f.getKey() + ".safetensors")); Rnn rnn = sd.rnn("", hint)) {
                StateDict.save(dir.resolve(f.getKey() + ".safetensors"), "", rnn, Map.of());
                float[] x = Fixtures.expected(f.getKey()).get("x");
                var out = rnn.forward(x, dev.rnn4j.Batch.of(Fixtures.T, Fixtures.N));
                Map<String, Tensor> io = new LinkedHashMap<>();
                int rows = rnn.spec().stateRows();
                io.put("x", new Tensor(new int[] {Fixtures.T, Fixtures.N, 3}, x));
                io.put("y", new Tensor(new int[] {Fixtures.T, Fixtures.N, rnn.spec().outputFeatures()}, out.y()));
                io.put("h_n", new Tensor(new int[] {rows, Fixtures.N, rnn.spec().outputSize()}, out.hN()));
                if (out.cN() != null) io.put("c_n", new Tensor(new int[] {rows, Fixtures.N, 4}, out.cN()));
                RnnSpec s = rnn.spec();
                SafeTensors.write(dir.resolve(f.getKey() + ".io.safetensors"), io, Map.of("cell", s.cell().name(),
                        "layers", "" + s.layers(), "bidirectional", "" + s.bidirectional(), "bias", "" + s.bias(),
                        "projection", "" + s.projectionSize()));
            }
        }
        Process p = new ProcessBuilder(python, script.toString(), "--check", dir.toString())
                .redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "the check did not finish");
        System.out.print(output.lines().filter(l -> l.startsWith("OK") || l.startsWith("FAIL")).reduce("", (a, b) -> a + b + "\n"));
        assertEquals(0, p.exitValue(), output);
        assertTrue(output.contains("OK " + Fixtures.STATE_DICTS.size() + " rnn4j-written"), output);
        assertFalse(output.contains("FAIL"), output);
    }
}
