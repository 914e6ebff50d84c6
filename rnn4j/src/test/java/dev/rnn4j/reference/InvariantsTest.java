package dev.rnn4j.reference;

import static dev.rnn4j.reference.Fixtures.assertClose;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rnn4j.CellType;
import dev.rnn4j.ParameterLayout;
import dev.rnn4j.RnnSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Properties that follow from the contract (docs/DESIGN.md §1) rather than from particular numbers:
 * variable lengths behave like separate runs, padding is exactly zero, the reverse direction
 * starts at each sequence's own end, gradients accumulate, layouts agree, absent upstream
 * gradients are zeros, and a sequence can be run (and backpropagated) in chunks.
 */
class InvariantsTest {
    private static final double TOL = 1e-12;

    /** Every cell (and LSTM with projection), bidirectional with 2 layers: the case where mixing things up is easiest. */
    static List<RnnSpec> specs() {
        List<RnnSpec> list = new ArrayList<>();
        for (CellType cell : CellType.values()) list.add(RnnSpec.builder(cell, 3, 4).layers(2).bidirectional(true).build());
        list.add(RnnSpec.builder(CellType.LSTM, 3, 4).projectionSize(3).layers(2).bidirectional(true).build());
        return list;
    }

    /** Unidirectional specs (chunking only makes sense forward in time). */
    static List<RnnSpec> unidirectionalSpecs() {
        List<RnnSpec> list = new ArrayList<>();
        for (CellType cell : CellType.values()) list.add(RnnSpec.builder(cell, 3, 4).layers(2).build());
        list.add(RnnSpec.builder(CellType.LSTM, 3, 4).projectionSize(2).layers(2).build());
        return list;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void variableLengthBatchEqualsEachSequenceAlone(RnnSpec spec) {
        int T = 5, N = 4;
        int[] lengths = {2, 4, 1, 2}; // unsorted, a tie, a length-1 sequence, max(L) = 4 < T
        Fixtures.Problem pr = new Fixtures.Problem(spec, T, N, lengths, 7);
        ReferenceRnn rnn = new ReferenceRnn(spec);
        ReferenceRnn.Trace tr = rnn.forward(pr.params, pr.x, T, N, lengths, pr.h0, pr.c0);
        double[] grads = new double[spec.parameterCount()];
        ReferenceRnn.Gradients g = rnn.backward(pr.params, tr, pr.dy, pr.dhN, pr.dcN, grads);

        int I = spec.inputSize(), F = spec.outputFeatures(), Ho = spec.outputSize(), H = spec.hiddenSize();
        int S = spec.stateRows();
        boolean lstm = spec.cell().hasCellState();
        double[] gradSum = new double[spec.parameterCount()];
        for (int b = 0; b < N; b++) {
            int Lb = lengths[b];
            double[] xb = new double[Lb * I], dyb = new double[Lb * F];
            for (int t = 0; t < Lb; t++) {
                System.arraycopy(pr.x, (t * N + b) * I, xb, t * I, I);
                System.arraycopy(pr.dy, (t * N + b) * F, dyb, t * F, F);
            }
            ReferenceRnn.Trace alone = rnn.forward(pr.params, xb, Lb, 1, null, rows(pr.h0, S, N, b, Ho),
                    lstm ? rows(pr.c0, S, N, b, H) : null);
            ReferenceRnn.Gradients ga = rnn.backward(pr.params, alone, dyb, rows(pr.dhN, S, N, b, Ho),
                    lstm ? rows(pr.dcN, S, N, b, H) : null, gradSum);
            for (int t = 0; t < T; t++) {
                double[] y = Fixtures.slice(tr.y(), t, b, N, F), dx = Fixtures.slice(g.dx(), t, b, N, I);
                if (t < Lb) {
                    assertClose("y[" + t + ", " + b + "]", Fixtures.slice(alone.y(), t, 0, 1, F), y, TOL);
                    assertClose("dx[" + t + ", " + b + "]", Fixtures.slice(ga.dx(), t, 0, 1, I), dx, TOL);
                } else {
                    // Padding is exactly zero, not merely small.
                    assertArrayEquals(new double[F], y, 0.0, "padded y[" + t + ", " + b + "]");
                    assertArrayEquals(new double[I], dx, 0.0, "padded dx[" + t + ", " + b + "]");
                }
            }
            assertClose("hN of sequence " + b, alone.hN(), rows(tr.hN(), S, N, b, Ho), TOL);
            assertClose("dh0 of sequence " + b, ga.dh0(), rows(g.dh0(), S, N, b, Ho), TOL);
            if (lstm) {
                assertClose("cN of sequence " + b, alone.cN(), rows(tr.cN(), S, N, b, H), TOL);
                assertClose("dc0 of sequence " + b, ga.dc0(), rows(g.dc0(), S, N, b, H), TOL);
            }
        }
        // Parameter gradients are sums over the batch.
        assertClose("parameter gradients", gradSum, grads, TOL);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void reverseDirectionStartsAtEachSequencesOwnLastStep(RnnSpec bidi) {
        // One bidirectional layer; its reverse half must equal a forward-only RNN, given the reverse
        // weights, run on each sequence's own steps L_b-1, ..., 0 (not T-1, ..., 0).
        RnnSpec spec = bidi.toBuilder().layers(1).build();
        RnnSpec uni = spec.toBuilder().bidirectional(false).build();
        int T = 4, N = 3, Ho = spec.outputSize(), H = spec.hiddenSize(), I = spec.inputSize(), F = spec.outputFeatures();
        int[] lengths = {3, 1, 4};
        Fixtures.Problem pr = new Fixtures.Problem(spec, T, N, lengths, 11);
        ReferenceRnn.Trace tr = new ReferenceRnn(spec).forward(pr.params, pr.x, T, N, lengths, pr.h0, pr.c0);
        double[] reverseParams = new double[uni.parameterCount()];
        for (ParameterLayout.Entry e : uni.parameterLayout().entries()) {
            ParameterLayout.Entry r = spec.parameterLayout().find(e.kind(), 0, 1);
            System.arraycopy(pr.params, r.offset(), reverseParams, e.offset(), e.size());
        }
        boolean lstm = spec.cell().hasCellState();
        for (int b = 0; b < N; b++) {
            int Lb = lengths[b];
            double[] xr = new double[Lb * I];
            for (int s = 0; s < Lb; s++) System.arraycopy(pr.x, ((Lb - 1 - s) * N + b) * I, xr, s * I, I);
            double[] h0 = Arrays.copyOfRange(pr.h0, (N + b) * Ho, (N + b + 1) * Ho); // state row 1 = reverse
            double[] c0 = lstm ? Arrays.copyOfRange(pr.c0, (N + b) * H, (N + b + 1) * H) : null;
            ReferenceRnn.Trace alone = new ReferenceRnn(uni).forward(reverseParams, xr, Lb, 1, null, h0, c0);
            for (int s = 0; s < Lb; s++) {
                double[] rev = Arrays.copyOfRange(Fixtures.slice(tr.y(), Lb - 1 - s, b, N, F), Ho, 2 * Ho);
                assertClose("reverse y[" + (Lb - 1 - s) + ", " + b + "]", Fixtures.slice(alone.y(), s, 0, 1, Ho), rev, TOL);
            }
            assertClose("reverse hN of " + b, alone.hN(), Arrays.copyOfRange(tr.hN(), (N + b) * Ho, (N + b + 1) * Ho), TOL);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void twoBackwardCallsAccumulateTwiceTheGradients(RnnSpec spec) {
        Fixtures.Problem pr = new Fixtures.Problem(spec, 3, 2, new int[] {3, 2}, 5);
        ReferenceRnn rnn = new ReferenceRnn(spec);
        ReferenceRnn.Trace tr = rnn.forward(pr.params, pr.x, 3, 2, pr.lengths, pr.h0, pr.c0);
        double[] once = new double[spec.parameterCount()], twice = new double[spec.parameterCount()];
        ReferenceRnn.Gradients g1 = rnn.backward(pr.params, tr, pr.dy, pr.dhN, pr.dcN, once);
        rnn.backward(pr.params, tr, pr.dy, pr.dhN, pr.dcN, twice);
        ReferenceRnn.Gradients g2 = rnn.backward(pr.params, tr, pr.dy, pr.dhN, pr.dcN, twice);
        double[] doubled = once.clone();
        for (int i = 0; i < doubled.length; i++) doubled[i] *= 2;
        assertClose("grads after two calls", doubled, twice, TOL);
        // dx, dh0, dc0 are overwritten, not accumulated: the second call returns the same values.
        assertArrayEquals(g1.dx(), g2.dx(), 0.0);
        assertArrayEquals(g1.dh0(), g2.dh0(), 0.0);
        assertArrayEquals(g1.dc0(), g2.dc0(), 0.0);
        // grads == null skips the parameter gradients and changes nothing else.
        ReferenceRnn.Gradients g3 = rnn.backward(pr.params, tr, pr.dy, pr.dhN, pr.dcN, null);
        assertArrayEquals(g1.dx(), g3.dx(), 0.0);
        assertArrayEquals(g1.dh0(), g3.dh0(), 0.0);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void batchFirstEqualsSequenceMajorTransposed(RnnSpec spec) {
        int T = 4, N = 3;
        int[] lengths = {4, 2, 3};
        RnnSpec bf = spec.toBuilder().batchFirst(true).build();
        Fixtures.Problem pr = new Fixtures.Problem(spec, T, N, lengths, 3);
        ReferenceRnn rnn = new ReferenceRnn(spec), rnnBf = new ReferenceRnn(bf);
        ReferenceRnn.Trace tr = rnn.forward(pr.params, pr.x, T, N, lengths, pr.h0, pr.c0);
        ReferenceRnn.Trace trBf = rnnBf.forward(pr.params, transpose(pr.x, T, N, spec.inputSize()), T, N, lengths, pr.h0, pr.c0);
        double[] g = new double[spec.parameterCount()], gBf = new double[spec.parameterCount()];
        ReferenceRnn.Gradients d = rnn.backward(pr.params, tr, pr.dy, pr.dhN, pr.dcN, g);
        ReferenceRnn.Gradients dBf = rnnBf.backward(pr.params, trBf,
                transpose(pr.dy, T, N, spec.outputFeatures()), pr.dhN, pr.dcN, gBf);
        assertArrayEquals(transpose(tr.y(), T, N, spec.outputFeatures()), trBf.y(), 0.0);
        assertArrayEquals(tr.hN(), trBf.hN(), 0.0);
        assertArrayEquals(tr.cN(), trBf.cN(), 0.0);
        assertArrayEquals(transpose(d.dx(), T, N, spec.inputSize()), dBf.dx(), 0.0);
        assertArrayEquals(d.dh0(), dBf.dh0(), 0.0);
        assertArrayEquals(g, gBf, 0.0);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void absentUpstreamGradientsEqualZeros(RnnSpec spec) {
        Fixtures.Problem pr = new Fixtures.Problem(spec, 3, 2, null, 9);
        ReferenceRnn rnn = new ReferenceRnn(spec);
        ReferenceRnn.Trace tr = rnn.forward(pr.params, pr.x, 3, 2, null, pr.h0, pr.c0);
        boolean lstm = spec.cell().hasCellState();
        double[][] dys = {null, pr.dy}, dhNs = {null, pr.dhN}, dcNs = {null, lstm ? pr.dcN : null};
        for (double[] dy : dys) {
            for (double[] dhN : dhNs) {
                for (double[] dcN : dcNs) {
                    double[] gNull = new double[spec.parameterCount()], gZero = new double[spec.parameterCount()];
                    ReferenceRnn.Gradients a = rnn.backward(pr.params, tr, dy, dhN, dcN, gNull);
                    ReferenceRnn.Gradients b = rnn.backward(pr.params, tr,
                            dy == null ? new double[pr.dy.length] : dy, dhN == null ? new double[pr.dhN.length] : dhN,
                            lstm && dcN == null ? new double[pr.dcN.length] : dcN, gZero);
                    assertArrayEquals(b.dx(), a.dx(), 0.0);
                    assertArrayEquals(b.dh0(), a.dh0(), 0.0);
                    assertArrayEquals(b.dc0(), a.dc0(), 0.0);
                    assertArrayEquals(gZero, gNull, 0.0);
                }
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unidirectionalSpecs")
    void chunkedRunEqualsOneRun(RnnSpec spec) {
        chunked(spec, 5, 2, 2, 3);
    }

    /**
     * Forward over steps {@code 0..k-1}, then {@code k..T-1} from the first chunk's final state,
     * equals one run; and backward through the chunks (truncated BPTT done exactly: the second
     * chunk's dh0/dc0 becomes the first chunk's dhN/dcN, parameter gradients accumulated) equals one
     * backward.
     */
    static void chunked(RnnSpec spec, int T, int N, int k, long seed) {
        int I = spec.inputSize(), F = spec.outputFeatures();
        Fixtures.Problem pr = new Fixtures.Problem(spec, T, N, null, seed);
        ReferenceRnn rnn = new ReferenceRnn(spec);
        ReferenceRnn.Trace whole = rnn.forward(pr.params, pr.x, T, N, null, pr.h0, pr.c0);
        double[] gWhole = new double[spec.parameterCount()];
        ReferenceRnn.Gradients dWhole = rnn.backward(pr.params, whole, pr.dy, pr.dhN, pr.dcN, gWhole);

        ReferenceRnn.Trace first = rnn.forward(pr.params, Arrays.copyOfRange(pr.x, 0, k * N * I), k, N, null, pr.h0, pr.c0);
        ReferenceRnn.Trace second = rnn.forward(pr.params, Arrays.copyOfRange(pr.x, k * N * I, T * N * I), T - k, N, null,
                first.hN(), first.cN());
        assertClose("y of the first chunk", Arrays.copyOfRange(whole.y(), 0, k * N * F), first.y(), TOL);
        assertClose("y of the second chunk", Arrays.copyOfRange(whole.y(), k * N * F, T * N * F), second.y(), TOL);
        assertClose("hN", whole.hN(), second.hN(), TOL);
        assertClose("cN", whole.cN(), second.cN(), TOL);
        for (double v : whole.y()) assertEquals(true, Double.isFinite(v), "y is finite");

        double[] gChunks = new double[spec.parameterCount()];
        ReferenceRnn.Gradients d2 = rnn.backward(pr.params, second, Arrays.copyOfRange(pr.dy, k * N * F, T * N * F),
                pr.dhN, pr.dcN, gChunks);
        ReferenceRnn.Gradients d1 = rnn.backward(pr.params, first, Arrays.copyOfRange(pr.dy, 0, k * N * F),
                d2.dh0(), d2.dc0(), gChunks);
        assertClose("dx of the first chunk", Arrays.copyOfRange(dWhole.dx(), 0, k * N * I), d1.dx(), 1e-10);
        assertClose("dx of the second chunk", Arrays.copyOfRange(dWhole.dx(), k * N * I, T * N * I), d2.dx(), 1e-10);
        assertClose("dh0", dWhole.dh0(), d1.dh0(), 1e-10);
        assertClose("dc0", dWhole.dc0(), d1.dc0(), 1e-10);
        assertClose("parameter gradients", gWhole, gChunks, 1e-10);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("specs")
    void argumentsAreNotModified(RnnSpec spec) {
        Fixtures.Problem pr = new Fixtures.Problem(spec, 3, 2, new int[] {1, 3}, 13);
        Fixtures.Problem copy = new Fixtures.Problem(spec, 3, 2, new int[] {1, 3}, 13);
        int[] lengths = {1, 3};
        ReferenceRnn rnn = new ReferenceRnn(spec);
        ReferenceRnn.Trace tr = rnn.forward(pr.params, pr.x, 3, 2, lengths, pr.h0, pr.c0);
        rnn.backward(pr.params, tr, pr.dy, pr.dhN, pr.dcN, new double[spec.parameterCount()]);
        assertArrayEquals(copy.params, pr.params, 0.0);
        assertArrayEquals(copy.x, pr.x, 0.0);
        assertArrayEquals(copy.h0, pr.h0, 0.0);
        assertArrayEquals(copy.c0, pr.c0, 0.0);
        assertArrayEquals(copy.dy, pr.dy, 0.0);
        assertArrayEquals(copy.dhN, pr.dhN, 0.0);
        assertArrayEquals(copy.dcN, pr.dcN, 0.0);
        assertArrayEquals(new int[] {1, 3}, lengths);
        assertArrayEquals(new int[] {1, 3}, tr.lengths());
        assertEquals(3, tr.steps());
        assertEquals(2, tr.batch());
    }

    /** Rows {@code b} of every state row of a {@code [S, N, width]} state tensor, as {@code [S, 1, width]}. */
    static double[] rows(double[] state, int S, int N, int b, int width) {
        if (state == null) return null;
        double[] out = new double[S * width];
        for (int s = 0; s < S; s++) System.arraycopy(state, (s * N + b) * width, out, s * width, width);
        return out;
    }

    /** {@code [A, B, F] -> [B, A, F]}. */
    static double[] transpose(double[] a, int A, int B, int F) {
        double[] out = new double[a.length];
        for (int i = 0; i < A; i++) {
            for (int j = 0; j < B; j++) System.arraycopy(a, (i * B + j) * F, out, (j * A + i) * F, F);
        }
        return out;
    }
}
