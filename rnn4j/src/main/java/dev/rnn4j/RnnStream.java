package dev.rnn4j;

import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * Online inference over {@code N} sequences that arrive a step (or a chunk of steps) at a time.
 * Each {@link #step} continues from the state the previous one left, so feeding a sequence in
 * chunks gives the outputs of one {@link Rnn#forward} over the whole of it, within the cross-check
 * tolerance (a few ulps; not bitwise in general: the JAVA backend carries the state in fp32 between
 * calls, and the CPU backend's small-batch kernel rounds a chunk's input projection differently). Made by
 * {@link Rnn#stream(int)}; shares its {@code Rnn} and so its thread rule: every method, not only
 * {@code step}, fails fast with {@link IllegalStateException} while another thread is inside the
 * stream or the {@code Rnn}. A step is an inference forward: it replaces any training forward
 * recorded in the {@code Rnn}.
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
        enter();
        try {
            Batch batch = lastBatch;
            if (batch == null || batch.steps() != steps) {
                batch = Batch.of(steps, batchSize);
                lastBatch = batch;
            }
            step(batch, x, y);
        } finally {
            rnn.exit();
        }
    }

    private void step(Batch batch, FloatBuffer x, FloatBuffer y) {
        enter();
        try {
            rnn.forward(Mode.INFERENCE, batch, x, hBuffer, cBuffer, y, hBuffer, cBuffer);
        } finally {
            rnn.exit();
        }
    }

    /** A copy of the current hidden state {@code [L, N, Ho]}. */
    public float[] hiddenState() {
        enter();
        try {
            return h.clone();
        } finally {
            rnn.exit();
        }
    }

    /** A copy of the current cell state {@code [L, N, H]} (LSTM), or null. */
    public float[] cellState() {
        enter();
        try {
            return c == null ? null : c.clone();
        } finally {
            rnn.exit();
        }
    }

    /**
     * Replaces the state, e.g. to resume a saved stream.
     *
     * @param hidden {@code [L, N, Ho]}, required
     * @param cell {@code [L, N, H]} for LSTM (null means zeros), must be null otherwise
     */
    public void setState(float[] hidden, float[] cell) {
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
        enter();
        try {
            System.arraycopy(hidden, 0, h, 0, h.length);
            if (c != null) {
                if (cell == null) Arrays.fill(c, 0f);
                else System.arraycopy(cell, 0, c, 0, c.length);
            }
        } finally {
            rnn.exit();
        }
    }

    /** Resets the state to zeros (the start of new sequences). */
    public void reset() {
        enter();
        try {
            Arrays.fill(h, 0f);
            if (c != null) Arrays.fill(c, 0f);
        } finally {
            rnn.exit();
        }
    }

    /**
     * Ends the stream; the {@code Rnn} stays open. Idempotent.
     *
     * @throws IllegalStateException if another thread is inside this stream or its {@code Rnn}
     */
    @Override
    public void close() {
        if (closed || rnn.isClosed()) {
            closed = true;
            return;
        }
        rnn.enter();
        try {
            closed = true;
        } finally {
            rnn.exit();
        }
    }

    /**
     * Takes the shared {@code Rnn} for the calling thread (its thread rule: a second thread fails fast
     * with {@link IllegalStateException}), then checks that this stream is open. Paired with
     * {@code rnn.exit()}.
     */
    private void enter() {
        rnn.enter();
        if (closed) {
            rnn.exit();
            throw new IllegalStateException("this RnnStream is closed");
        }
    }
}
