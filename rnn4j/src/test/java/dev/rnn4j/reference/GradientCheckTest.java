package dev.rnn4j.reference;

import static org.junit.jupiter.api.Assertions.fail;

import dev.rnn4j.CellType;
import dev.rnn4j.ParameterLayout;
import dev.rnn4j.RnnSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Finite-difference checks of every gradient the reference computes: {@code dx}, {@code dh0},
 * {@code dc0} and every element of every parameter gradient, in double precision with central
 * differences, for the loss {@code Σ y⊙dy + Σ hN⊙dhN + Σ cN⊙dcN} with random non-zero initial
 * states and random upstream gradients.
 */
class GradientCheckTest {
    private static final double EPS = 1e-6;
    /** Central differences in double with eps 1e-6: truncation ~1e-12, rounding ~1e-10; 1e-6 is generous yet strict. */
    private static final double TOL = 1e-6;

    static List<Arguments> cases() {
        List<Arguments> list = new ArrayList<>();
        int T = 4, N = 3;
        int[] lengths = {2, 3, 2}; // unsorted, a tie, max(L) = 3 < T
        for (CellType cell : CellType.values()) {
            for (boolean bidi : new boolean[] {false, true}) {
                for (int layers = 1; layers <= 2; layers++) {
                    for (boolean varLen : new boolean[] {false, true}) {
                        RnnSpec spec = RnnSpec.builder(cell, 3, 4).layers(layers).bidirectional(bidi).build();
                        list.add(Arguments.of(spec, T, N, varLen ? lengths : null));
                    }
                }
            }
        }
        // LSTM with a projection (P=2 < H=4), the same matrix of directions, layers and lengths.
        for (boolean bidi : new boolean[] {false, true}) {
            for (int layers = 1; layers <= 2; layers++) {
                for (boolean varLen : new boolean[] {false, true}) {
                    RnnSpec spec = RnnSpec.builder(CellType.LSTM, 3, 4).projectionSize(2).layers(layers)
                            .bidirectional(bidi).build();
                    list.add(Arguments.of(spec, T, N, varLen ? lengths : null));
                }
            }
        }
        // The cell options (issue 16) over directions, layers and lengths: GRU reset before the
        // recurrent product, LSTM cell clip (small enough that many elements clamp), LSTM projection
        // clip, and dropout between layers with a fixed Philox mask.
        for (boolean bidi : new boolean[] {false, true}) {
            for (int layers = 1; layers <= 2; layers++) {
                for (boolean varLen : new boolean[] {false, true}) {
                    int[] len = varLen ? lengths : null;
                    list.add(Arguments.of(RnnSpec.builder(CellType.GRU, 3, 4).linearBeforeReset(false).layers(layers)
                            .bidirectional(bidi).build(), T, N, len));
                    list.add(Arguments.of(RnnSpec.builder(CellType.LSTM, 3, 4).cellClip(0.3f).layers(layers)
                            .bidirectional(bidi).build(), T, N, len));
                    list.add(Arguments.of(RnnSpec.builder(CellType.LSTM, 3, 4).projectionSize(2).cellClip(0.3f)
                            .projectionClip(0.1f).layers(layers).bidirectional(bidi).build(), T, N, len));
                }
            }
        }
        for (CellType cell : CellType.values()) {
            list.add(Arguments.of(RnnSpec.builder(cell, 3, 4).layers(3).bidirectional(true).dropout(0.4f).build(), T, N,
                    lengths));
        }
        // No bias, and batch-first, once per cell.
        for (CellType cell : CellType.values()) {
            list.add(Arguments.of(RnnSpec.builder(cell, 3, 4).bias(false).bidirectional(true).build(), 3, 2, new int[] {3, 1}));
            list.add(Arguments.of(RnnSpec.builder(cell, 3, 4).batchFirst(true).layers(2).build(), 3, 2, new int[] {2, 3}));
        }
        return list;
    }

    @ParameterizedTest(name = "{0} T={1} N={2} lengths={3}")
    @MethodSource("cases")
    void allGradientsMatchFiniteDifferences(RnnSpec spec, int T, int N, int[] lengths) {
        Fixtures.Problem pr = new Fixtures.Problem(spec, T, N, lengths, 1234 + spec.hashCode());
        ReferenceRnn rnn = new ReferenceRnn(spec);
        ReferenceRnn.Trace tr = rnn.forward(pr.params, pr.x, T, N, lengths, pr.h0, pr.c0, mask(spec));
        double[] grads = new double[spec.parameterCount()];
        ReferenceRnn.Gradients g = rnn.backward(pr.params, tr, pr.dy, pr.dhN, pr.dcN, grads);

        check("dx", g.dx(), pr.x, v -> loss(rnn, pr, pr.params, v, pr.h0, pr.c0), spec);
        check("dh0", g.dh0(), pr.h0, v -> loss(rnn, pr, pr.params, pr.x, v, pr.c0), spec);
        if (spec.cell().hasCellState()) {
            check("dc0", g.dc0(), pr.c0, v -> loss(rnn, pr, pr.params, pr.x, pr.h0, v), spec);
        }
        check("params", grads, pr.params, v -> loss(rnn, pr, v, pr.x, pr.h0, pr.c0), spec);
    }

    private static double loss(ReferenceRnn rnn, Fixtures.Problem pr, double[] params, double[] x, double[] h0, double[] c0) {
        return Fixtures.loss(rnn.forward(params, x, pr.T, pr.N, pr.lengths, h0, c0, mask(rnn.spec())), pr.dy, pr.dhN,
                pr.dcN);
    }

    /** A fixed dropout mask for specs with dropout (the loss is then differentiable: the mask is a constant). */
    private static ReferenceRnn.DropoutMask mask(RnnSpec spec) {
        return spec.dropout() > 0 ? ReferenceRnn.DropoutMask.philox(99, spec.dropout()) : null;
    }

    /** Perturbs every element of {@code v} in place (and restores it), comparing with {@code analytic}. */
    private static void check(String what, double[] analytic, double[] v, Function<double[], Double> f, RnnSpec spec) {
        for (int i = 0; i < v.length; i++) {
            double saved = v[i];
            v[i] = saved + EPS;
            double up = f.apply(v);
            v[i] = saved - EPS;
            double down = f.apply(v);
            v[i] = saved;
            double fd = (up - down) / (2 * EPS);
            if (!(Math.abs(fd - analytic[i]) <= TOL * Math.max(1.0, Math.abs(fd)))) {
                fail(spec + ": d loss / d " + name(what, i, spec) + ": finite difference " + fd + ", analytic "
                        + analytic[i]);
            }
        }
    }

    private static String name(String what, int i, RnnSpec spec) {
        if (!what.equals("params")) return what + "[" + i + "]";
        for (ParameterLayout.Entry e : spec.parameterLayout().entries()) {
            if (i >= e.offset() && i < e.offset() + e.size()) {
                int local = i - e.offset();
                return e.name() + "[" + local / e.cols() + ", " + local % e.cols() + "]";
            }
        }
        return "params[" + i + "]";
    }
}
