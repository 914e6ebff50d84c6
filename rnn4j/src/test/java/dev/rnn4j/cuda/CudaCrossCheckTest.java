package dev.rnn4j.cuda;

import static dev.rnn4j.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rnn4j.Backend;
import dev.rnn4j.BackwardResult;
import dev.rnn4j.Batch;
import dev.rnn4j.CellType;
import dev.rnn4j.ForwardResult;
import dev.rnn4j.Mode;
import dev.rnn4j.Rnn;
import dev.rnn4j.RnnSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * CUDA against the CPU backend and against the Java reference, through the public API (host
 * tensors) and through {@link CudaRnn} (device tensors, no copies). Skipped, with the probe's
 * reason, where no GPU is usable. (CrossCheckTest also runs its whole matrix on Backend.CUDA.)
 */
class CudaCrossCheckTest {

    record Case(String name, RnnSpec spec, Batch batch) {
        @Override
        public String toString() {
            return name;
        }
    }

    static Stream<Case> cases() {
        List<Case> cases = new ArrayList<>();
        for (CellType cell : CellType.values()) {
            cases.add(new Case(cell + " bi L2", RnnSpec.builder(cell, 5, 6).layers(2).bidirectional(true).build(),
                    Batch.of(6, 5)));
            cases.add(new Case(cell + " lengths", RnnSpec.builder(cell, 7, 13).build(), Batch.ofLengths(6, 3, 5, 2, 5, 1)));
            cases.add(new Case(cell + " batch-first lengths", RnnSpec.builder(cell, 4, 9).batchFirst(true).build(),
                    Batch.ofLengths(5, 5, 2, 4)));
            cases.add(new Case(cell + " H=256 N=2 (persistent)", RnnSpec.builder(cell, 32, 256).bidirectional(true).build(),
                    Batch.of(9, 2)));
            cases.add(new Case(cell + " H=96 N=40", RnnSpec.builder(cell, 16, 96).bias(false).build(), Batch.of(5, 40)));
        }
        cases.add(new Case("LSTM projection", RnnSpec.builder(CellType.LSTM, 5, 8).projectionSize(3).layers(2)
                .bidirectional(true).build(), Batch.ofLengths(5, 2, 5, 5)));
        return cases.stream();
    }

    @BeforeEach
    void needGpu() {
        assumeTrue(Backend.CUDA.isAvailable(), () -> "CUDA skipped: " + Backend.CUDA.unavailableReason());
    }

    record Run(ForwardResult out, BackwardResult grads, float[] paramGrads) {}

    static float[] uniform(Random r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = r.nextFloat() * 2 - 1;
        return a;
    }

    static Run run(Backend backend, Case c, long seed) {
        Random r = new Random(seed);
        RnnSpec s = c.spec();
        Batch b = c.batch();
        int rows = s.stateRows() * b.size();
        float[] x = uniform(r, b.steps() * b.size() * s.inputSize());
        float[] h0 = uniform(r, rows * s.outputSize());
        float[] c0 = s.cell().hasCellState() ? uniform(r, rows * s.hiddenSize()) : null;
        float[] dy = uniform(r, b.steps() * b.size() * s.outputFeatures());
        float[] dhN = uniform(r, rows * s.outputSize());
        float[] dcN = s.cell().hasCellState() ? uniform(r, rows * s.hiddenSize()) : null;
        try (Rnn rnn = Rnn.create(s, backend)) {
            rnn.initialize(42);
            ForwardResult out = rnn.forward(Mode.TRAINING, b, x, h0, c0);
            rnn.backward(dy, dhN, dcN);
            BackwardResult g = rnn.backward(dy, dhN, dcN);  // twice: gradients accumulate
            return new Run(out, g, rnn.gradients());
        }
    }

    static void assertSame(Run got, Run ref) {
        assertClose("y", got.out().y(), ref.out().y());
        assertClose("hN", got.out().hN(), ref.out().hN());
        assertClose("cN", got.out().cN(), ref.out().cN());
        assertClose("dx", got.grads().dx(), ref.grads().dx());
        assertClose("dh0", got.grads().dh0(), ref.grads().dh0());
        assertClose("dc0", got.grads().dc0(), ref.grads().dc0());
        assertClose("parameter gradients", got.paramGrads(), ref.paramGrads());
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void matchesCpuAndReference(Case c) {
        long seed = c.name().hashCode();
        Run cuda = run(Backend.CUDA, c, seed);
        assertSame(cuda, run(Backend.JAVA, c, seed));
        assumeTrue(Backend.CPU.isAvailable(), () -> "CPU skipped: " + Backend.CPU.unavailableReason());
        assertSame(cuda, run(Backend.CPU, c, seed));
    }

    @Test
    void devicePointersGiveTheSameResultsWithoutCopies() {
        RnnSpec s = RnnSpec.builder(CellType.GRU, 6, 10).layers(2).bidirectional(true).build();
        int T = 4, N = 3;
        Random r = new Random(5);
        float[] x = uniform(r, T * N * 6);
        float[] ref;
        float[] params;
        try (Rnn rnn = Rnn.create(s, Backend.JAVA)) {
            rnn.initialize(7);
            params = rnn.parameters();
            ref = rnn.forward(Mode.INFERENCE, Batch.of(T, N), x, null, null).y();
        }
        try (CudaRnn cuda = new CudaRnn(s);
                DeviceBuffer p = DeviceBuffer.ofFloats(params.length);
                DeviceBuffer dx = DeviceBuffer.ofFloats(x.length);
                DeviceBuffer dy = DeviceBuffer.ofFloats(ref.length);
                DeviceBuffer ws = DeviceBuffer.allocate(cuda.workspaceBytes(T, N, false))) {
            p.copyFrom(params, 0, params.length);
            dx.copyFrom(x, 0, x.length);
            cuda.forward(0L, 0, T, N, null, false, p.address(), dx.address(), 0L, 0L, dy.address(), 0L, 0L,
                    ws.address(), ws.bytes());
            CudaRnn.synchronize(0L);
            float[] y = new float[ref.length];
            dy.copyTo(y, 0, y.length);
            assertClose("y", y, ref);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> cuda.forward(0L, 0, T, N,
                    null, false, 0L, dx.address(), 0L, 0L, dy.address(), 0L, 0L, ws.address(), ws.bytes()));
            assertEquals("params is a null device address", e.getMessage());
        }
    }

    /** The cell options through device pointers: a seeded training forward equals the reference's. */
    @Test
    void devicePointersTakeTheCellOptionsAndTheDropoutSeed() {
        RnnSpec s = RnnSpec.builder(CellType.GRU, 6, 10).layers(3).bidirectional(true).linearBeforeReset(false)
                .dropout(0.4f).build();
        int T = 5, N = 3;
        float[] x = uniform(new Random(6), T * N * 6);
        float[] ref;
        float[] params;
        try (Rnn rnn = Rnn.create(s, Backend.JAVA)) {
            rnn.initialize(8);
            params = rnn.parameters();
            ref = rnn.forward(Mode.TRAINING, Batch.of(T, N), x, null, null, 77L).y();
        }
        try (CudaRnn cuda = new CudaRnn(s);
                DeviceBuffer p = DeviceBuffer.ofFloats(params.length);
                DeviceBuffer dx = DeviceBuffer.ofFloats(x.length);
                DeviceBuffer dy = DeviceBuffer.ofFloats(ref.length);
                DeviceBuffer ws = DeviceBuffer.allocate(cuda.workspaceBytes(T, N, true))) {
            p.copyFrom(params, 0, params.length);
            dx.copyFrom(x, 0, x.length);
            cuda.forward(0L, 0, T, N, null, true, p.address(), dx.address(), 0L, 0L, dy.address(), 0L, 0L,
                    ws.address(), ws.bytes(), 77L);
            CudaRnn.synchronize(0L);
            float[] y = new float[ref.length];
            dy.copyTo(y, 0, y.length);
            assertClose("y", y, ref);
        }
    }
}
