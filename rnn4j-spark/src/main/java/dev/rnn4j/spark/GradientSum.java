package dev.rnn4j.spark;

import java.io.Serializable;

/**
 * The gradients of a set of mini-batches, summed: the loss summed over the counted targets (not
 * averaged) and its gradient. Partitions compute theirs in fp32 (the kernels accumulate in place);
 * sums of partitions are in fp64, so that adding the few partition sums is exact in practice and
 * the result does not depend on the order Spark's {@code treeAggregate} meets them.
 */
final class GradientSum implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The gradient (the Rnn's parameters, then the head's), or null for none (the zero). */
    double[] gradient;
    double loss;
    long counted;

    /** Adds {@code other} into this and returns this (Spark's combine). */
    GradientSum merge(GradientSum other) {
        if (other.gradient != null) {
            if (gradient == null) {
                gradient = other.gradient.clone();
            } else {
                for (int i = 0; i < gradient.length; i++) gradient[i] += other.gradient[i];
            }
        }
        loss += other.loss;
        counted += other.counted;
        return this;
    }
}
