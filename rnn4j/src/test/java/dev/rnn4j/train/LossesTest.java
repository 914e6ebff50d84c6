package dev.rnn4j.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class LossesTest {
    @Test
    void crossEntropyOfUniformLogitsIsLogOfTheClassCount() {
        float[] logits = new float[3 * 5];
        assertEquals(Math.log(5), SoftmaxCrossEntropy.loss(logits, 3, 5, new int[] {0, 4, 2}, null), 1e-12);
    }

    @Test
    void crossEntropyIsStableForHugeLogits() {
        float[] logits = {1000f, 0f, -1000f};
        double loss = SoftmaxCrossEntropy.loss(logits, 1, 3, new int[] {0}, null);
        assertEquals(0, loss, 1e-9);
        float[] d = new float[3];
        assertEquals(2000, SoftmaxCrossEntropy.loss(logits, 1, 3, new int[] {2}, d), 1e-9);
        assertArrayEquals(new float[] {1, 0, -1}, d, 1e-6f);
    }

    @Test
    void crossEntropyGradientMatchesFiniteDifferences() {
        SplittableRandom r = new SplittableRandom(1);
        int rows = 4, classes = 6;
        float[] logits = LinearTest.random(r, rows * classes);
        for (int i = 0; i < logits.length; i++) logits[i] *= 3;
        int[] targets = {5, SoftmaxCrossEntropy.IGNORE, 0, 3};
        float[] d = new float[logits.length];
        SoftmaxCrossEntropy.loss(logits, rows, classes, targets, d);
        double eps = 1e-3;
        for (int i = 0; i < logits.length; i++) {
            float saved = logits[i];
            logits[i] = (float) (saved + eps);
            double up = SoftmaxCrossEntropy.loss(logits, rows, classes, targets, null);
            logits[i] = (float) (saved - eps);
            double down = SoftmaxCrossEntropy.loss(logits, rows, classes, targets, null);
            logits[i] = saved;
            assertEquals((up - down) / (2 * eps), d[i], 2e-4, "dlogits " + i);
        }
        for (int c = 0; c < classes; c++) assertEquals(0f, d[classes + c], "an ignored row has no gradient");
    }

    @Test
    void ignoredRowsAreNotCountedInTheMean() {
        float[] logits = new float[2 * 4];
        double loss = SoftmaxCrossEntropy.loss(logits, 2, 4, new int[] {1, SoftmaxCrossEntropy.IGNORE}, null);
        assertEquals(Math.log(4), loss, 1e-12);
        assertEquals(0, SoftmaxCrossEntropy.loss(logits, 2, 4, new int[] {-1, -1}, null));
    }

    @Test
    void crossEntropyRejectsBadTargets() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> SoftmaxCrossEntropy.loss(new float[6], 2, 3, new int[] {0, 3}, null));
        assertTrue(e.getMessage().contains("targets[1] must be in 0..2"), e.getMessage());
    }

    @Test
    void softmaxWithTemperature() {
        double[] p = new double[2];
        SoftmaxCrossEntropy.softmax(new float[] {0, (float) Math.log(3)}, 0, 2, 1.0, p);
        assertArrayEquals(new double[] {0.25, 0.75}, p, 1e-7);
        SoftmaxCrossEntropy.softmax(new float[] {0, (float) Math.log(3)}, 0, 2, 0.5, p);
        assertArrayEquals(new double[] {0.1, 0.9}, p, 1e-7);
        assertThrows(IllegalArgumentException.class, () -> SoftmaxCrossEntropy.softmax(new float[2], 0, 2, 0, p));
    }

    @Test
    void meanSquaredErrorValueAndGradient() {
        float[] pred = {1, 2, 3, 4}, target = {1, 0, 3, 8}, d = new float[4];
        assertEquals((0 + 4 + 0 + 16) / 4.0, MeanSquaredError.loss(pred, target, 4, d), 1e-12);
        assertArrayEquals(new float[] {0, 1, 0, -2}, d, 1e-7f);
        double eps = 1e-2;
        for (int i = 0; i < 4; i++) {
            float saved = pred[i];
            pred[i] = (float) (saved + eps);
            double up = MeanSquaredError.loss(pred, target, 4, null);
            pred[i] = (float) (saved - eps);
            double down = MeanSquaredError.loss(pred, target, 4, null);
            pred[i] = saved;
            assertEquals((up - down) / (2 * eps), d[i], 1e-4);
        }
        assertThrows(IllegalArgumentException.class, () -> MeanSquaredError.loss(new float[2], new float[3], 3, null));
    }
}
