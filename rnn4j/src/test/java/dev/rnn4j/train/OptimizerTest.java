package dev.rnn4j.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** Each optimizer on the quadratic f(p) = 0.5 * sum (p - c)^2, whose gradient is p - c. */
class OptimizerTest {
    static final float[] C = {3, -2};

    final FloatBuffer params = FloatBuffer.wrap(new float[] {1, 1});
    final FloatBuffer grads = FloatBuffer.wrap(new float[2]);

    void gradient() {
        for (int i = 0; i < 2; i++) grads.put(i, params.get(i) - C[i]);
    }

    @Test
    void sgdTakesExactlyLrTimesGradient() {
        Sgd sgd = new Sgd(0.1);
        sgd.add(params, grads);
        gradient();                       // g = (-2, 3)
        sgd.step();
        assertEquals(1.2f, params.get(0), 1e-6f);
        assertEquals(0.7f, params.get(1), 1e-6f);
        assertEquals(1, sgd.steps());
    }

    @Test
    void sgdMomentumAccumulatesVelocity() {
        Sgd sgd = new Sgd(0.1, 0.9);
        sgd.add(params, grads);
        gradient();                       // g1 = (-2, 3); v1 = g1; p1 = (1.2, 0.7)
        sgd.step();
        gradient();                       // g2 = (-1.8, 2.7); v2 = 0.9 v1 + g2 = (-3.6, 5.4)
        sgd.step();                       // p2 = p1 - 0.1 v2 = (1.56, 0.16)
        assertEquals(1.56f, params.get(0), 1e-5f);
        assertEquals(0.16f, params.get(1), 1e-5f);
    }

    @Test
    void adagradFirstStepIsLrTimesTheSignThenShrinks() {
        Adagrad a = new Adagrad(0.5);
        a.add(params, grads);
        gradient();
        a.step();                         // p -= 0.5 * g / |g|
        assertEquals(1.5f, params.get(0), 1e-6f);
        assertEquals(0.5f, params.get(1), 1e-6f);
        gradient();                       // g2 = (-1.5, 2.5); s = (4 + 2.25, 9 + 6.25)
        a.step();
        assertEquals(1.5f + 0.5f * 1.5f / (float) Math.sqrt(6.25), params.get(0), 1e-5f);
        assertEquals(0.5f - 0.5f * 2.5f / (float) Math.sqrt(15.25), params.get(1), 1e-5f);
    }

    @Test
    void adamFirstTwoStepsMatchTheFormula() {
        Adam adam = new Adam(0.1);
        adam.add(params, grads);
        gradient();
        adam.step();                      // bias-corrected m/sqrt(v) = sign(g): p -= 0.1 * sign(g)
        assertEquals(1.1f, params.get(0), 1e-5f);
        assertEquals(0.9f, params.get(1), 1e-5f);
        gradient();                       // g2 = (-1.9, 2.9)
        adam.step();
        double[] g1 = {-2, 3}, g2 = {-1.9, 2.9}, p1 = {1.1, 0.9};
        for (int i = 0; i < 2; i++) {
            double m = 0.9 * 0.1 * g1[i] + 0.1 * g2[i];
            double v = 0.999 * 0.001 * g1[i] * g1[i] + 0.001 * g2[i] * g2[i];
            double mHat = m / (1 - 0.81), vHat = v / (1 - 0.999 * 0.999);
            assertEquals(p1[i] - 0.1 * mHat / (Math.sqrt(vHat) + 1e-8), params.get(i), 1e-5);
        }
    }

    @Test
    void everyOptimizerConvergesOnTheQuadratic() {
        Supplier<?>[] makers = {() -> new Sgd(0.1), () -> new Sgd(0.05, 0.9), () -> new Adagrad(1.0), () -> new Adam(0.05)};
        for (Supplier<?> make : makers) {
            params.put(0, 1f).put(1, 1f);
            Optimizer o = (Optimizer) make.get();
            o.add(params, grads);
            for (int i = 0; i < 500; i++) {
                gradient();
                o.step();
                o.zeroGradients();
            }
            assertEquals(C[0], params.get(0), 1e-2, o.getClass().getSimpleName());
            assertEquals(C[1], params.get(1), 1e-2, o.getClass().getSimpleName());
        }
    }

    @Test
    void worksOnDirectBuffersAndSlices() {
        FloatBuffer p = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder()).asFloatBuffer();
        FloatBuffer g = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder()).asFloatBuffer();
        p.put(0, 5f).put(1, 5f).put(2, 5f).put(3, 5f);
        g.put(0, 1f).put(1, 1f).put(2, 1f).put(3, 1f);
        Sgd sgd = new Sgd(1);
        sgd.add(p.duplicate().position(2), g.duplicate().position(2));   // only the last two
        sgd.step();
        assertEquals(5f, p.get(0));
        assertEquals(5f, p.get(1));
        assertEquals(4f, p.get(2));
        assertEquals(4f, p.get(3));
        sgd.zeroGradients();
        assertEquals(1f, g.get(0));
        assertEquals(0f, g.get(3));
        assertEquals(2, sgd.gradients().get(0).remaining());
    }

    @Test
    void badSettingsAreRejected() {
        assertThrows(IllegalArgumentException.class, () -> new Sgd(0));
        assertThrows(IllegalArgumentException.class, () -> new Sgd(0.1, 1));
        assertThrows(IllegalArgumentException.class, () -> new Adam(0.1, 1, 0.9, 1e-8));
        assertThrows(IllegalArgumentException.class, () -> new Adagrad(0.1, 0));
        Adam a = new Adam(0.1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> a.add(FloatBuffer.allocate(3), FloatBuffer.allocate(2)));
        assertTrue(e.getMessage().contains("3"), e.getMessage());
        a.setLearningRate(0.5);
        assertEquals(0.5, a.learningRate());
    }

    /** Found by trying to break the API: the same tensor twice, and params == grads, were accepted. */
    @Test
    void aTensorIsRegisteredOnceAndNeverAsItsOwnGradient() {
        for (boolean direct : new boolean[] {false, true}) {
            FloatBuffer memory = direct ? ByteBuffer.allocateDirect(64).order(ByteOrder.nativeOrder()).asFloatBuffer()
                    : FloatBuffer.allocate(16);
            FloatBuffer p = memory.duplicate().limit(4), g = memory.duplicate().position(4).limit(8).slice();
            Adam adam = new Adam(0.1);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> adam.add(p, p.duplicate()));
            assertTrue(e.getMessage().contains("share memory"), e.getMessage());
            adam.add(p, g);
            e = assertThrows(IllegalArgumentException.class, () -> adam.add(p.duplicate(), memory.duplicate().position(8).limit(12)));
            assertTrue(e.getMessage().contains("once"), e.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> adam.add(memory.duplicate().position(8).limit(12), memory.duplicate().position(2).limit(6)));
            adam.add(memory.duplicate().position(8).limit(12), memory.duplicate().position(12).limit(16)); // disjoint: fine
            assertEquals(2, adam.gradients().size());
        }
    }
}
