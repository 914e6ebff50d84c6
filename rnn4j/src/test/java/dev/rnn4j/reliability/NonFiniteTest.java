package dev.rnn4j.reliability;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.rnn4j.Backend;
import dev.rnn4j.Batch;
import dev.rnn4j.CellType;
import dev.rnn4j.Mode;
import dev.rnn4j.Rnn;
import dev.rnn4j.RnnSpec;
import dev.rnn4j.reliability.Workload.Case;
import dev.rnn4j.reliability.Workload.Result;
import java.nio.FloatBuffer;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The NaN/Inf policy on every backend.
 *
 * <ul>
 *   <li>Check off (the default): non-finite values propagate, as in PyTorch (an infinity may also
 *       saturate a tanh or sigmoid to a finite value); no exception. A NaN or infinity
 *       in one sequence of a batch does not leak into the outputs, final states or input
 *       gradients of the other sequences (only the parameter gradients, which sum over the batch,
 *       see it).
 *   <li>Check on ({@code setFiniteCheck(true)}): a NaN, +Inf or -Inf in x, h0, c0, the parameters,
 *       dy, dhN or dcN is rejected before computing with an IllegalArgumentException naming the
 *       tensor and the flat index ({@code "x[17] is NaN (finite check is on)"}); outputs and
 *       gradients are left untouched; finite inputs give bitwise the results of the check off.
 * </ul>
 */
class NonFiniteTest {

    static final RnnSpec LSTM = RnnSpec.builder(CellType.LSTM, 5, 6).layers(2).bidirectional(true).build();

    @ParameterizedTest
    @EnumSource(Backend.class)
    void withTheCheckOffNonFiniteValuesPropagateOnlyWithinTheirSequence(Backend backend) {
        assumeTrue(backend.isAvailable(), () -> backend + " skipped: " + backend.unavailableReason());
        for (CellType cell : CellType.values()) {
            RnnSpec spec = RnnSpec.builder(cell, 5, 6).layers(2).bidirectional(true).build();
            int t = 4, n = 3, poisoned = 1;
            Case c = new Case(spec, t, n, null, 11, true, true, false, 1);
            float[][] d = c.data();
            for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                float[] x = d[0].clone();
                x[(2 * n + poisoned) * spec.inputSize() + 3] = bad; // x[t=2, b=1, 3]
                float[] dy = d[3].clone();
                try (Rnn rnn = Rnn.create(spec, backend)) {
                    rnn.initialize(c.seed());
                    var f = rnn.forward(Mode.TRAINING, Batch.of(t, n), x, d[1], d[2]);
                    var g = rnn.backward(dy, d[4], d[5]);
                    boolean sawNonFinite = false;
                    for (int step = 0; step < t; step++) {
                        for (int b = 0; b < n; b++) {
                            for (int k = 0; k < spec.outputFeatures(); k++) {
                                float v = f.y()[(step * n + b) * spec.outputFeatures() + k];
                                if (b != poisoned) {
                                    int bb = b;
                                    assertTrue(Float.isFinite(v), () -> cell + " " + bad + " leaked into y of sequence " + bb);
                                } else if (!Float.isFinite(v)) {
                                    sawNonFinite = true;
                                }
                            }
                        }
                    }
                    // NaN always propagates; an infinity may instead saturate tanh or a sigmoid gate.
                    if (Float.isNaN(bad)) assertTrue(sawNonFinite, cell + ": NaN in x did not reach y (check is off)");
                    assertOtherSequencesFinite(f.hN(), spec.stateRows(), n, spec.outputSize(), poisoned, cell + " hN");
                    assertOtherSequencesFinite(f.cN(), spec.stateRows(), n, spec.hiddenSize(), poisoned, cell + " cN");
                    assertOtherSequencesFinite(g.dh0(), spec.stateRows(), n, spec.outputSize(), poisoned, cell + " dh0");
                    assertOtherSequencesFinite(g.dx(), t, n, spec.inputSize(), poisoned, cell + " dx");
                }
            }
            // Non-finite weights are not rejected either (they may saturate a gate or propagate).
            try (Rnn rnn = Rnn.create(spec, backend)) {
                float[] p = rnn.parameters();
                p[0] = Float.POSITIVE_INFINITY;
                rnn.setParameters(p);
                rnn.forward(d[0], Batch.of(t, n));
            }
        }
    }

    /** Rows {@code [outer, b, width]} for every b except {@code poisoned} are finite. */
    static void assertOtherSequencesFinite(float[] a, int outer, int n, int width, int poisoned, String what) {
        if (a == null) return;
        for (int o = 0; o < outer; o++) {
            for (int b = 0; b < n; b++) {
                if (b == poisoned) continue;
                for (int k = 0; k < width; k++) {
                    float v = a[(o * n + b) * width + k];
                    int ob = o, bb = b, kk = k;
                    assertTrue(Float.isFinite(v), () -> what + "[" + ob + ", " + bb + ", " + kk + "] = " + v
                            + ": a non-finite input of sequence " + poisoned + " leaked into sequence " + bb);
                }
            }
        }
    }

    @ParameterizedTest
    @EnumSource(Backend.class)
    void withTheCheckOnEveryTensorIsCheckedAndNamedWithItsIndex(Backend backend) {
        assumeTrue(backend.isAvailable(), () -> backend + " skipped: " + backend.unavailableReason());
        RnnSpec spec = LSTM;
        Case c = new Case(spec, 3, 2, new int[] {3, 1}, 5, true, true, false, 1);
        float[][] d = c.data();
        Result expected = Workload.run(backend, c);
        String[] names = {"x", "h0", "c0", "dy", "dhN", "dcN", "parameters"};
        float[] bads = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY};
        for (int which = 0; which < names.length; which++) {
            for (float bad : bads) {
                try (Rnn rnn = Rnn.create(spec, backend)) {
                    rnn.initialize(c.seed());
                    rnn.setFiniteCheck(true);
                    float[][] in = {d[0].clone(), d[1].clone(), d[2].clone(), d[3].clone(), d[4].clone(), d[5].clone(),
                        rnn.parameters()};
                    int at = in[which].length * 2 / 3;
                    in[which][at] = bad;
                    String name = names[which];
                    String mention = name + "[" + at + "] is " + bad;
                    float[] y = Workload.sentinel(c.y()), hN = Workload.sentinel(c.h()), cN = Workload.sentinel(c.c());
                    if (which == 6) rnn.setParameters(in[6]);
                    if (which <= 2 || which == 6) {
                        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                                () -> rnn.forward(Mode.TRAINING, c.batch(), FloatBuffer.wrap(in[0]), FloatBuffer.wrap(in[1]),
                                        FloatBuffer.wrap(in[2]), FloatBuffer.wrap(y), FloatBuffer.wrap(hN),
                                        FloatBuffer.wrap(cN)), backend + " " + mention);
                        assertTrue(e.getMessage().contains(mention), e.getMessage());
                        assertArrayEquals(Workload.sentinel(c.y()), y, "y written");
                        assertArrayEquals(Workload.sentinel(c.h()), hN, "hN written");
                        assertArrayEquals(Workload.sentinel(c.c()), cN, "cN written");
                    } else {
                        rnn.forward(Mode.TRAINING, c.batch(), d[0], d[1], d[2]);
                        float[] dx = Workload.sentinel(c.x()), dh0 = Workload.sentinel(c.h());
                        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                                () -> rnn.backward(FloatBuffer.wrap(in[3]), FloatBuffer.wrap(in[4]), FloatBuffer.wrap(in[5]),
                                        FloatBuffer.wrap(dx), FloatBuffer.wrap(dh0), null), backend + " " + mention);
                        assertTrue(e.getMessage().contains(mention), e.getMessage());
                        assertArrayEquals(Workload.sentinel(c.x()), dx, "dx written");
                        assertArrayEquals(Workload.sentinel(c.h()), dh0, "dh0 written");
                        assertArrayEquals(new float[spec.parameterCount()], rnn.gradients(), "gradients written");
                    }
                }
            }
        }
        // Finite inputs with the check on: bitwise the results with it off.
        try (Rnn rnn = Rnn.create(spec, backend)) {
            rnn.setFiniteCheck(true);
            assertNull(Workload.run(rnn, c).bitwiseDifference(expected), "check on, finite inputs");
            rnn.setFiniteCheck(false);
            assertFalse(Workload.run(rnn, c).bitwiseDifference(expected) != null, "check off again");
        }
    }
}
