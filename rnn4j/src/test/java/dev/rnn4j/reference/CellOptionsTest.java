package dev.rnn4j.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnn4j.CellType;
import dev.rnn4j.ParameterLayout;
import dev.rnn4j.Philox;
import dev.rnn4j.RnnSpec;
import dev.rnn4j.io.SafeTensors;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The reference's cell options (issue 16) against independent statements of them: the GRU
 * reset-before variant against the ONNX operator's equations written out here, the clips' bounds,
 * the statistics of rnn4j's dropout masks, and dropout with PyTorch's own masks given explicitly
 * against PyTorch's outputs and gradients (scripts/make-cell-fixtures.py). Gradients are checked
 * by finite differences in {@link GradientCheckTest}.
 */
class CellOptionsTest {

    private static double sig(double v) {
        return 1 / (1 + Math.exp(-v));
    }

    /**
     * ONNX GRU, {@code linear_before_reset = 0}, forward direction, with the weights in ONNX's
     * z, r, h block order: {@code z = σ(X Wz^T + H Rz^T + Wbz + Rbz)}, {@code r = σ(...)},
     * {@code h~ = tanh(X Wh^T + (r ⊙ H) Rh^T + Rbh + Wbh)}, {@code H' = (1 - z) ⊙ h~ + z ⊙ H}.
     */
    private static double[] onnxGru(double[] w, double[] r, double[] wb, double[] rb, double[] x, double[] h0, int T,
            int N, int I, int H) {
        double[] y = new double[T * N * H];
        for (int b = 0; b < N; b++) {
            double[] h = new double[H];
            System.arraycopy(h0, b * H, h, 0, H);
            for (int t = 0; t < T; t++) {
                double[] z = new double[H], rr = new double[H], hNew = new double[H];
                for (int j = 0; j < H; j++) {
                    double az = wb[j] + rb[j], ar = wb[H + j] + rb[H + j];
                    for (int i = 0; i < I; i++) {
                        az += x[(t * N + b) * I + i] * w[j * I + i];
                        ar += x[(t * N + b) * I + i] * w[(H + j) * I + i];
                    }
                    for (int i = 0; i < H; i++) {
                        az += h[i] * r[j * H + i];
                        ar += h[i] * r[(H + j) * H + i];
                    }
                    z[j] = sig(az);
                    rr[j] = sig(ar);
                }
                for (int j = 0; j < H; j++) {
                    double a = wb[2 * H + j] + rb[2 * H + j];
                    for (int i = 0; i < I; i++) a += x[(t * N + b) * I + i] * w[(2 * H + j) * I + i];
                    for (int i = 0; i < H; i++) a += rr[i] * h[i] * r[(2 * H + j) * H + i];
                    hNew[j] = (1 - z[j]) * Math.tanh(a) + z[j] * h[j];
                }
                h = hNew;
                System.arraycopy(h, 0, y, (t * N + b) * H, H);
            }
        }
        return y;
    }

    @Test
    void gruResetBeforeIsTheOnnxOperatorWithLinearBeforeResetZero() {
        int T = 6, N = 3, I = 5, H = 7;
        RnnSpec spec = RnnSpec.builder(CellType.GRU, I, H).linearBeforeReset(false).build();
        Fixtures.Problem pr = new Fixtures.Problem(spec, T, N, null, 16);
        ParameterLayout pl = spec.parameterLayout();
        // PyTorch's r, z, n blocks to ONNX's z, r, h.
        int[] onnxFromTorch = {1, 0, 2};
        double[] w = new double[3 * H * I], r = new double[3 * H * H], wb = new double[3 * H], rb = new double[3 * H];
        for (int blk = 0; blk < 3; blk++) {
            int o = onnxFromTorch[blk];
            System.arraycopy(pr.params, pl.entry("weight_ih_l0").offset() + blk * H * I, w, o * H * I, H * I);
            System.arraycopy(pr.params, pl.entry("weight_hh_l0").offset() + blk * H * H, r, o * H * H, H * H);
            System.arraycopy(pr.params, pl.entry("bias_ih_l0").offset() + blk * H, wb, o * H, H);
            System.arraycopy(pr.params, pl.entry("bias_hh_l0").offset() + blk * H, rb, o * H, H);
        }
        double[] want = onnxGru(w, r, wb, rb, pr.x, pr.h0, T, N, I, H);
        ReferenceRnn.Trace tr = new ReferenceRnn(spec).forward(pr.params, pr.x, T, N, null, pr.h0, null);
        Fixtures.assertClose("y", want, tr.y(), 1e-12);
        // And it is a different function from PyTorch's variant.
        double[] lbr = new ReferenceRnn(spec.toBuilder().linearBeforeReset(true).build())
                .forward(pr.params, pr.x, T, N, null, pr.h0, null).y();
        double diff = 0;
        for (int i = 0; i < lbr.length; i++) diff = Math.max(diff, Math.abs(lbr[i] - want[i]));
        assertTrue(diff > 1e-3, "the two GRU variants differ, by " + diff);
    }

    @Test
    void cellClipBoundsEveryCellStateAndClampsSome() {
        float clip = 0.2f;
        RnnSpec spec = RnnSpec.builder(CellType.LSTM, 4, 6).cellClip(clip).layers(2).bidirectional(true).build();
        Fixtures.Problem pr = new Fixtures.Problem(spec, 8, 3, null, 5);
        for (int i = 0; i < pr.c0.length; i++) pr.c0[i] *= 3; // some c0 beyond the clip: c' still bounded
        ReferenceRnn.Trace tr = new ReferenceRnn(spec).forward(pr.params, pr.x, 8, 3, null, pr.h0, pr.c0);
        int atBound = 0, all = 0;
        for (double[][] perLayer : tr.cs) {
            for (double[] cs : perLayer) {
                for (double c : cs) {
                    assertTrue(Math.abs(c) <= clip, "|c| = " + Math.abs(c) + " > " + clip);
                    if (Math.abs(c) == clip) atBound++;
                    all++;
                }
            }
        }
        assertTrue(atBound > all / 20 && atBound < all, atBound + " of " + all + " clamped: the test needs some, not all");
        // A clip no value reaches changes nothing.
        RnnSpec loose = spec.toBuilder().cellClip(1e6f).build(), none = spec.toBuilder().cellClip(0).build();
        double[] a = new ReferenceRnn(loose).forward(pr.params, pr.x, 8, 3, null, pr.h0, pr.c0).y();
        double[] b = new ReferenceRnn(none).forward(pr.params, pr.x, 8, 3, null, pr.h0, pr.c0).y();
        assertArrayEquals(b, a);
    }

    @Test
    void projectionClipBoundsTheProjectedOutput() {
        float clip = 0.05f;
        RnnSpec spec = RnnSpec.builder(CellType.LSTM, 4, 6).projectionSize(3).projectionClip(clip).layers(2).build();
        Fixtures.Problem pr = new Fixtures.Problem(spec, 6, 2, null, 8);
        ReferenceRnn.Trace tr = new ReferenceRnn(spec).forward(pr.params, pr.x, 6, 2, null, pr.h0, pr.c0);
        int atBound = 0;
        for (double v : tr.y()) {
            assertTrue(Math.abs(v) <= clip, "|h| = " + Math.abs(v));
            if (Math.abs(v) == clip) atBound++;
        }
        for (double v : tr.hN()) assertTrue(Math.abs(v) <= clip, "|hN| = " + Math.abs(v));
        assertTrue(atBound > 0, "no projected value clamped: the test needs some");
    }

    /** rnn4j's masks keep each unit with probability 1-p and scale the kept ones by exactly 1/(1-p). */
    @ParameterizedTest
    @ValueSource(floats = {0.1f, 0.5f, 0.8f})
    void dropoutKeepsOneMinusPAndScalesByItsInverse(float p) {
        int T = 20, N = 16, H = 32;
        RnnSpec spec = RnnSpec.builder(CellType.RNN_TANH, 8, H).layers(2).bidirectional(true).dropout(p).build();
        Fixtures.Problem pr = new Fixtures.Problem(spec, T, N, null, 3);
        ReferenceRnn.Trace tr = new ReferenceRnn(spec).forward(pr.params, pr.x, T, N, null, pr.h0, null,
                ReferenceRnn.DropoutMask.philox(2026, p));
        double[] in1 = tr.inputs[1];
        double scale = 1.0 / (1.0 - p);
        int kept = 0, all = 0;
        for (int t = 0; t < T; t++) {
            for (int b = 0; b < N; b++) {
                for (int d = 0; d < 2; d++) {
                    for (int u = 0; u < H; u++) {
                        double out = tr.hs[0][d][(t * N + b) * H + u];
                        double got = in1[(t * N + b) * 2 * H + d * H + u];
                        boolean keep = Philox.dropoutKeep(2026, p, 0, d, t, b, u);
                        assertEquals(keep ? out * scale : 0.0, got, 0.0);
                        if (keep) kept++;
                        all++;
                    }
                }
            }
        }
        double rate = (double) kept / all, sd = Math.sqrt(p * (1 - p) / all);
        assertTrue(Math.abs(rate - (1 - p)) < 5 * sd, "keep rate " + rate + ", want " + (1 - p) + " +- " + 5 * sd);
        // The top layer's output (y) and the final states are never dropped: equal to a run without dropout... of
        // layer 0's states.
        ReferenceRnn.Trace plain = new ReferenceRnn(spec).forward(pr.params, pr.x, T, N, null, pr.h0, null);
        for (int i = 0; i < N * H * 2; i++) assertEquals(plain.hN()[i], tr.hN()[i], 0.0, "layer 0 hN is not dropped");
    }

    @Test
    void noMaskOrZeroProbabilityIsNoDropout() {
        RnnSpec spec = RnnSpec.builder(CellType.LSTM, 3, 5).layers(3).dropout(0.5f).build();
        Fixtures.Problem pr = new Fixtures.Problem(spec, 4, 2, null, 1);
        ReferenceRnn rnn = new ReferenceRnn(spec);
        double[] none = rnn.forward(pr.params, pr.x, 4, 2, null, pr.h0, pr.c0).y();
        double[] dropped = rnn.forward(pr.params, pr.x, 4, 2, null, pr.h0, pr.c0, ReferenceRnn.DropoutMask.philox(1, 0.5f)).y();
        assertTrue(!java.util.Arrays.equals(none, dropped));
        RnnSpec zero = spec.toBuilder().dropout(0).build();
        assertArrayEquals(none, new ReferenceRnn(zero).forward(pr.params, pr.x, 4, 2, null, pr.h0, pr.c0,
                ReferenceRnn.DropoutMask.philox(1, 0f)).y());
    }

    /** PyTorch's stacked RNN with its dropout masks given explicitly: outputs and every gradient. */
    @ParameterizedTest
    @ValueSource(strings = {"lstm_bi3", "gru_2", "rnn_tanh_bi2"})
    void explicitMasksReproducePyTorch(String name) throws Exception {
        Map<String, float[]> f = new HashMap<>();
        Map<String, String> meta;
        try (SafeTensors st = SafeTensors.open(resource("dropout_" + name + ".safetensors"))) {
            for (String n : st.names()) f.put(n, st.floats(n));
            meta = st.metadata();
        }
        int T = 5, N = 2, I = 3, H = 4, L = Integer.parseInt(meta.get("layers"));
        boolean bi = Boolean.parseBoolean(meta.get("bidirectional"));
        int D = bi ? 2 : 1;
        float p = Float.parseFloat(meta.get("dropout"));
        RnnSpec spec = RnnSpec.builder(CellType.valueOf(meta.get("cell")), I, H).layers(L).bidirectional(bi).dropout(p)
                .build();
        double[] params = new double[spec.parameterCount()];
        for (ParameterLayout.Entry e : spec.parameterLayout().entries()) {
            float[] v = f.get(e.name());
            for (int i = 0; i < e.size(); i++) params[e.offset() + i] = v[i];
        }
        ReferenceRnn.DropoutMask mask = (k, d, t, b, u) -> f.get("mask_l" + k)[(t * N + b) * D * H + d * H + u] != 0f;
        ReferenceRnn rnn = new ReferenceRnn(spec);
        boolean lstm = spec.cell().hasCellState();
        ReferenceRnn.Trace tr = rnn.forward(params, d(f.get("x")), T, N, null, d(f.get("h0")),
                lstm ? d(f.get("c0")) : null, mask);
        double[] grads = new double[spec.parameterCount()];
        ReferenceRnn.Gradients g = rnn.backward(params, tr, d(f.get("dy")), d(f.get("dh_n")),
                lstm ? d(f.get("dc_n")) : null, grads);
        double tol = 1e-5; // PyTorch computed in float32
        Fixtures.assertClose(name + " y", d(f.get("y")), tr.y(), tol);
        Fixtures.assertClose(name + " h_n", d(f.get("h_n")), tr.hN(), tol);
        Fixtures.assertClose(name + " dx", d(f.get("dx")), g.dx(), tol);
        Fixtures.assertClose(name + " dh0", d(f.get("dh0")), g.dh0(), tol);
        if (lstm) {
            Fixtures.assertClose(name + " c_n", d(f.get("c_n")), tr.cN(), tol);
            Fixtures.assertClose(name + " dc0", d(f.get("dc0")), g.dc0(), tol);
        }
        for (ParameterLayout.Entry e : spec.parameterLayout().entries()) {
            double[] got = new double[e.size()];
            System.arraycopy(grads, e.offset(), got, 0, e.size());
            Fixtures.assertClose(name + " grad " + e.name(), d(f.get("grad." + e.name())), got, tol);
        }
    }

    private static double[] d(float[] a) {
        double[] out = new double[a.length];
        for (int i = 0; i < a.length; i++) out[i] = a[i];
        return out;
    }

    private static Path resource(String file) throws URISyntaxException {
        var url = CellOptionsTest.class.getResource(file);
        if (url == null) throw new IllegalStateException(file + " missing: run scripts/make-cell-fixtures.py");
        return Path.of(url.toURI());
    }
}
