package dev.rnn4j.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnn4j.CellType;
import dev.rnn4j.RnnSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Shapes at the edges: T=1, N=1, H=1, I≠H, odd sizes (I=7, H=13), 3 layers, and long sequences
 * (T=200) where gradients vanish or explode. Each is checked by finite differences on sampled
 * elements of every gradient (all elements where they are few), and T=200 also by the chunked run.
 */
class ShapeEdgeCaseTest {
    static List<Arguments> shapes() {
        List<Arguments> list = new ArrayList<>();
        for (CellType cell : CellType.values()) {
            list.add(Arguments.of("T=1", RnnSpec.builder(cell, 3, 4).bidirectional(true).build(), 1, 2, null));
            list.add(Arguments.of("N=1", RnnSpec.builder(cell, 3, 4).layers(2).build(), 3, 1, null));
            list.add(Arguments.of("H=1", RnnSpec.builder(cell, 2, 1).layers(2).bidirectional(true).build(), 3, 2, new int[] {3, 2}));
            list.add(Arguments.of("I>H", RnnSpec.builder(cell, 6, 2).build(), 3, 2, null));
            list.add(Arguments.of("odd I=7 H=13", RnnSpec.builder(cell, 7, 13).bidirectional(true).build(), 3, 3, new int[] {2, 3, 1}));
            list.add(Arguments.of("3 layers", RnnSpec.builder(cell, 3, 5).layers(3).bidirectional(true).build(), 3, 2, new int[] {2, 3}));
        }
        list.add(Arguments.of("odd I=7 H=13 P=5", RnnSpec.builder(CellType.LSTM, 7, 13).projectionSize(5).layers(2).build(), 3, 2, null));
        list.add(Arguments.of("H=2 P=1, 3 layers", RnnSpec.builder(CellType.LSTM, 3, 2).projectionSize(1).layers(3)
                .bidirectional(true).build(), 2, 2, new int[] {1, 2}));
        return list;
    }

    @ParameterizedTest(name = "{0}: {1} T={2} N={3} lengths={4}")
    @MethodSource("shapes")
    void gradientsMatchFiniteDifferences(String name, RnnSpec spec, int T, int N, int[] lengths) {
        finiteDifferenceCheck(spec, T, N, lengths, 150, 1e-6);
    }

    static List<RnnSpec> longSpecs() {
        List<RnnSpec> list = new ArrayList<>();
        for (CellType cell : CellType.values()) list.add(RnnSpec.builder(cell, 5, 6).build());
        list.add(RnnSpec.builder(CellType.LSTM, 5, 6).projectionSize(3).layers(2).bidirectional(true).build());
        return list;
    }

    @ParameterizedTest(name = "T=200 {0}")
    @MethodSource("longSpecs")
    void longSequencesStayFiniteAndCorrect(RnnSpec spec) {
        int T = 200, N = 2;
        int[] lengths = {200, 137};
        Fixtures.Problem pr = new Fixtures.Problem(spec, T, N, lengths, 42);
        ReferenceRnn rnn = new ReferenceRnn(spec);
        ReferenceRnn.Trace tr = rnn.forward(pr.params, pr.x, T, N, lengths, pr.h0, pr.c0);
        double[] grads = new double[spec.parameterCount()];
        ReferenceRnn.Gradients g = rnn.backward(pr.params, tr, pr.dy, pr.dhN, pr.dcN, grads);
        assertFinite("y", tr.y());
        assertFinite("hN", tr.hN());
        assertFinite("dx", g.dx());
        assertFinite("dh0", g.dh0());
        assertFinite("grads", grads);
        // Padded steps of the shorter sequence are exactly zero.
        int F = spec.outputFeatures();
        for (int t = 137; t < T; t++) {
            for (int j = 0; j < F; j++) assertEquals(0.0, tr.y()[(t * N + 1) * F + j], "padded y");
        }
        // A few sampled parameters and inputs by finite differences over the full 200 steps.
        finiteDifferenceCheck(spec, T, N, lengths, 6, 1e-5);
        if (!spec.bidirectional()) InvariantsTest.chunked(spec, T, N, 120, 17);
    }

    /**
     * Checks dx, dh0, dc0 and the parameter gradients against central differences at up to
     * {@code samples} indices of each (all of them when there are fewer).
     */
    static void finiteDifferenceCheck(RnnSpec spec, int T, int N, int[] lengths, int samples, double tol) {
        Fixtures.Problem pr = new Fixtures.Problem(spec, T, N, lengths, 99 + T);
        ReferenceRnn rnn = new ReferenceRnn(spec);
        ReferenceRnn.Trace tr = rnn.forward(pr.params, pr.x, T, N, lengths, pr.h0, pr.c0);
        double[] grads = new double[spec.parameterCount()];
        ReferenceRnn.Gradients g = rnn.backward(pr.params, tr, pr.dy, pr.dhN, pr.dcN, grads);
        Random r = new Random(T * 31L + N);
        double eps = 1e-6;
        Fixtures.checkFiniteDifferences("params", grads, pr.params, sample(r, pr.params.length, samples),
                v -> Fixtures.loss(rnn.forward(v, pr.x, T, N, lengths, pr.h0, pr.c0), pr.dy, pr.dhN, pr.dcN), eps, tol);
        Fixtures.checkFiniteDifferences("x", g.dx(), pr.x, sample(r, pr.x.length, samples),
                v -> Fixtures.loss(rnn.forward(pr.params, v, T, N, lengths, pr.h0, pr.c0), pr.dy, pr.dhN, pr.dcN), eps, tol);
        Fixtures.checkFiniteDifferences("h0", g.dh0(), pr.h0, sample(r, pr.h0.length, samples),
                v -> Fixtures.loss(rnn.forward(pr.params, pr.x, T, N, lengths, v, pr.c0), pr.dy, pr.dhN, pr.dcN), eps, tol);
        if (pr.c0 != null) {
            Fixtures.checkFiniteDifferences("c0", g.dc0(), pr.c0, sample(r, pr.c0.length, samples),
                    v -> Fixtures.loss(rnn.forward(pr.params, pr.x, T, N, lengths, pr.h0, v), pr.dy, pr.dhN, pr.dcN), eps, tol);
        }
    }

    /** Up to {@code k} distinct indices in {@code 0..n-1}; all of them when {@code n <= k}. */
    private static int[] sample(Random r, int n, int k) {
        if (n <= k) return null;
        int[] all = new int[n];
        for (int i = 0; i < n; i++) all[i] = i;
        for (int i = 0; i < k; i++) {
            int j = i + r.nextInt(n - i);
            int t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        return java.util.Arrays.copyOf(all, k);
    }

    private static void assertFinite(String what, double[] a) {
        for (int i = 0; i < a.length; i++) assertTrue(Double.isFinite(a[i]), what + "[" + i + "] = " + a[i]);
    }
}
