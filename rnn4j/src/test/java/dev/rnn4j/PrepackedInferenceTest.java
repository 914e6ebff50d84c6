package dev.rnn4j;

import static dev.rnn4j.TensorAssert.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.FloatBuffer;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * CPU inference in FP32 prepacks the recurrent weights once the same weights serve a second
 * forward (CpuKernel, rnn4j_quantize with RNN4J_FP32). Every forward must still compute with the
 * parameters as they are at that call, however they were changed: a stale prepacked block would
 * answer with the old weights.
 */
class PrepackedInferenceTest {
    private static final RnnSpec SPEC = RnnSpec.builder(CellType.LSTM, 9, 37).bidirectional(true).layers(2).build();

    static float[] random(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextGaussian() * 0.3);
        return v;
    }

    /** The Java reference's inference output for {@code params}. */
    static float[] reference(float[] params, Batch batch, float[] x) {
        try (Rnn ref = Rnn.create(SPEC, Backend.JAVA)) {
            ref.setParameters(params);
            return ref.forward(Mode.INFERENCE, batch, x, null, null).y();
        }
    }

    @ParameterizedTest(name = "N = {0}")
    @ValueSource(ints = {1, 3, 20}) // the small-batch step (its panels from 16 steps) and the large-batch product
    void everyForwardUsesTheParametersOfItsCall(int n) {
        assumeTrue(Backend.CPU.isAvailable(), () -> "CPU skipped: " + Backend.CPU.unavailableReason());
        Batch batch = Batch.of(17, n);
        float[] x = random(17 * n * SPEC.inputSize(), 1);
        float[] a = random(SPEC.parameterCount(), 2);
        float[] b = random(SPEC.parameterCount(), 3);
        float[] refA = reference(a, batch, x);
        float[] refB = reference(b, batch, x);
        try (Rnn rnn = Rnn.create(SPEC, Backend.CPU)) {
            rnn.setParameters(a);
            float[] first = rnn.forward(Mode.INFERENCE, batch, x, null, null).y(); // packs inside the call
            assertClose("first forward", first, refA);
            float[] second = rnn.forward(Mode.INFERENCE, batch, x, null, null).y(); // prepacks
            assertArrayEquals(first, second, "prepacking never changes a result");
            assertArrayEquals(second, rnn.forward(Mode.INFERENCE, batch, x, null, null).y(), "third forward");

            rnn.setParameters(b);
            assertClose("after setParameters", rnn.forward(Mode.INFERENCE, batch, x, null, null).y(), refB);
            assertClose("after setParameters, prepacked", rnn.forward(Mode.INFERENCE, batch, x, null, null).y(), refB);

            float[] w = rnn.parameter("weight_hh_l1_reverse");
            rnn.setParameter("weight_hh_l1_reverse", random(w.length, 4));
            float[] c = rnn.parameters();
            assertClose("after setParameter", rnn.forward(Mode.INFERENCE, batch, x, null, null).y(),
                    reference(c, batch, x));

            // A live view written between forwards, without parametersChanged(): still seen.
            rnn.setParameters(a);
            rnn.forward(Mode.INFERENCE, batch, x, null, null);
            rnn.forward(Mode.INFERENCE, batch, x, null, null);
            FloatBuffer view = rnn.parameterBuffer();
            view.put(0, b);
            assertClose("after writing through parameterBuffer", rnn.forward(Mode.INFERENCE, batch, x, null, null).y(),
                    refB);
            view.put(0, a);
            assertClose("after writing through the view again", rnn.forward(Mode.INFERENCE, batch, x, null, null).y(),
                    refA);

            // Training forwards in between neither use nor spoil the prepacked weights.
            rnn.forward(Mode.TRAINING, batch, x, null, null);
            assertClose("after a training forward", rnn.forward(Mode.INFERENCE, batch, x, null, null).y(), refA);
        }
    }

    /**
     * From zero states the prepacked forward skips the first step's h0 W_hh^T, exactly +0, but only
     * while W_hh is finite: an infinity there makes it NaN (0 * inf), in the prepacked forward as in
     * the first one and the reference, and its removal makes every forward finite again.
     */
    @ParameterizedTest(name = "N = {0}")
    @ValueSource(ints = {1, 20})
    void aZeroStartKeepsTheProductOfNonFiniteRecurrentWeights(int n) {
        assumeTrue(Backend.CPU.isAvailable(), () -> "CPU skipped: " + Backend.CPU.unavailableReason());
        Batch batch = Batch.of(3, n);
        float[] x = random(3 * n * SPEC.inputSize(), 5);
        try (Rnn rnn = Rnn.create(SPEC, Backend.CPU)) {
            rnn.setParameters(random(SPEC.parameterCount(), 6));
            float[] w = rnn.parameter("weight_hh_l0");
            for (float bad : new float[] {Float.POSITIVE_INFINITY, Float.NaN, 0.25f}) {
                w[w.length / 2] = bad;
                rnn.setParameter("weight_hh_l0", w);
                float[] ref = reference(rnn.parameters(), batch, x);
                float[] first = rnn.forward(Mode.INFERENCE, batch, x, null, null).y();
                float[] second = rnn.forward(Mode.INFERENCE, batch, x, null, null).y(); // prepacked
                assertArrayEquals(first, second, "weight_hh_l0 holding " + bad + ": prepacked differs");
                boolean nan = false;
                for (float v : second) nan |= Float.isNaN(v);
                assertTrue(nan == !Float.isFinite(bad), "weight_hh_l0 holding " + bad + ": NaN in y is " + nan);
                if (Float.isFinite(bad)) assertClose("weight_hh_l0 finite again", second, ref);
            }
        }
    }
}
