package dev.rnn4j.train;

import java.util.Objects;

/**
 * The mean squared error {@code loss = mean over i of (prediction[i] - target[i])^2}, as PyTorch's
 * {@code torch.nn.MSELoss} with mean reduction.
 */
public final class MeanSquaredError {
    private MeanSquaredError() {}

    /**
     * The loss over the first {@code n} elements and, if {@code dPrediction} is not null, its
     * gradient {@code 2 (prediction - target) / n}.
     *
     * @param prediction at least {@code n} values; not modified
     * @param target at least {@code n} values; not modified
     * @param n number of elements, at least 1
     * @param dPrediction at least {@code n} values, overwritten (may be {@code prediction}); or null
     * @return the mean squared error
     */
    public static double loss(float[] prediction, float[] target, int n, float[] dPrediction) {
        Objects.requireNonNull(prediction, "prediction must not be null");
        Objects.requireNonNull(target, "target must not be null");
        if (n < 1) throw new IllegalArgumentException("n must be positive, got " + n);
        if (prediction.length < n) throw new IllegalArgumentException("prediction must hold n = " + n + " values, got " + prediction.length);
        if (target.length < n) throw new IllegalArgumentException("target must hold n = " + n + " values, got " + target.length);
        if (dPrediction != null && dPrediction.length < n) {
            throw new IllegalArgumentException("dPrediction must hold n = " + n + " values, got " + dPrediction.length);
        }
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double d = (double) prediction[i] - target[i];
            sum += d * d;
            if (dPrediction != null) dPrediction[i] = (float) (2 * d / n);
        }
        return sum / n;
    }
}
