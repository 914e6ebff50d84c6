package dev.rnn4j.train;

import java.util.Objects;

/**
 * Softmax followed by the cross-entropy with integer class targets, as PyTorch's
 * {@code torch.nn.CrossEntropyLoss} with mean reduction: for {@code rows} rows of {@code classes}
 * logits, {@code loss = mean over the counted rows of -log softmax(logits[r])[target[r]]}, in nats.
 * A row whose target is {@link #IGNORE} is skipped (its gradient is 0) and not counted in the mean.
 *
 * <p>Computed stably (the row maximum is subtracted before exponentiating) with {@code double}
 * accumulation.
 */
public final class SoftmaxCrossEntropy {
    /** A target that marks a row to skip (padding). */
    public static final int IGNORE = -1;

    private SoftmaxCrossEntropy() {}

    /**
     * The mean loss and, if {@code dLogits} is not null, its gradient with respect to the logits:
     * {@code (softmax(logits[r]) - onehot(target[r])) / counted}.
     *
     * @param logits {@code [rows, classes]}; not modified
     * @param rows number of rows, at least 1
     * @param classes number of classes, at least 1
     * @param targets {@code rows} class indices in {@code 0..classes-1}, or {@link #IGNORE}
     * @param dLogits {@code [rows, classes]}, overwritten (may be {@code logits} itself); or null
     * @return the mean loss in nats over the rows not ignored (0 if all are ignored)
     * @throws IllegalArgumentException for a target out of range or arrays too short
     */
    public static double loss(float[] logits, int rows, int classes, int[] targets, float[] dLogits) {
        Objects.requireNonNull(logits, "logits must not be null");
        Objects.requireNonNull(targets, "targets must not be null");
        if (rows < 1) throw new IllegalArgumentException("rows must be positive, got " + rows);
        if (classes < 1) throw new IllegalArgumentException("classes must be positive, got " + classes);
        long need = (long) rows * classes;
        if (logits.length < need) throw new IllegalArgumentException("logits must hold rows*classes = " + need + " floats, got " + logits.length);
        if (dLogits != null && dLogits.length < need) {
            throw new IllegalArgumentException("dLogits must hold rows*classes = " + need + " floats, got " + dLogits.length);
        }
        if (targets.length < rows) throw new IllegalArgumentException("targets must have rows = " + rows + " entries, got " + targets.length);
        int counted = 0;
        for (int r = 0; r < rows; r++) {
            int t = targets[r];
            if (t == IGNORE) continue;
            if (t < 0 || t >= classes) {
                throw new IllegalArgumentException("targets[" + r + "] must be in 0.." + (classes - 1) + " or IGNORE, got " + t);
            }
            counted++;
        }
        double total = 0;
        double scale = counted == 0 ? 0 : 1.0 / counted;
        for (int r = 0; r < rows; r++) {
            int off = r * classes;
            int t = targets[r];
            if (t == IGNORE) {
                if (dLogits != null) java.util.Arrays.fill(dLogits, off, off + classes, 0f);
                continue;
            }
            float max = Float.NEGATIVE_INFINITY;
            for (int c = 0; c < classes; c++) max = Math.max(max, logits[off + c]);
            double sum = 0;
            for (int c = 0; c < classes; c++) sum += Math.exp(logits[off + c] - max);
            double logSum = Math.log(sum) + max;
            total += logSum - logits[off + t];
            if (dLogits != null) {
                for (int c = 0; c < classes; c++) {
                    double p = Math.exp(logits[off + c] - logSum);
                    dLogits[off + c] = (float) ((p - (c == t ? 1 : 0)) * scale);
                }
            }
        }
        return total * scale;
    }

    /**
     * The softmax of {@code logits[offset .. offset+classes)} divided by {@code temperature}, into
     * {@code probabilities[0 .. classes)}. Used for sampling: temperature below 1 sharpens, above 1
     * flattens.
     *
     * @throws IllegalArgumentException if {@code temperature} is not positive
     */
    public static void softmax(float[] logits, int offset, int classes, double temperature, double[] probabilities) {
        if (!(temperature > 0)) throw new IllegalArgumentException("temperature must be positive, got " + temperature);
        if (probabilities.length < classes) {
            throw new IllegalArgumentException("probabilities must hold " + classes + " values, got " + probabilities.length);
        }
        double max = Double.NEGATIVE_INFINITY;
        for (int c = 0; c < classes; c++) max = Math.max(max, logits[offset + c] / temperature);
        double sum = 0;
        for (int c = 0; c < classes; c++) {
            probabilities[c] = Math.exp(logits[offset + c] / temperature - max);
            sum += probabilities[c];
        }
        for (int c = 0; c < classes; c++) probabilities[c] /= sum;
    }
}
