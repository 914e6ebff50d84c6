package dev.rnn4j.spi;

import dev.rnn4j.Precision;
import java.nio.FloatBuffer;

/**
 * What a backend implements: the computation behind one {@link dev.rnn4j.Rnn}. Not for
 * application code; {@code Rnn} validates every argument (shapes, capacities, lengths, state)
 * before calling in, so implementations may trust them.
 *
 * <p>Buffers are read and written from their {@code position()}, which is not changed. Optional
 * buffers may be null: {@code h0}, {@code c0}, {@code dy}, {@code dhN}, {@code dcN} mean zeros;
 * {@code hN}, {@code cN}, {@code dx}, {@code dh0}, {@code dc0} mean "not wanted". Buffers may have
 * more room than their tensor: exactly the tensor's floats are read or written. No output shares
 * memory with an input or another output ({@link dev.rnn4j.Aliasing}), except that {@code hN} may be
 * exactly {@code h0} and {@code cN} exactly {@code c0}, possibly through different views (streaming).
 */
public interface RnnKernel extends AutoCloseable {

    /** The flat parameter buffer (PyTorch order), live: writes change the model. Position 0. */
    FloatBuffer parameters();

    /** The flat gradient buffer, same layout as {@link #parameters()}, live. Position 0. */
    FloatBuffer gradients();

    /**
     * Forward pass. In training mode, records what {@link #backward} needs.
     *
     * @param lengths {@code N} lengths in {@code 1..steps}, or null for all {@code steps}
     * @param dropoutSeed the seed of the dropout masks ({@link dev.rnn4j.Philox#dropoutKeep}); used in
     *     training when the spec has dropout and more than one layer, and recorded for the backward
     */
    void forward(int steps, int batch, int[] lengths, boolean training, FloatBuffer x, FloatBuffer h0,
            FloatBuffer c0, FloatBuffer y, FloatBuffer hN, FloatBuffer cN, long dropoutSeed);

    /**
     * Backward pass after a training forward: overwrites {@code dx, dh0, dc0} and accumulates
     * (+=) every parameter gradient into {@link #gradients()}.
     */
    void backward(FloatBuffer dy, FloatBuffer dhN, FloatBuffer dcN, FloatBuffer dx, FloatBuffer dh0, FloatBuffer dc0);

    /**
     * Whether this backend runs inference forwards in {@code precision}. The default: FP32 only.
     */
    default boolean supports(Precision precision) {
        return precision == Precision.FP32;
    }

    /**
     * Sets the precision of the following forwards, one this kernel {@link #supports}. Only
     * inference forwards are made in a precision other than FP32 ({@link dev.rnn4j.Rnn} checks).
     * It never changes {@link #parameters()}.
     */
    default void setPrecision(Precision precision) {}

    /**
     * Called when {@link #parameters()} may have changed: copies made from them (reduced-precision
     * or prepacked weights) must be remade before the next forward that uses them.
     */
    default void parametersChanged() {}

    /**
     * Called when a live view of {@link #parameters()} or {@link #gradients()} is handed to
     * application code: their memory must then stay valid after {@link #close()} (freed by the
     * garbage collector instead), so that a stale view can never read freed memory.
     */
    default void shareBuffers() {}

    /** Frees everything this kernel owns; idempotent. */
    @Override
    void close();
}
