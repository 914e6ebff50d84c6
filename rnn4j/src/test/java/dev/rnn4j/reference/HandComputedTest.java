package dev.rnn4j.reference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.rnn4j.CellType;
import dev.rnn4j.ParameterLayout;
import dev.rnn4j.RnnSpec;
import org.junit.jupiter.api.Test;

/**
 * One tiny case per cell whose numbers were worked out independently of this code, straight from
 * the equations of docs/DESIGN.md §1: the forward values by hand (shown below) and, for the longer ones,
 * by a separate scalar evaluation of the same equations in 40-digit arithmetic (Python mpmath),
 * whose gradients are 40-digit central differences (no chain rule involved). This pins the
 * semantics (gate order, where the GRU reset applies, which bias goes where, the projection, the
 * row-major weight layout) that a finite-difference check alone cannot, since it would happily
 * differentiate a wrong forward pass.
 */
class HandComputedTest {
    private static final double TOL = 1e-12;

    /** Writes {@code values} into the parameter called {@code name} (PyTorch's name). */
    private static void set(double[] params, RnnSpec spec, String name, double... values) {
        ParameterLayout.Entry e = spec.parameterLayout().entry(name);
        assertEquals(e.size(), values.length, name + " size");
        System.arraycopy(values, 0, params, e.offset(), values.length);
    }

    private static double get(double[] grads, RnnSpec spec, String name, int row, int col) {
        ParameterLayout.Entry e = spec.parameterLayout().entry(name);
        return grads[e.offset() + row * e.cols() + col];
    }

    /**
     * RNN_TANH, I=2, H=2, T=2, N=1. W_ih = [[0.5, -0.25], [0.1, 0.3]], W_hh = [[0.8, -0.4], [0.2, 0.6]],
     * b_ih = [0.1, -0.1], b_hh = [-0.2, 0.05], h0 = [0.3, -0.2], x = [[1, 2], [-1, 0.5]].
     * <pre>
     * step 0: a_0 = 0.5*1 - 0.25*2 + 0.1 + 0.8*0.3 - 0.4*(-0.2) - 0.2 = 0.22   -> y = tanh(0.22) = 0.216518061493...
     *         a_1 = 0.1*1 + 0.3*2 - 0.1 + 0.2*0.3 + 0.6*(-0.2) + 0.05 = 0.59  -> y = tanh(0.59) = 0.529895607527...
     * step 1: a = W_ih x_1 + b_ih + W_hh h_1 + b_hh = [-0.763744..., 0.361241...] -> y = [-0.643276841731, 0.346306651715]
     * </pre>
     * Loss = y[0][1] + y[1][0] + 2 y[1][1] (dy = [[0, 1], [1, 2]]); gradients by 40-digit central differences.
     */
    @Test
    void rnnTanh() {
        RnnSpec spec = RnnSpec.builder(CellType.RNN_TANH, 2, 2).build();
        double[] p = new double[spec.parameterCount()];
        set(p, spec, "weight_ih_l0", 0.5, -0.25, 0.1, 0.3);
        set(p, spec, "weight_hh_l0", 0.8, -0.4, 0.2, 0.6);
        set(p, spec, "bias_ih_l0", 0.1, -0.1);
        set(p, spec, "bias_hh_l0", -0.2, 0.05);
        ReferenceRnn rnn = new ReferenceRnn(spec);
        ReferenceRnn.Trace tr = rnn.forward(p, new double[] {1, 2, -1, 0.5}, 2, 1, null, new double[] {0.3, -0.2}, null);
        assertArrayEquals(new double[] {0.21651806149302883, 0.52989560752752942, -0.64327684173098849, 0.34630665171539714},
                tr.y(), TOL);
        assertArrayEquals(new double[] {-0.64327684173098849, 0.34630665171539714}, tr.hN(), TOL);
        assertEquals(null, tr.cN());

        double[] g = new double[spec.parameterCount()];
        ReferenceRnn.Gradients gr = rnn.backward(p, tr, new double[] {0, 1, 1, 2}, null, null, g);
        assertEquals(-0.45002348241485477, get(g, spec, "weight_ih_l0", 1, 0), TOL);
        assertEquals(0.15412274754425935, get(g, spec, "weight_hh_l0", 0, 1), TOL);
        assertEquals(1.3686916934593538, get(g, spec, "bias_hh_l0", 0, 0), TOL);
        assertEquals(0.4730732386975923, gr.dh0()[1], TOL);
        assertEquals(0.52226038663742313, gr.dx()[0], TOL);
        assertEquals(null, gr.dc0());
    }

    /**
     * RNN_RELU, I=2, H=1, T=2, N=1, all by hand with exact numbers. W_ih = [1, -1], W_hh = [0.5],
     * b_ih = 0.1, b_hh = 0, h0 = 0.2, x = [[1, 0.5], [0, 2]].
     * <pre>
     * step 0: a = 1 - 0.5 + 0.1 + 0.5*0.2 = 0.7   -> y0 = 0.7
     * step 1: a = 0 - 2 + 0.1 + 0.5*0.7 = -1.55    -> y1 = 0 (relu' = 0 here)
     * dy = [1, 1]: step 1 passes no gradient back, so step 0 sees dh = 1, da0 = 1:
     *   dW_ih = da0 * x0 = [1, 0.5], dW_hh = da0 * h0 = 0.2, db_ih = db_hh = 1,
     *   dh0 = W_hh * da0 = 0.5, dx0 = W_ih * da0 = [1, -1], dx1 = [0, 0].
     * </pre>
     */
    @Test
    void rnnRelu() {
        RnnSpec spec = RnnSpec.builder(CellType.RNN_RELU, 2, 1).build();
        double[] p = new double[spec.parameterCount()];
        set(p, spec, "weight_ih_l0", 1, -1);
        set(p, spec, "weight_hh_l0", 0.5);
        set(p, spec, "bias_ih_l0", 0.1);
        set(p, spec, "bias_hh_l0", 0);
        ReferenceRnn rnn = new ReferenceRnn(spec);
        ReferenceRnn.Trace tr = rnn.forward(p, new double[] {1, 0.5, 0, 2}, 2, 1, null, new double[] {0.2}, null);
        assertArrayEquals(new double[] {0.7, 0.0}, tr.y(), TOL);
        assertArrayEquals(new double[] {0.0}, tr.hN(), TOL);

        double[] g = new double[spec.parameterCount()];
        ReferenceRnn.Gradients gr = rnn.backward(p, tr, new double[] {1, 1}, null, null, g);
        assertArrayEquals(new double[] {1, 0.5, 0.2, 1, 1}, g, TOL); // weight_ih, weight_hh, bias_ih, bias_hh
        assertArrayEquals(new double[] {0.5}, gr.dh0(), TOL);
        assertArrayEquals(new double[] {1, -1, 0, 0}, gr.dx(), TOL);
    }

    /**
     * LSTM, I=1, H=1, T=2, N=1; every gate has different weights so a wrong gate order shows.
     * W_ih = [i 0.5, f -0.3, g 0.8, o 0.2], W_hh = [0.1, 0.4, -0.6, 0.7], b_ih = [0.05, 0.5, -0.1, 0],
     * b_hh = [0, 0.25, 0.1, -0.2], x = [1, -2], h0 = 0.2, c0 = -0.5.
     * <pre>
     * step 0: a = [0.5+0.05+0.02, -0.3+0.5+0.08+0.25, 0.8-0.1-0.12+0.1, 0.2+0.14-0.2] = [0.57, 0.53, 0.68, 0.14]
     *         i = σ(0.57) = 0.63876, f = σ(0.53) = 0.62948, g = tanh(0.68) = 0.59152, o = σ(0.14) = 0.53494
     *         c1 = f*c0 + i*g = -0.31474 + 0.37784 = 0.063099..., y0 = o*tanh(c1) = 0.0337097724866838
     * step 1: the same with x = -2, h = y0, c = c1: y1 = -0.0738564615538902, cN = -0.208252584425529
     * </pre>
     * Loss = y0 + y1 + 0.5 cN (dy = [1, 1], dhN absent, dcN = 0.5); gradients by 40-digit central differences.
     */
    @Test
    void lstm() {
        RnnSpec spec = RnnSpec.builder(CellType.LSTM, 1, 1).build();
        double[] p = new double[spec.parameterCount()];
        set(p, spec, "weight_ih_l0", 0.5, -0.3, 0.8, 0.2);
        set(p, spec, "weight_hh_l0", 0.1, 0.4, -0.6, 0.7);
        set(p, spec, "bias_ih_l0", 0.05, 0.5, -0.1, 0.0);
        set(p, spec, "bias_hh_l0", 0.0, 0.25, 0.1, -0.2);
        ReferenceRnn rnn = new ReferenceRnn(spec);
        ReferenceRnn.Trace tr = rnn.forward(p, new double[] {1, -2}, 2, 1, null, new double[] {0.2}, new double[] {-0.5});
        assertArrayEquals(new double[] {0.03370977248668378, -0.073856461553890167}, tr.y(), TOL);
        assertArrayEquals(new double[] {-0.073856461553890167}, tr.hN(), TOL);
        assertArrayEquals(new double[] {-0.20825258442552876}, tr.cN(), TOL);

        double[] g = new double[spec.parameterCount()];
        ReferenceRnn.Gradients gr = rnn.backward(p, tr, new double[] {1, 1}, null, new double[] {0.5}, g);
        assertEquals(0.73666698535147117, gr.dc0()[0], TOL);
        assertEquals(-0.31994853829419025, gr.dh0()[0], TOL);
        assertEquals(-0.15376127151967218, get(g, spec, "weight_ih_l0", 1, 0), TOL); // forget gate
        assertEquals(-0.032642200036096908, get(g, spec, "bias_hh_l0", 3, 0), TOL); // output gate
        assertEquals(-0.063304770041119162, gr.dx()[1], TOL);
    }

    /**
     * GRU, I=1, H=1, T=2, N=1, with a non-zero b_hn and r well below 1 so that applying the reset
     * before the recurrent product, or merging the two n biases, would give other numbers.
     * W_ih = [r 0.6, z -0.4, n 0.9], W_hh = [0.3, 0.5, -0.7], b_ih = [0.1, 0.2, -0.3], b_hh = [-0.1, 0, 0.4],
     * x = [0.5, -1], h0 = 0.25.
     * <pre>
     * step 0: r = σ(0.3+0.1+0.075-0.1) = σ(0.375) = 0.59267, z = σ(-0.2+0.2+0.125) = σ(0.125) = 0.53121
     *         n = tanh(0.45 - 0.3 + r*(-0.175 + 0.4)) = tanh(0.15 + 0.59267*0.225) = tanh(0.28335) = 0.27600
     *         y0 = (1-z)*n + z*h0 = 0.46879*0.27600 + 0.53121*0.25 = 0.262189833543933
     * step 1: the same with x = -1, h = y0: y1 = -0.0853604536269582
     * </pre>
     * Loss = 2 y1 - y0 (dy = [-1, 2]); gradients by 40-digit central differences.
     */
    @Test
    void gru() {
        RnnSpec spec = RnnSpec.builder(CellType.GRU, 1, 1).build();
        double[] p = new double[spec.parameterCount()];
        set(p, spec, "weight_ih_l0", 0.6, -0.4, 0.9);
        set(p, spec, "weight_hh_l0", 0.3, 0.5, -0.7);
        set(p, spec, "bias_ih_l0", 0.1, 0.2, -0.3);
        set(p, spec, "bias_hh_l0", -0.1, 0.0, 0.4);
        ReferenceRnn rnn = new ReferenceRnn(spec);
        ReferenceRnn.Trace tr = rnn.forward(p, new double[] {0.5, -1}, 2, 1, null, new double[] {0.25}, null);
        assertArrayEquals(new double[] {0.26218983354393269, -0.085360453626958212}, tr.y(), TOL);
        assertArrayEquals(new double[] {-0.085360453626958212}, tr.hN(), TOL);

        double[] g = new double[spec.parameterCount()];
        ReferenceRnn.Gradients gr = rnn.backward(p, tr, new double[] {-1, 2}, null, null, g);
        // The two n biases get different gradients: d/db_hn = r * d/db_in.
        assertEquals(0.2201148679198356, get(g, spec, "bias_hh_l0", 2, 0), TOL);
        assertEquals(0.45544763781818921, get(g, spec, "bias_ih_l0", 2, 0), TOL);
        assertEquals(0.0061139815374004525, get(g, spec, "weight_hh_l0", 0, 0), TOL);
        assertEquals(0.18802960191798664, gr.dh0()[0], TOL);
        assertEquals(0.21507704153992823, gr.dx()[0], TOL);
    }

    /**
     * LSTM with projection, I=1, H=2, P=1, T=1, N=1, no bias: h is [1] while c is [2].
     * W_ih (rows i0 i1 f0 f1 g0 g1 o0 o1) = [0.5, -0.5, 0.3, 0.1, 0.9, -0.2, 0.4, 0.6],
     * W_hh [8, 1] = [0.2, 0.1, -0.3, 0.5, 0.7, -0.1, 0.2, 0.3], W_hr [1, 2] = [1.5, -0.5],
     * x = 0.8, h0 = -0.4, c0 = [0.3, -0.6].
     * <pre>
     * unit j: a_q,j = W_ih[q*2+j]*0.8 + W_hh[q*2+j]*(-0.4); c_j = σ(a_f)c0_j + σ(a_i)tanh(a_g); m_j = σ(a_o)tanh(c_j)
     *   unit 0: a = [0.32, 0.36, 0.44, 0.24] -> c = 0.58904*0.3 + 0.57932*0.41364 = 0.416346387343148
     *   unit 1: a = [-0.44, -0.12, -0.12, 0.36] -> c = 0.47004*(-0.6) + 0.39174*(-0.11943) = -0.328806134624443
     * y = hN = 1.5*m_0 - 0.5*m_1 = 0.424157899088677
     * </pre>
     * Loss = y + cN[1] (dy = 1, dcN = [0, 1]); gradients by 40-digit central differences.
     */
    @Test
    void lstmWithProjection() {
        RnnSpec spec = RnnSpec.builder(CellType.LSTM, 1, 2).projectionSize(1).bias(false).build();
        double[] p = new double[spec.parameterCount()];
        set(p, spec, "weight_ih_l0", 0.5, -0.5, 0.3, 0.1, 0.9, -0.2, 0.4, 0.6);
        set(p, spec, "weight_hh_l0", 0.2, 0.1, -0.3, 0.5, 0.7, -0.1, 0.2, 0.3);
        set(p, spec, "weight_hr_l0", 1.5, -0.5);
        ReferenceRnn rnn = new ReferenceRnn(spec);
        ReferenceRnn.Trace tr = rnn.forward(p, new double[] {0.8}, 1, 1, null, new double[] {-0.4}, new double[] {0.3, -0.6});
        assertArrayEquals(new double[] {0.42415789908867691}, tr.y(), TOL);
        assertArrayEquals(new double[] {0.42415789908867691}, tr.hN(), TOL);
        assertArrayEquals(new double[] {0.41634638734314824, -0.32880613462444266}, tr.cN(), TOL);

        double[] g = new double[spec.parameterCount()];
        ReferenceRnn.Gradients gr = rnn.backward(p, tr, new double[] {1}, null, new double[] {0, 1}, g);
        assertEquals(-0.18698948867099744, get(g, spec, "weight_hr_l0", 0, 1), TOL);
        assertEquals(0.19250988170694929, gr.dh0()[0], TOL);
        assertEquals(0.41782961790295255, gr.dc0()[0], TOL);
        assertEquals(-0.015369023819965053, get(g, spec, "weight_hh_l0", 7, 0), TOL);
    }
}
