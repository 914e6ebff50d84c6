package dev.rnn4j;

import java.nio.FloatBuffer;
import java.util.Objects;

/**
 * Online inference over {@code N} sequences that arrive a step (or a chunk of steps) at a time.
 * Each {@link #step} continues from the state the previous one left, so feeding a sequence in
 * chunks gives exactly the outputs of one {@link Rnn#forward} over the whole of it. Made by
 * {@link Rnn#stream(int)}; shares its {@code Rnn} (and so its thread rule). A step is an inference
 * forward: it replaces any training forward recorded in the {@code Rnn}.
 */
public final class RnnStream implements AutoCloseable {
    private final Rnn rnn;
    private final int batchSize;
    private final float[] h;
    private final float[] c;
    private final FloatBuffer hBuffer;
    private final FloatBuffer cBuffer;
    private boolean closed;
    private Batch lastBatch;

    RnnStream(Rnn rnn, int batchSize) {
        this.rnn = rnn;
        this.batchSize = batchSize;
        RnnSpec spec = rnn.spec();
        this.h = new float[Checks.product("h", spec.stateRows(), batchSize, spec.outputSize())];
        this.c = spec.cell().hasCellState() ? new float[Checks.product("c", spec.stateRows(), batchSize, spec.hiddenSize())] : null;
        this.hBuffer = FloatBuffer.wrap(h);
        this.cBuffer = c == null ? null : FloatBuffer.wrap(c);
    }

    /** {@code N}: the number of sequences in the stream. */
    public int batchSize() {
        return batchSize;
    }

    /**
     * Processes the next {@code steps} steps of every sequence; returns their outputs.
     *
     * @param x {@code [steps, N, I]} ({@code [N, steps, I]} if batch-first)
     * @return {@code y} {@code [steps, N, Ho]} ({@code [N, steps, Ho]} if batch-first)
     */
    public float[] step(float[] x, int steps) {
        Objects.requireNonNull(x, "x must not be null");
        Batch batch = Batch.of(steps, batchSize);
        int expected = Checks.product("x", steps, batchSize, rnn.spec().inputSize());
        if (x.length != expected) {
            throw new IllegalArgumentException("x must have steps*N*I = " + steps + "*" + batchSize + "*"
                    + rnn.spec().inputSize() + " = " + expected + " floats, got " + x.length);
        }
        float[] y = new float[Checks.product("y", steps, batchSize, rnn.spec().outputFeatures())];
        step(batch, FloatBuffer.wrap(x), FloatBuffer.wrap(y));
        return y;
    }

    /**
     * Processes the next {@code steps} steps into a caller-owned output; allocates nothing when
     * {@code steps} is the same as in the previous call.
     */
    public void step(FloatBuffer x, int steps, FloatBuffer y) {
        Batch batch = lastBatch;
        if (batch == null || batch.steps() != steps) {
            batch = Batch.of(steps, batchSize);
            lastBatch = batch;
        }
        step(batch, x, y);
    }

    private void step(Batch batch, FloatBuffer x, FloatBuffer y) {
        ensureOpen();
        rnn.forward(Mode.INFERENCE, batch, x, hBuffer, cBuffer, y, hBuffer, cBuffer);
    }

    /** A copy of the current hidden state {@code [L, N, Ho]}. */
    public float[] hiddenState() {
        ensureOpen();
        return h.clone();
    }

    /** A copy of the current cell state {@code [L, N, H]} (LSTM), or null. */
    public float[] cellState() {
        ensureOpen();
        return c == null ? null : c.clone();
    }

    /**
     * Replaces the state, e.g. to resume a saved stream.
     *
     * @param hidden {@code [L, N, Ho]}, required
     * @param cell {@code [L, N, H]} for LSTM (null means zeros), must be null otherwise
     */
    public void setState(float[] hidden, float[] cell) {
        ensureOpen();
        Objects.requireNonNull(hidden, "hidden must not be null");
        if (hidden.length != h.length) {
            throw new IllegalArgumentException("hidden must have L*N*Ho = " + h.length + " floats, got " + hidden.length);
        }
        if (c == null && cell != null) {
            throw new IllegalArgumentException("cell must be null: " + rnn.spec().cell() + " has no cell state");
        }
        if (c != null && cell != null && cell.length != c.length) {
            throw new IllegalArgumentException("cell must have L*N*H = " + c.length + " floats, got " + cell.length);
        }
        System.arraycopy(hidden, 0, h, 0, h.length);
        if (c != null) {
            if (cell == null) java.util.Arrays.fill(c, 0f);
            else System.arraycopy(cell, 0, c, 0, c.length);
        }
    }

    /** Resets the state to zeros (the start of new sequences). */
    public void reset() {
        ensureOpen();
        java.util.Arrays.fill(h, 0f);
        if (c != null) java.util.Arrays.fill(c, 0f);
    }

    /** Ends the stream; the {@code Rnn} stays open. */
    @Override
    public void close() {
        closed = true;
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("this RnnStream is closed");
        if (rnn.isClosed()) throw new IllegalStateException("the Rnn of this stream is closed");
    }
}
