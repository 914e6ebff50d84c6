package dev.rnn4j;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** The public API's behaviour on every available backend (CUDA skips with its reason when absent). */
class RnnApiTest {

    static Rnn open(Backend backend, RnnSpec spec) {
        assumeTrue(backend.isAvailable(), () -> backend + " skipped: " + backend.unavailableReason());
        return Rnn.create(spec, backend);
    }

    static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = r.nextFloat() * 2 - 1;
        return a;
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void initializationIsSeededAndWithinPyTorchBounds(Backend backend) {
        RnnSpec spec = RnnSpec.builder(CellType.GRU, 3, 16).build();
        try (Rnn a = open(backend, spec); Rnn b = Rnn.create(spec, Backend.JAVA)) {
            assertArrayEquals(a.parameters(), b.parameters(), "same seed, same parameters on every backend");
            for (float p : a.parameters()) assertTrue(Math.abs(p) < 0.25f, "|p| < 1/sqrt(16)");
            a.initialize(1);
            assertNotEquals(a.parameters()[0], b.parameters()[0]);
            for (float g : a.gradients()) assertEquals(0f, g);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void namedParametersReadAndWriteTheFlatBuffer(Backend backend) {
        RnnSpec spec = RnnSpec.builder(CellType.LSTM, 3, 4).layers(2).bidirectional(true).projectionSize(2).build();
        try (Rnn rnn = open(backend, spec)) {
            ParameterLayout.Entry e = spec.parameterLayout().entry("bias_hh_l1_reverse");
            float[] v = random(e.size(), 5);
            rnn.setParameter("bias_hh_l1_reverse", v);
            assertArrayEquals(v, rnn.parameter("bias_hh_l1_reverse"));
            float[] flat = rnn.parameters();
            for (int i = 0; i < e.size(); i++) assertEquals(v[i], flat[e.offset() + i]);
            assertEquals(v[0], rnn.parameterBuffer().get(e.offset()));
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void streamingInChunksEqualsOneCall(Backend backend) {
        for (CellType cell : CellType.values()) {
            RnnSpec spec = RnnSpec.builder(cell, 3, 5).layers(2).build();
            int t = 7, n = 2;
            float[] x = random(t * n * 3, 9);
            try (Rnn rnn = open(backend, spec); RnnStream stream = rnn.stream(n)) {
                float[] whole = rnn.forward(x, Batch.of(t, n)).y();
                float[] chunked = new float[whole.length];
                int done = 0;
                for (int steps : new int[] {1, 4, 2}) {
                    float[] xs = new float[steps * n * 3];
                    System.arraycopy(x, done * n * 3, xs, 0, xs.length);
                    float[] ys = stream.step(xs, steps);
                    System.arraycopy(ys, 0, chunked, done * n * 5, ys.length);
                    done += steps;
                }
                TensorAssert.assertClose(cell + " streamed y", chunked, whole);
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void directBuffersGiveTheSameResultsAsArrays(Backend backend) {
        RnnSpec spec = RnnSpec.builder(CellType.LSTM, 4, 6).bidirectional(true).build();
        Batch batch = Batch.ofLengths(5, 3, 5, 1);
        Rnn.Shapes s = new Rnn.Shapes(spec, batch);
        float[] x = random(s.x, 1), h0 = random(s.h, 2), c0 = random(s.c, 3), dy = random(s.y, 4);
        try (Rnn rnn = open(backend, spec)) {
            ForwardResult ref = rnn.forward(Mode.TRAINING, batch, x, h0, c0);
            BackwardResult refGrads = rnn.backward(dy, null, null);
            FloatBuffer y = direct(s.y), hN = direct(s.h), cN = direct(s.c), dx = direct(s.x), dh0 = direct(s.h),
                    dc0 = direct(s.c);
            rnn.forward(Mode.TRAINING, batch, direct(x), direct(h0), direct(c0), y, hN, cN);
            rnn.backward(direct(dy), null, null, dx, dh0, dc0);
            assertArrayEquals(ref.y(), array(y));
            assertArrayEquals(ref.hN(), array(hN));
            assertArrayEquals(ref.cN(), array(cN));
            assertArrayEquals(refGrads.dx(), array(dx));
            assertArrayEquals(refGrads.dh0(), array(dh0));
            assertArrayEquals(refGrads.dc0(), array(dc0));
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void buffersAreUsedFromTheirPosition(Backend backend) {
        RnnSpec spec = RnnSpec.builder(CellType.RNN_TANH, 2, 3).build();
        float[] x = random(2 * 1 * 2, 8);
        try (Rnn rnn = open(backend, spec)) {
            float[] ref = rnn.forward(x, Batch.of(2, 1)).y();
            FloatBuffer xb = direct(x.length + 3).position(3);
            xb.put(3, x);
            FloatBuffer yb = direct(ref.length + 2).position(2);
            rnn.forward(Mode.INFERENCE, Batch.of(2, 1), xb, null, null, yb, null, null);
            assertEquals(2, yb.position(), "position unchanged");
            for (int i = 0; i < ref.length; i++) assertEquals(ref[i], yb.get(2 + i));
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void absentUpstreamGradientsEqualZeros(Backend backend) {
        RnnSpec spec = RnnSpec.builder(CellType.LSTM, 3, 4).layers(2).build();
        Batch batch = Batch.of(4, 2);
        Rnn.Shapes s = new Rnn.Shapes(spec, batch);
        float[] x = random(s.x, 3), dy = random(s.y, 4);
        try (Rnn a = open(backend, spec); Rnn b = Rnn.create(spec, backend)) {
            a.forward(Mode.TRAINING, batch, x, null, null);
            b.forward(Mode.TRAINING, batch, x, null, null);
            BackwardResult ga = a.backward(dy, null, null);
            BackwardResult gb = b.backward(dy, new float[s.h], new float[s.c]);
            assertArrayEquals(ga.dx(), gb.dx());
            assertArrayEquals(a.gradients(), b.gradients());
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void twoBackwardCallsAccumulateTwiceAndZeroGradientsResets(Backend backend) {
        RnnSpec spec = RnnSpec.builder(CellType.GRU, 3, 4).build();
        Batch batch = Batch.of(3, 2);
        Rnn.Shapes s = new Rnn.Shapes(spec, batch);
        float[] x = random(s.x, 3), dy = random(s.y, 4);
        try (Rnn rnn = open(backend, spec)) {
            rnn.forward(Mode.TRAINING, batch, x, null, null);
            rnn.backward(dy, null, null);
            float[] once = rnn.gradients();
            rnn.backward(dy, null, null);
            float[] twice = rnn.gradients();
            for (int i = 0; i < once.length; i++) assertEquals(2 * once[i], twice[i], 1e-6f * Math.abs(once[i]) + 1e-7f);
            rnn.zeroGradients();
            for (float g : rnn.gradients()) assertEquals(0f, g);
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void paddedOutputsAndTheirGradientsAreZero(Backend backend) {
        RnnSpec spec = RnnSpec.builder(CellType.LSTM, 2, 3).bidirectional(true).build();
        Batch batch = Batch.ofLengths(4, 2, 4);
        Rnn.Shapes s = new Rnn.Shapes(spec, batch);
        try (Rnn rnn = open(backend, spec)) {
            ForwardResult out = rnn.forward(Mode.TRAINING, batch, random(s.x, 1), null, null);
            BackwardResult g = rnn.backward(random(s.y, 2), null, null);
            for (int t = 2; t < 4; t++) {
                for (int f = 0; f < 6; f++) assertEquals(0f, out.y()[(t * 2) * 6 + f], "y[t=" + t + ", b=0]");
                for (int f = 0; f < 2; f++) assertEquals(0f, g.dx()[(t * 2) * 2 + f], "dx[t=" + t + ", b=0]");
            }
        }
    }

    static FloatBuffer direct(int n) {
        return ByteBuffer.allocateDirect(4 * n).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    static FloatBuffer direct(float[] a) {
        FloatBuffer b = direct(a.length);
        b.put(0, a);
        return b;
    }

    static float[] array(FloatBuffer b) {
        float[] a = new float[b.remaining()];
        b.get(b.position(), a);
        return a;
    }
}
