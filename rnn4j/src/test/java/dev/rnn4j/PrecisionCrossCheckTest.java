package dev.rnn4j;

import static dev.rnn4j.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rnn4j.CrossCheckTest.Case;
import dev.rnn4j.CrossCheckTest.Data;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * BF16 and INT8 inference on the CPU backend against the Java reference in the same scheme,
 * element by element (the reference rounds and quantizes exactly as the kernels do), over the
 * shapes of {@link CrossCheckTest}; plus the API's rules and the distance of each scheme from FP32.
 */
class PrecisionCrossCheckTest {
    private static final Precision[] REDUCED = {Precision.BF16, Precision.INT8};

    static Stream<Arguments> cases() {
        List<Arguments> args = new ArrayList<>();
        for (Precision p : REDUCED) {
            for (Case c : CrossCheckTest.cases()) {
                RnnSpec sp = c.spec(); // the reduced schemes do not compute the cell options (Precision.check)
                if (sp.linearBeforeReset() && sp.cellClip() == 0 && sp.projectionClip() == 0) args.add(Arguments.of(p, c));
            }
            // batches around the kernels' tiles of 8 and 4 rows and the split by batch rows (16)
            for (int n : new int[] {5, 8, 9, 16, 17}) {
                Case c = new Case("N=" + n, RnnSpec.builder(CellType.LSTM, 37, 70).projectionSize(19).build(),
                        Batch.of(4, n), true, false);
                args.add(Arguments.of(p, c));
            }
        }
        return args.stream();
    }

    static ForwardResult infer(Backend backend, Precision p, Case c, Data d) {
        try (Rnn rnn = Rnn.create(c.spec(), backend)) {
            rnn.initialize(42);
            rnn.setPrecision(p);
            return rnn.forward(Mode.INFERENCE, c.batch(), d.x, d.h0, d.c0);
        }
    }

    /**
     * BF16's allowance besides the usual relative part, as a fraction of the tensor's largest
     * |ref|: a state that differs from the reference's in its last fp32 bit (fp32 against double
     * arithmetic) can round to the neighbouring bfloat16 value, one bf16 step (2^-8 relative) on
     * one input of the next product, which moves later outputs by up to ~3e-4 of the tensor's
     * scale (the same discontinuity as INT8's u8 grid, see below). A wrong layout, a missing
     * rounding or a wrong operand is off by far more.
     */
    static final double BF16_ATOL = 0x1p-9;

    static void assertSameOutputs(Precision p, ForwardResult got, ForwardResult ref) {
        assertSame(p, "y", got.y(), ref.y());
        assertSame(p, "hN", got.hN(), ref.hN());
        assertSame(p, "cN", got.cN(), ref.cN());
    }

    static void assertSame(Precision p, String what, float[] got, float[] ref) {
        if (p != Precision.BF16 || got == null || ref == null) {
            assertClose(what, got, ref);
            return;
        }
        TensorAssert.Worst w = TensorAssert.compare(got, ref, TensorAssert.RTOL, BF16_ATOL);
        assertTrue(w.passed(), () -> p + " " + what + ": " + w);
    }

    static void assumeCpu() {
        assumeTrue(Backend.CPU.isAvailable(), () -> "CPU skipped: " + Backend.CPU.unavailableReason());
    }

    @ParameterizedTest(name = "{0} {1}")
    @MethodSource("cases")
    void cpuMatchesTheReferenceInTheSameScheme(Precision p, Case c) {
        assumeCpu();
        Data d = new Data(c, c.toString().hashCode());
        assertSameOutputs(p, infer(Backend.CPU, p, c, d), infer(Backend.JAVA, p, c, d));
    }

    /**
     * Wide layers on two threads (the products split by weight rows; at 17 rows the time loop by
     * batch rows). INT8 over one step of one
     * layer: there the kernels and the reference quantize the very same fp32 inputs, so the integer
     * sums agree exactly. Over several steps or layers the two sides' fp32 states may differ in the
     * last bit, and a value lying on a rounding boundary of the u8 grid may then take the next
     * code on one side (a discontinuity of the scheme, not of the kernels); with 10^4 values
     * quantized per step such a boundary case turns up, so the multi-step INT8 matrix above stays
     * at small widths.
     */
    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"BF16", "INT8"})
    void twoThreadsAndWideLayersMatchTheReference(Precision p) {
        assumeCpu();
        int before = Backend.CPU.threads();
        Backend.CPU.setThreads(2);
        boolean int8 = p == Precision.INT8;
        // 17 rows: the time loop's rows split between the threads
        Batch[] batches = int8 ? new Batch[] {Batch.of(1, 1), Batch.of(1, 2), Batch.of(1, 5), Batch.of(1, 17)}
                : new Batch[] {Batch.of(3, 1), Batch.of(3, 2), Batch.ofLengths(4, 4, 2, 3, 4, 1), Batch.of(3, 17)};
        try {
            for (CellType cell : CellType.values()) {
                for (Batch batch : batches) {
                    Case c = new Case("2 threads", RnnSpec.builder(cell, 100, 260).layers(int8 ? 1 : 2)
                            .bidirectional(true).build(), batch, true, false);
                    Data d = new Data(c, 3);
                    assertSameOutputs(p, infer(Backend.CPU, p, c, d), infer(Backend.JAVA, p, c, d));
                }
            }
        } finally {
            Backend.CPU.setThreads(before);
        }
    }

    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"BF16", "INT8"})
    void streamingGivesTheWholeSequence(Precision p) {
        assumeCpu();
        for (CellType cell : CellType.values()) {
            RnnSpec spec = RnnSpec.builder(cell, 6, 20).layers(2).build();
            Case c = new Case("stream", spec, Batch.of(6, 2), false, false);
            Data d = new Data(c, 5);
            ForwardResult whole = infer(Backend.JAVA, p, c, d);
            try (Rnn rnn = Rnn.create(spec, Backend.CPU)) {
                rnn.initialize(42);
                rnn.setPrecision(p);
                RnnStream stream = rnn.stream(2);
                float[] y = new float[whole.y().length];
                int stepFloats = 2 * spec.outputFeatures();
                for (int t = 0; t < 6; t += 3) {
                    float[] chunk = Arrays.copyOfRange(d.x, t * 2 * 6, (t + 3) * 2 * 6);
                    float[] out = stream.step(chunk, 3);
                    System.arraycopy(out, 0, y, t * stepFloats, out.length);
                }
                assertSame(p, "streamed y", y, whole.y());
            }
        }
    }

    @Test
    void trainingNeedsFp32AndPrecisionNeverTouchesTheParameters() {
        for (Backend b : new Backend[] {Backend.JAVA, Backend.CPU}) {
            if (!b.isAvailable()) continue;
            RnnSpec spec = RnnSpec.builder(CellType.GRU, 3, 5).build();
            try (Rnn rnn = Rnn.create(spec, b)) {
                float[] before = rnn.parameters();
                assertEquals(Precision.FP32, rnn.precision());
                rnn.setPrecision(Precision.INT8);
                float[] x = new float[2 * 3];
                IllegalStateException e = assertThrows(IllegalStateException.class,
                        () -> rnn.forward(Mode.TRAINING, Batch.of(2, 1), x, null, null));
                assertTrue(e.getMessage().contains("Precision.FP32"), e.getMessage());
                rnn.forward(x, Batch.of(2, 1));
                rnn.setPrecision(Precision.BF16);
                rnn.forward(x, Batch.of(2, 1));
                assertArrayEquals(before, rnn.parameters());
                rnn.setPrecision(Precision.FP32);
                rnn.forward(Mode.TRAINING, Batch.of(2, 1), x, null, null);
                assertThrows(NullPointerException.class, () -> rnn.setPrecision(null));
            }
        }
    }

    /** The reduced weights follow the fp32 parameters, whichever way they change. */
    @ParameterizedTest
    @EnumSource(value = Precision.class, names = {"BF16", "INT8"})
    void changedParametersAreRequantized(Precision p) {
        assumeCpu();
        RnnSpec spec = RnnSpec.builder(CellType.LSTM, 4, 6).build();
        Case c = new Case("requantize", spec, Batch.of(3, 2), true, false);
        Data d = new Data(c, 9);
        try (Rnn cpu = Rnn.create(spec, Backend.CPU); Rnn ref = Rnn.create(spec, Backend.JAVA)) {
            for (Rnn r : new Rnn[] {cpu, ref}) r.setPrecision(p);
            cpu.forward(Mode.INFERENCE, c.batch(), d.x, d.h0, d.c0); // quantized from seed 0
            for (Rnn r : new Rnn[] {cpu, ref}) r.initialize(7);
            assertSameOutputs(p, cpu.forward(Mode.INFERENCE, c.batch(), d.x, d.h0, d.c0),
                    ref.forward(Mode.INFERENCE, c.batch(), d.x, d.h0, d.c0));
            float[] w = cpu.parameter("weight_hh_l0");
            for (int i = 0; i < w.length; i++) w[i] *= -2;
            for (Rnn r : new Rnn[] {cpu, ref}) r.setParameter("weight_hh_l0", w);
            assertSameOutputs(p, cpu.forward(Mode.INFERENCE, c.batch(), d.x, d.h0, d.c0),
                    ref.forward(Mode.INFERENCE, c.batch(), d.x, d.h0, d.c0));
            // writes through a live view are seen too
            for (Rnn r : new Rnn[] {cpu, ref}) r.parameterBuffer().put(0, 3f);
            assertSameOutputs(p, cpu.forward(Mode.INFERENCE, c.batch(), d.x, d.h0, d.c0),
                    ref.forward(Mode.INFERENCE, c.batch(), d.x, d.h0, d.c0));
        }
    }

    /** Zero, tiny, huge and non-finite activations: scale 0, saturation-free clamping, NaN propagation. */
    @Test
    void int8HandlesZeroHugeAndNonFiniteActivations() {
        assumeCpu();
        RnnSpec spec = RnnSpec.builder(CellType.RNN_RELU, 5, 6).build();
        float[][] inputs = {new float[10], filled(10, 1e-39f), filled(10, 3e38f), mixed(10, -3e38f, 3e38f),
                mixed(10, 0f, 1e30f)};
        for (float[] x : inputs) {
            ForwardResult[] out = new ForwardResult[2];
            Backend[] backends = {Backend.CPU, Backend.JAVA};
            for (int i = 0; i < 2; i++) {
                try (Rnn rnn = Rnn.create(spec, backends[i])) {
                    rnn.initialize(3);
                    rnn.setPrecision(Precision.INT8);
                    out[i] = rnn.forward(x, Batch.of(2, 1));
                }
            }
            assertClose("y for x = " + x[0] + ", " + x[1], out[0].y(), out[1].y());
            for (float v : out[0].y()) assertTrue(Float.isFinite(v), "finite input, finite output");
        }
        float[] nan = new float[10];
        nan[3] = Float.NaN;
        try (Rnn rnn = Rnn.create(spec, Backend.CPU)) {
            rnn.setPrecision(Precision.INT8);
            float[] y = rnn.forward(nan, Batch.of(2, 1)).y();
            assertTrue(Float.isNaN(y[0]), "a NaN input propagates: " + y[0]);
        }
    }

    /**
     * How far each scheme lies from FP32 (not the pass criterion of the kernels, which is the
     * same-scheme reference above): bounds that a broken scheme would miss by far.
     */
    @Test
    void distanceFromFp32IsSmall() {
        Backend b = Backend.CPU.isAvailable() ? Backend.CPU : Backend.JAVA;
        RnnSpec spec = RnnSpec.builder(CellType.LSTM, 32, 64).layers(2).build();
        Case c = new Case("distance", spec, Batch.of(20, 2), true, false);
        Data d = new Data(c, 1);
        float[] fp32 = infer(b, Precision.FP32, c, d).y();
        double[] bound = {0, 0.01, 0.05};
        for (Precision p : REDUCED) {
            float[] y = infer(b, p, c, d).y();
            double max = 0;
            for (int i = 0; i < y.length; i++) max = Math.max(max, Math.abs(y[i] - fp32[i]));
            assertTrue(max > 0 && max < bound[p.ordinal()], p + ": max |y - y_fp32| = " + max);
        }
    }

    private static float[] filled(int n, float v) {
        float[] a = new float[n];
        Arrays.fill(a, v);
        return a;
    }

    private static float[] mixed(int n, float a, float b) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) x[i] = i % 2 == 0 ? a : b;
        return x;
    }
}
