package dev.rnn4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.FloatBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class LinearTest {
    static float[] random(SplittableRandom r, int n) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
        return a;
    }

    @Test
    void forwardIsXTimesWTransposedPlusB() {
        Linear l = new Linear(3, 2);
        FloatBuffer p = l.parameters();
        p.put(new float[] {1, 2, 3, /* row 1 */ -1, 0, 0.5f, /* b */ 0.25f, -2});
        float[] x = {1, 1, 1, /* row 1 */ 2, -1, 4};
        float[] out = new float[4];
        l.forward(x, 2, out);
        assertArrayEquals(new float[] {6.25f, -2.5f, 12.25f, -2f}, out, 1e-6f);
        assertArrayEquals(new float[] {1, 2, 3, -1, 0, 0.5f}, l.weight());
        assertArrayEquals(new float[] {0.25f, -2}, l.bias());
    }

    @Test
    void initialisationIsPyTorchsUniformBoundAndSeeded() {
        Linear a = new Linear(16, 5), b = new Linear(16, 5);
        a.initialize(3);
        b.initialize(3);
        assertArrayEquals(a.weight(), b.weight());
        for (float w : a.weight()) assertTrue(Math.abs(w) < 0.25f);
        b.initialize(4);
        assertTrue(a.weight()[0] != b.weight()[0]);
    }

    /** Gradient check: loss = sum(out * g) for a random g; every dW, db and dx against central differences. */
    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void gradientsMatchFiniteDifferences(boolean bias) {
        SplittableRandom r = new SplittableRandom(5);
        int in = 4, out = 3, rows = 5;
        Linear l = new Linear(in, out, bias);
        l.initialize(9);
        float[] x = random(r, rows * in), g = random(r, rows * out);
        float[] y = new float[rows * out], dx = new float[rows * in];
        l.forward(x, rows, y);
        l.backward(x, g, rows, dx);
        float[] grads = new float[l.parameterCount()];
        l.gradients().get(grads);
        FloatBuffer p = l.parameters();
        double eps = 1e-2;
        for (int i = 0; i < l.parameterCount(); i++) {
            float saved = p.get(i);
            p.put(i, (float) (saved + eps));
            double up = loss(l, x, g, rows);
            p.put(i, (float) (saved - eps));
            double down = loss(l, x, g, rows);
            p.put(i, saved);
            assertEquals((up - down) / (2 * eps), grads[i], 1e-3, "parameter " + i);
        }
        for (int i = 0; i < x.length; i++) {
            float saved = x[i];
            x[i] = (float) (saved + eps);
            double up = loss(l, x, g, rows);
            x[i] = (float) (saved - eps);
            double down = loss(l, x, g, rows);
            x[i] = saved;
            assertEquals((up - down) / (2 * eps), dx[i], 1e-3, "dx " + i);
        }
        if (!bias) assertNull(l.bias());
    }

    private static double loss(Linear l, float[] x, float[] g, int rows) {
        float[] y = new float[rows * l.outFeatures()];
        l.forward(x, rows, y);
        double s = 0;
        for (int i = 0; i < y.length; i++) s += (double) y[i] * g[i];
        return s;
    }

    @ParameterizedTest
    @ValueSource(booleans = {true, false})
    void sgemmAndJavaLoopsAgree(boolean bias) {
        org.junit.jupiter.api.Assumptions.assumeTrue(Blas.AVAILABLE, "OpenBLAS not loaded (or -Drnn4j.native=false)");
        SplittableRandom r = new SplittableRandom(2);
        int in = 37, out = 11, rows = 23;
        Linear blas = new Linear(in, out, bias, true), java = new Linear(in, out, bias, false);
        assertTrue(blas.usesBlas());
        assertTrue(!java.usesBlas());
        blas.initialize(4);
        java.initialize(4);
        float[] x = random(r, rows * in), g = random(r, rows * out);
        float[] y1 = new float[rows * out], y2 = new float[rows * out], dx1 = new float[rows * in], dx2 = new float[rows * in];
        blas.forward(x, rows, y1);
        java.forward(x, rows, y2);
        assertArrayEquals(y2, y1, 1e-5f);
        for (int i = 0; i < 2; i++) {                     // twice: both accumulate
            blas.backward(x, g, rows, dx1);
            java.backward(x, g, rows, dx2);
        }
        assertArrayEquals(dx2, dx1, 1e-5f);
        float[] g1 = new float[blas.parameterCount()], g2 = new float[java.parameterCount()];
        blas.gradients().get(g1);
        java.gradients().get(g2);
        assertArrayEquals(g2, g1, 1e-4f);
    }

    @Test
    void backwardAccumulatesUntilZeroed() {
        Linear l = new Linear(2, 2);
        float[] x = {1, 2}, g = {1, -1};
        l.backward(x, g, 1, null);
        float[] once = new float[l.parameterCount()];
        l.gradients().get(once);
        l.backward(x, g, 1, null);
        float[] twice = new float[l.parameterCount()];
        l.gradients().get(twice);
        for (int i = 0; i < once.length; i++) assertEquals(2 * once[i], twice[i], 1e-6f);
        l.zeroGradients();
        float[] zero = new float[l.parameterCount()];
        l.gradients().get(zero);
        assertArrayEquals(new float[l.parameterCount()], zero);
    }

    @Test
    void badArgumentsAreRejectedWithTheNumbers() {
        assertThrows(IllegalArgumentException.class, () -> new Linear(0, 3));
        Linear l = new Linear(3, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> l.forward(new float[5], 2, new float[4]));
        assertTrue(e.getMessage().contains("x must hold [rows, 3] = 2*3 = 6 floats, got 5"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> l.forward(new float[6], 2, new float[3]));
        assertThrows(NullPointerException.class, () -> l.backward(null, new float[2], 1, null));
    }
}
