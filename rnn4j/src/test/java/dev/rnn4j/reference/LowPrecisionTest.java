package dev.rnn4j.reference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnn4j.CellType;
import dev.rnn4j.Precision;
import dev.rnn4j.RnnSpec;
import org.junit.jupiter.api.Test;

/** The rounding rules of the reduced precisions, by hand. */
class LowPrecisionTest {

    @Test
    void bf16RoundsToNearestEven() {
        assertEquals(1.0f, LowPrecision.bf16(1.0f));
        float ulp = Math.ulp(LowPrecision.bf16(1.0f)) * 65536; // spacing of bf16 at 1: 2^-7
        assertEquals(0x1p-7f, ulp);
        assertEquals(1.0f, LowPrecision.bf16(1.0f + 0x1p-8f)); // tie: to even (1.0)
        assertEquals(1.0f + 0x1p-6f, LowPrecision.bf16(1.0f + 0x1p-7f + 0x1p-8f)); // tie: to even (up)
        assertEquals(1.0f + 0x1p-7f, LowPrecision.bf16(1.0f + 0x1p-8f + 0x1p-20f)); // above the tie
        assertEquals(Float.POSITIVE_INFINITY, LowPrecision.bf16(Float.MAX_VALUE));
        assertEquals(-0.0f, LowPrecision.bf16(-0.0f));
        assertTrue(Float.isNaN(LowPrecision.bf16(Float.NaN)));
    }

    @Test
    void int8WeightsArePerRowSymmetric() {
        double[] w = {0.5, -1.0, 0.25, 0, 0, 0, 1e-3, 2e-3, -4e-3};
        LowPrecision.Int8Rows q = new LowPrecision.Int8Rows(w, 0, 3, 3);
        assertEquals(1.0f / 127f, q.scale[0]);
        assertEquals(64, q.q[0]); // rint(63.5) = 64 (to even)
        assertEquals(-127, q.q[1]);
        assertEquals(32, q.q[2]); // rint(31.75)
        assertEquals(64 - 127 + 32, q.sum[0]);
        assertEquals(0f, q.scale[1]); // a zero row
        assertEquals(0, q.sum[1]);
        assertEquals(-127, q.q[8]);
        assertEquals(32, q.q[6]);
    }

    @Test
    void activationsAreAsymmetricU8WithEdgeCases() {
        LowPrecision.Activations a = new LowPrecision.Activations(4);
        // range [-63.75, 191.25]: scale 0.75 + 0.25 = 1 exactly, zero point rint(63.75) = 64
        LowPrecision.quantizeRow(new double[] {-63.75, 191.25, 0.5, 1.5}, 0, 4, a);
        assertEquals(1f, a.scale);
        assertEquals(64, a.zeroPoint);
        assertEquals(0, a.q[0] & 0xFF);
        assertEquals(255, a.q[1] & 0xFF);
        assertEquals(64, a.q[2] & 0xFF); // rint(0.5) = 0: ties to even
        assertEquals(66, a.q[3] & 0xFF); // rint(1.5) = 2
        // all zero, and a range below the smallest normal float: zeros with scale 0
        for (double tiny : new double[] {0, 1e-39}) {
            LowPrecision.quantizeRow(new double[] {tiny, tiny, 0, tiny}, 0, 4, a);
            assertEquals(0f, a.scale);
            assertEquals(0, a.zeroPoint);
        }
        // huge values do not overflow the scale; only positive: zero point 0
        LowPrecision.quantizeRow(new double[] {3e38, 1.5e38, 0, 3e38}, 0, 4, a);
        assertTrue(Float.isFinite(a.scale) && a.scale > 0);
        assertEquals(0, a.zeroPoint);
        assertEquals(255, a.q[0] & 0xFF);
        LowPrecision.quantizeRow(new double[] {-3e38, 3e38, 0, 0}, 0, 4, a);
        assertTrue(Float.isFinite(a.scale));
        LowPrecision.quantizeRow(new double[] {1, Double.NaN, 0, 0}, 0, 4, a);
        assertTrue(Float.isNaN(a.scale));
    }

    @Test
    void bf16ReferenceIsFp32OnRoundedWeightsAndInputs() {
        RnnSpec spec = RnnSpec.builder(CellType.GRU, 3, 4).projectionSize(0).build();
        ReferenceRnn ref = new ReferenceRnn(spec);
        double[] p = new double[spec.parameterCount()];
        for (int i = 0; i < p.length; i++) p[i] = Math.sin(i) * 0.3;
        double[] x = {0.1, -0.2, 0.3, 0.4, 0.5, -0.6};
        double[] rounded = LowPrecision.bf16Weights(spec, p);
        assertEquals(p[spec.parameterLayout().entry("bias_ih_l0").offset()],
                rounded[spec.parameterLayout().entry("bias_ih_l0").offset()]); // biases unchanged
        // one step from h0 = 0: x rounded to bf16 is the only activation rounding
        double[] xr = new double[x.length];
        for (int i = 0; i < x.length; i++) xr[i] = LowPrecision.bf16((float) x[i]);
        assertNotEquals(x[1], xr[1]);
        double[] a = ref.forward(Precision.BF16, p, x, 1, 2, null, null, null).y();
        double[] b = ref.forward(rounded, xr, 1, 2, null, null, null).y();
        for (int i = 0; i < a.length; i++) assertEquals(b[i], a[i]);
        // a second step: h rounded too, so BF16 differs from FP32 on the rounded weights alone
        double[] c = ref.forward(Precision.BF16, p, x, 2, 1, null, null, null).y();
        double[] e = ref.forward(rounded, xr, 2, 1, null, null, null).y();
        assertNotEquals(e[e.length - 1], c[c.length - 1]);
    }
}
