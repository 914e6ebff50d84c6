package dev.rnn4j.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.rnn4j.RnnSpec;
import java.util.Random;

/** Shared helpers for the reference tests: random problems, the scalar loss, comparisons. */
final class Fixtures {
    private Fixtures() {}

    /** A full random problem for one spec: parameters, input, states and upstream gradients. */
    static final class Problem {
        final RnnSpec spec;
        final int T, N;
        final int[] lengths;
        final double[] params, x, h0, c0, dy, dhN, dcN;

        Problem(RnnSpec spec, int T, int N, int[] lengths, long seed) {
            this.spec = spec;
            this.T = T;
            this.N = N;
            this.lengths = lengths;
            Random r = new Random(seed);
            int sd = spec.stateRows();
            boolean lstm = spec.cell().hasCellState();
            // Parameters in PyTorch's default range (-1/sqrt(H), 1/sqrt(H)), a bit wider so gates are not all ~0.5.
            params = uniform(r, spec.parameterCount(), 1.5 / Math.sqrt(spec.hiddenSize()));
            x = uniform(r, T * N * spec.inputSize(), 1.0);
            h0 = uniform(r, sd * N * spec.outputSize(), 0.8);
            c0 = lstm ? uniform(r, sd * N * spec.hiddenSize(), 0.8) : null;
            dy = uniform(r, T * N * spec.outputFeatures(), 1.0);
            dhN = uniform(r, sd * N * spec.outputSize(), 1.0);
            dcN = lstm ? uniform(r, sd * N * spec.hiddenSize(), 1.0) : null;
        }
    }

    static double[] uniform(Random r, int n, double scale) {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) a[i] = (2 * r.nextDouble() - 1) * scale;
        return a;
    }

    /** {@code Σ y⊙dy + Σ hN⊙dhN + Σ cN⊙dcN}, nulls counting as zeros. */
    static double loss(ReferenceRnn.Trace tr, double[] dy, double[] dhN, double[] dcN) {
        return dot(tr.y(), dy) + dot(tr.hN(), dhN) + dot(tr.cN(), dcN);
    }

    static double dot(double[] a, double[] b) {
        if (a == null || b == null) return 0.0;
        double s = 0;
        for (int i = 0; i < a.length; i++) s += a[i] * b[i];
        return s;
    }

    /** Asserts equal element by element within {@code tol}, naming the tensor and the first bad index. */
    static void assertClose(String what, double[] expected, double[] actual, double tol) {
        if (expected == null || actual == null) {
            assertEquals(expected, actual, what + ": one is null");
            return;
        }
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            if (!(Math.abs(expected[i] - actual[i]) <= tol * Math.max(1.0, Math.abs(expected[i])))) {
                fail(what + "[" + i + "]: expected " + expected[i] + " got " + actual[i]
                        + " (diff " + Math.abs(expected[i] - actual[i]) + ", tol " + tol + ")");
            }
        }
    }

    /**
     * Central-difference check of {@code analytic = d f / d v} at the indices {@code which} (all when
     * null), perturbing {@code v} in place and restoring it. Fails naming {@code what} and the index.
     */
    static void checkFiniteDifferences(String what, double[] analytic, double[] v, int[] which,
            java.util.function.ToDoubleFunction<double[]> f, double eps, double tol) {
        int count = which == null ? v.length : which.length;
        for (int n = 0; n < count; n++) {
            int i = which == null ? n : which[n];
            double saved = v[i];
            v[i] = saved + eps;
            double up = f.applyAsDouble(v);
            v[i] = saved - eps;
            double down = f.applyAsDouble(v);
            v[i] = saved;
            double fd = (up - down) / (2 * eps);
            if (!(Math.abs(fd - analytic[i]) <= tol * Math.max(1.0, Math.abs(fd)))) {
                fail("d loss / d " + what + "[" + i + "]: finite difference " + fd + ", analytic " + analytic[i]);
            }
        }
    }

    /** The {@code features}-long slice at {@code [t, b]} of a {@code [T, N, F]} tensor. */
    static double[] slice(double[] a, int t, int b, int N, int features) {
        double[] s = new double[features];
        System.arraycopy(a, (t * N + b) * features, s, 0, features);
        return s;
    }
}
