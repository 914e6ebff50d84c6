package dev.rnn4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.FloatBuffer;
import org.junit.jupiter.api.Test;

class GradientClippingTest {
    @Test
    void globalNormScalesAllBuffersTogether() {
        float[] a = {3, 0}, b = {0, 4};       // global norm 5
        double norm = GradientClipping.byGlobalNorm(1.0, FloatBuffer.wrap(a), FloatBuffer.wrap(b));
        assertEquals(5, norm, 1e-9);
        assertArrayEquals(new float[] {0.6f, 0}, a, 1e-5f);
        assertArrayEquals(new float[] {0, 0.8f}, b, 1e-5f);
        assertEquals(1, GradientClipping.globalNorm(java.util.List.of(FloatBuffer.wrap(a), FloatBuffer.wrap(b))), 1e-5);
    }

    @Test
    void globalNormBelowTheLimitChangesNothing() {
        float[] a = {0.3f, -0.4f};
        assertEquals(0.5, GradientClipping.byGlobalNorm(1.0, FloatBuffer.wrap(a)), 1e-6);
        assertArrayEquals(new float[] {0.3f, -0.4f}, a);
    }

    @Test
    void byValueClampsEachElement() {
        float[] a = {-3, 0.5f, 2, -0.1f};
        assertEquals(2, GradientClipping.byValue(1.0, FloatBuffer.wrap(a)));
        assertArrayEquals(new float[] {-1, 0.5f, 1, -0.1f}, a);
    }

    @Test
    void respectsThePositionAndLimitOfEachBuffer() {
        float[] a = {10, 10, 10, 10};
        FloatBuffer view = FloatBuffer.wrap(a).position(1).limit(3);
        assertEquals(2, GradientClipping.byValue(1.0, view));
        assertArrayEquals(new float[] {10, 1, 1, 10}, a);
        assertEquals(1, view.position());
    }

    @Test
    void limitsMustBePositive() {
        assertThrows(IllegalArgumentException.class, () -> GradientClipping.byGlobalNorm(0, FloatBuffer.allocate(1)));
        assertThrows(IllegalArgumentException.class, () -> GradientClipping.byValue(-1, FloatBuffer.allocate(1)));
    }
}
