package dev.rnn4j.spark;

import dev.rnn4j.Backend;
import dev.rnn4j.Batch;
import dev.rnn4j.Mode;
import dev.rnn4j.Rnn;
import dev.rnn4j.RnnSpec;
import dev.rnn4j.train.Linear;
import dev.rnn4j.train.SoftmaxCrossEntropy;
import java.io.Serializable;
import java.nio.FloatBuffer;

/**
 * What a partition does in one training step: the loss and its gradient over its slice of the
 * step's global batch ({@link Shard#start}), cut into mini-batches of {@code miniBatch} examples (in index order). The
 * same code runs in {@link DataParallelTrainer}'s single-JVM loop, which is what makes the two
 * comparable bit for bit.
 *
 * <p>Per mini-batch: the Rnn's forward over the sequences of their own lengths, the head on every
 * step's last-layer output, softmax cross-entropy against the step's target, and back. The loss is
 * summed, not averaged (the driver divides by the global batch's count of targets), so the dLogits
 * of each mini-batch are scaled by its own count.
 */
final class GradientTask implements Serializable {
    private static final long serialVersionUID = 1L;

    final RnnSpec spec;
    final int classes;
    final boolean headBias;
    final int miniBatch;
    final RnnInference.Compute compute;

    GradientTask(RnnSpec spec, int classes, boolean headBias, int miniBatch, RnnInference.Compute compute) {
        this.spec = spec;
        this.classes = classes;
        this.headBias = headBias;
        this.miniBatch = miniBatch;
        this.compute = compute;
    }

    /** The sum over {@code shard}'s slice of global batch {@code k} of {@code batches}; an empty sum if it has no rows. */
    GradientSum compute(Shard shard, long k, long batches, float[] rnnParameters, float[] headParameters) {
        GradientSum sum = new GradientSum();
        int lo = shard.start(k, batches), hi = shard.start(k + 1, batches);
        if (lo >= hi) return sum;
        Rnn rnn = Rnn.create(spec, TaskResources.backend(compute));
        Runnable close = TaskResources.closeAtTaskEnd(rnn);
        try {
            rnn.setParameters(rnnParameters);
            Linear head = new Linear(spec.outputFeatures(), classes, headBias);
            head.parameters().put(0, headParameters);
            for (int start = lo; start < hi; start += miniBatch) {
                miniBatch(shard, start, Math.min(hi, start + miniBatch), rnn, head, sum);
            }
            float[] g = rnn.gradients();
            float[] hg = new float[head.parameterCount()];
            head.gradients().get(0, hg);
            sum.gradient = new double[g.length + hg.length];
            for (int i = 0; i < g.length; i++) sum.gradient[i] = g[i];
            for (int i = 0; i < hg.length; i++) sum.gradient[g.length + i] = hg[i];
            return sum;
        } finally {
            close.run();
        }
    }

    private void miniBatch(Shard shard, int lo, int hi, Rnn rnn, Linear head, GradientSum sum) {
        int n = hi - lo, in = spec.inputSize(), features = spec.outputFeatures();
        int[] lengths = new int[n];
        int steps = 0, rows = 0;
        for (int b = 0; b < n; b++) {
            lengths[b] = shard.targets[lo + b].length;
            steps = Math.max(steps, lengths[b]);
            rows += lengths[b];
        }
        boolean batchFirst = spec.batchFirst();
        float[] x = new float[steps * n * in];
        for (int b = 0; b < n; b++) {
            float[] seq = shard.x[lo + b];
            for (int t = 0; t < lengths[b]; t++) System.arraycopy(seq, t * in, x, index(batchFirst, t, b, n, steps) * in, in);
        }
        float[] y = new float[steps * n * features];
        rnn.forward(Mode.TRAINING, Batch.ofLengths(steps, lengths), FloatBuffer.wrap(x), null, null, FloatBuffer.wrap(y),
                null, null);
        // the valid steps' outputs, sequence after sequence, and their targets
        float[] yRows = new float[rows * features];
        int[] targets = new int[rows];
        for (int b = 0, r = 0; b < n; b++) {
            for (int t = 0; t < lengths[b]; t++, r++) {
                System.arraycopy(y, index(batchFirst, t, b, n, steps) * features, yRows, r * features, features);
                targets[r] = shard.targets[lo + b][t];
            }
        }
        float[] logits = new float[rows * classes];
        head.forward(yRows, rows, logits);
        int counted = 0;
        for (int t : targets) if (t != SoftmaxCrossEntropy.IGNORE) counted++;
        if (counted == 0) return; // nothing to learn from; a backward would add zeros
        double mean = SoftmaxCrossEntropy.loss(logits, rows, classes, targets, logits);
        for (int i = 0; i < logits.length; i++) logits[i] *= counted; // d(sum of losses), not d(mean)
        sum.loss += mean * counted;
        sum.counted += counted;
        float[] dyRows = new float[rows * features];
        head.backward(yRows, logits, rows, dyRows);
        float[] dy = new float[steps * n * features];
        for (int b = 0, r = 0; b < n; b++) {
            for (int t = 0; t < lengths[b]; t++, r++) {
                System.arraycopy(dyRows, r * features, dy, index(batchFirst, t, b, n, steps) * features, features);
            }
        }
        rnn.backward(FloatBuffer.wrap(dy), null, null, null, null, null);
    }

    /** Where step {@code t} of sequence {@code b} is in a {@code [T, N, .]} or {@code [N, T, .]} tensor, in rows. */
    private static int index(boolean batchFirst, int t, int b, int n, int steps) {
        return batchFirst ? b * steps + t : t * n + b;
    }
}
