package dev.rnn4j.spark;

import java.io.Serializable;

/**
 * The training examples of one partition, read once and cached: example {@code j} has global index
 * {@code first + j} (Spark's {@code zipWithIndex} order), its sequence {@code x[j]} ({@code [T_j, I]}
 * step after step) and one class target per step ({@code -1}: no loss at that step).
 */
final class Shard implements Serializable {
    private static final long serialVersionUID = 1L;

    final int partition;
    final long first;
    final float[][] x;
    final int[][] targets;

    Shard(int partition, long first, float[][] x, int[][] targets) {
        this.partition = partition;
        this.first = first;
        this.x = x;
        this.targets = targets;
    }

    int size() {
        return x.length;
    }
}
