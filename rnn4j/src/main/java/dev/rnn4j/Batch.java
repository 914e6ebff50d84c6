package dev.rnn4j;

import java.util.Arrays;

/**
 * The geometry of one forward call: {@code T} time steps, {@code N} sequences, and optionally the
 * length of each sequence. Immutable (the lengths are copied).
 *
 * <p>With lengths, each sequence gives exactly what running it alone would: outputs at
 * {@code t >= lengths[b]} are 0, the forward final state is the one after step {@code lengths[b]-1},
 * the reverse direction starts at step {@code lengths[b]-1}, and no work is spent on padding. The
 * lengths may come in any order; the caller's batch order is kept.
 */
public final class Batch {
    private final int steps;
    private final int size;
    private final int[] lengths;

    private Batch(int steps, int size, int[] lengths) {
        this.steps = steps;
        this.size = size;
        this.lengths = lengths;
    }

    /**
     * A batch of {@code size} sequences that all have {@code steps} steps. For sequences of their own
     * lengths use {@link #ofLengths(int, int...)}.
     *
     * @throws IllegalArgumentException if {@code steps} or {@code size} is not positive
     */
    public static Batch of(int steps, int size) {
        Checks.positive("steps (T)", steps);
        Checks.positive("batch size (N)", size);
        return new Batch(steps, size, null);
    }

    /**
     * A batch of {@code lengths.length} sequences of the given lengths, padded to {@code steps}:
     * {@code ofLengths(5, 3)} is one sequence of length 3 (whereas {@code of(5, 3)} is three of length 5).
     *
     * @param steps {@code T}, at least 1
     * @param lengths one length per sequence, each in {@code 1..T}; not modified
     * @throws IllegalArgumentException naming the first bad length, or if {@code lengths} is empty
     */
    public static Batch ofLengths(int steps, int... lengths) {
        Checks.positive("steps (T)", steps);
        if (lengths == null) throw new NullPointerException("lengths must not be null");
        if (lengths.length == 0) throw new IllegalArgumentException("lengths must have at least one entry (N >= 1), got 0");
        for (int b = 0; b < lengths.length; b++) {
            if (lengths[b] < 1 || lengths[b] > steps) {
                throw new IllegalArgumentException("lengths[" + b + "] must be in 1..T=" + steps + ", got " + lengths[b]);
            }
        }
        return new Batch(steps, lengths.length, lengths.clone());
    }

    /**
     * The old name of {@link #ofLengths(int, int...)}, easy to confuse with {@link #of(int, int)}:
     * {@code of(5, 3)} means three sequences of length 5 but {@code of(5, 3, 2)} two sequences of
     * lengths 3 and 2.
     *
     * @deprecated use {@link #ofLengths(int, int...)}
     */
    @Deprecated(since = "0.2.0", forRemoval = true)
    public static Batch of(int steps, int... lengths) {
        return ofLengths(steps, lengths);
    }

    /** {@code T}: time steps (the longest sequence, or more). */
    public int steps() {
        return steps;
    }

    /** {@code N}: number of sequences. */
    public int size() {
        return size;
    }

    /** Whether per-sequence lengths were given. */
    public boolean hasLengths() {
        return lengths != null;
    }

    /** A copy of the lengths, or null if all sequences have {@link #steps()} steps. */
    public int[] lengths() {
        return lengths == null ? null : lengths.clone();
    }

    /** Length of sequence {@code b}. */
    public int length(int b) {
        Checks.index("b", b, size);
        return lengths == null ? steps : lengths[b];
    }

    int[] lengthsUnsafe() {
        return lengths;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Batch)) return false;
        Batch b = (Batch) o;
        return steps == b.steps && size == b.size && Arrays.equals(lengths, b.lengths);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * steps + size) + Arrays.hashCode(lengths);
    }

    @Override
    public String toString() {
        return "Batch(T=" + steps + ", N=" + size + (lengths == null ? "" : ", lengths=" + Arrays.toString(lengths)) + ")";
    }
}
