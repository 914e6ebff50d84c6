package dev.rnn4j.spark;

import java.io.Serializable;

/**
 * The training examples of one partition, read once and cached, in the partition's order: example
 * {@code j} has its sequence {@code x[j]} ({@code [T_j, I]} step after step) and one class target
 * per step ({@code -1}: no loss at that step).
 */
final class Shard implements Serializable {
    private static final long serialVersionUID = 1L;

    final int partition;
    final float[][] x;
    final int[][] targets;

    Shard(int partition, float[][] x, int[][] targets) {
        this.partition = partition;
        this.x = x;
        this.targets = targets;
    }

    int size() {
        return x.length;
    }

    /**
     * The first row of this partition's slice of global batch {@code k} of {@code batches}: the
     * partition is cut into {@code batches} slices of (nearly) equal size, so that every partition
     * works on every step in proportion to its size. Slice {@code k} is {@code [start(k), start(k+1))}.
     */
    int start(long k, long batches) {
        return (int) (k * x.length / batches);
    }
}
