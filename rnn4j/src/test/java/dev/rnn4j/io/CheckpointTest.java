package dev.rnn4j.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnn4j.Backend;
import dev.rnn4j.Batch;
import dev.rnn4j.CellType;
import dev.rnn4j.Mode;
import dev.rnn4j.Rnn;
import dev.rnn4j.RnnSpec;
import dev.rnn4j.train.Adagrad;
import dev.rnn4j.train.Adam;
import dev.rnn4j.train.Linear;
import dev.rnn4j.train.MeanSquaredError;
import dev.rnn4j.train.Optimizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** rnn4j's checkpoints: save then load is bitwise, and training resumed from one goes on exactly. */
class CheckpointTest {
    private static final int T = 4, N = 3, I = 2, H = 5, OUT = 2;
    private static final RnnSpec SPEC = RnnSpec.builder(CellType.LSTM, I, H).layers(2).build();

    @TempDir
    Path dir;

    /** A small model: an LSTM and a Linear head trained on a fixed regression task by {@code optimizer}. */
    private static final class Model implements AutoCloseable {
        final Rnn rnn;
        final Linear head;
        final Optimizer optimizer;

        Model(Rnn rnn, Linear head, Optimizer optimizer) {
            this.rnn = rnn;
            this.head = head;
            this.optimizer = optimizer;
            optimizer.add(rnn.parameterBuffer(), rnn.gradientBuffer());
            optimizer.add(head.parameters(), head.gradients());
        }

        void train(int steps, SplittableRandom r) {
            for (int s = 0; s < steps; s++) {
                float[] x = new float[T * N * I], target = new float[T * N * OUT];
                for (int i = 0; i < x.length; i++) x[i] = (float) r.nextGaussian();
                for (int i = 0; i < target.length; i++) target[i] = (float) r.nextGaussian();
                float[] y = rnn.forward(Mode.TRAINING, Batch.of(T, N), x, null, null).y();
                float[] out = new float[T * N * OUT], dOut = new float[out.length], dy = new float[y.length];
                head.forward(y, T * N, out);
                MeanSquaredError.loss(out, target, out.length, dOut);
                head.backward(y, dOut, T * N, dy);
                rnn.backward(dy, null, null);
                optimizer.step();
                optimizer.zeroGradients();
            }
        }

        @Override
        public void close() {
            rnn.close();
        }
    }

    private Model fresh(Function<Double, Optimizer> optimizer) {
        Rnn rnn = Rnn.create(SPEC, Backend.JAVA);
        rnn.initialize(3);
        Linear head = new Linear(H, OUT);
        head.initialize(4);
        return new Model(rnn, head, optimizer.apply(0.01));
    }

    @Test
    void saveThenLoadIsBitwiseAndResumedTrainingEqualsUninterrupted() throws IOException {
        for (Function<Double, Optimizer> kind : java.util.List.<Function<Double, Optimizer>>of(Adam::new, Adagrad::new)) {
            Path file = dir.resolve("model.safetensors");
            try (Model straight = fresh(kind); Model first = fresh(kind)) {
                straight.train(6, new SplittableRandom(11));
                SplittableRandom data = new SplittableRandom(11);
                first.train(3, data);
                Checkpoint.save(file, first.rnn, Map.of("head", first.head), first.optimizer, Map.of("vocabulary", "abc"));
                Checkpoint c = Checkpoint.load(file);
                assertEquals(SPEC, c.spec());
                assertEquals(3, c.optimizerSteps());
                assertEquals("abc", c.metadata().get("vocabulary"));
                try (Rnn rnn = c.rnn(Backend.JAVA)) {
                    assertArrayEquals(first.rnn.parameters(), rnn.parameters(), "parameters bitwise");
                    Linear head = c.layers().get("head");
                    assertArrayEquals(first.head.parameters().array(), head.parameters().array(), "head bitwise");
                    try (Model resumed = new Model(rnn, head, kind.apply(0.01))) {
                        c.restore(resumed.optimizer);
                        assertEquals(3, resumed.optimizer.steps());
                        for (int i = 0; i < first.optimizer.state().size(); i++) {
                            for (int j = 0; j < first.optimizer.state().get(i).length; j++) {
                                assertArrayEquals(first.optimizer.state().get(i)[j], resumed.optimizer.state().get(i)[j], "moments bitwise");
                            }
                        }
                        resumed.train(3, data); // the straight run's last 3 steps, on the same data
                        assertArrayEquals(straight.rnn.parameters(), resumed.rnn.parameters(), "resumed = uninterrupted, bitwise");
                        assertArrayEquals(straight.head.parameters().array(), resumed.head.parameters().array());
                    }
                }
            }
        }
    }

    @Test
    void aCheckpointIsAPyTorchStateDictTooAndBadOnesAreRejected() throws IOException {
        Path file = dir.resolve("c.safetensors");
        try (Model m = fresh(Adam::new)) {
            Checkpoint.save(file, m.rnn, Map.of(), null, Map.of());
            try (StateDict sd = StateDict.open(file); Rnn rnn = sd.rnn("rnn.", null)) {
                assertArrayEquals(m.rnn.parameters(), rnn.parameters());
            }
            Checkpoint c = Checkpoint.load(file);
            assertEquals(null, c.optimizerType());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.restore(new Adam(0.1)));
            assertTrue(e.getMessage().contains("holds no optimizer state"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Checkpoint.save(file, m.rnn, Map.of(), null, Map.of("rnn4j.x", "y")));
        }
        Path torch = Fixtures.path("lstm.safetensors");
        ModelFileException e = assertThrows(ModelFileException.class, () -> Checkpoint.load(torch));
        assertTrue(e.problem().contains("not rnn4j.checkpoint/1"), e.getMessage());
        // a spec that does not fit the tensors
        try (Model m = fresh(Adam::new)) {
            Checkpoint.save(file, m.rnn, Map.of(), m.optimizer, Map.of());
        }
        byte[] b = Files.readAllBytes(file);
        String s = new String(b, java.nio.charset.StandardCharsets.ISO_8859_1).replace("\\\"hiddenSize\\\":5", "\\\"hiddenSize\\\":6");
        Files.write(file, s.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        e = assertThrows(ModelFileException.class, () -> Checkpoint.load(file));
        assertEquals("rnn.weight_ih_l0", e.tensor());
    }

    /** The spec a checkpoint records keeps the cell options; a checkpoint written before them reads as none. */
    @Test
    void theCellOptionsAreRecordedAndOldSpecsReadWithout() throws Exception {
        Path p = dir.resolve("spec.json");
        for (RnnSpec spec : new RnnSpec[] {
            RnnSpec.builder(CellType.GRU, 3, 4).layers(2).linearBeforeReset(false).dropout(0.25f).build(),
            RnnSpec.builder(CellType.LSTM, 3, 4).projectionSize(2).cellClip(3f).projectionClip(0.5f).build()}) {
            assertEquals(spec, Checkpoint.parseSpec(p, Checkpoint.specJson(spec)));
        }
        String old = "{\"cell\":\"GRU\",\"inputSize\":3,\"hiddenSize\":4,\"layers\":1,\"bidirectional\":false,"
                + "\"bias\":true,\"projectionSize\":0,\"batchFirst\":false}";
        assertEquals(RnnSpec.builder(CellType.GRU, 3, 4).build(), Checkpoint.parseSpec(p, old));
    }
}
