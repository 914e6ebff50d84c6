package dev.rnn4j.train;

import dev.rnn4j.Aliasing;
import dev.rnn4j.internal.HostMirrors;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * Updates parameters from their gradients. Register each parameter tensor with its gradient
 * ({@link #add}: for example an {@link dev.rnn4j.Rnn}'s {@code parameterBuffer()} and
 * {@code gradientBuffer()}, and a {@link Linear}'s {@code parameters()} and {@code gradients()}),
 * then call {@link #step()} after each backward pass and {@link #zeroGradients()} before the next.
 *
 * <p>Buffers are used from their position to their limit (the position is not changed) and are
 * read and written in place, heap or direct. The optimizer keeps its own state (moments) per
 * registered tensor, in Java arrays.
 */
public abstract class Optimizer {
    /** One registered parameter tensor, its gradient, and the optimizer's state for it. */
    protected static final class Slot {
        /** The parameters, updated in place. */
        public final FloatBuffer params;
        /** The gradients, read by {@link #step()}. */
        public final FloatBuffer grads;
        /** Start index of the tensor in both buffers. */
        public final int offset;
        /** Number of floats. */
        public final int size;
        /** First state array (momentum, squared-gradient sum, first moment), or null. */
        public float[] state1;
        /** Second state array (second moment), or null. */
        public float[] state2;

        Slot(FloatBuffer params, FloatBuffer grads) {
            this.params = params;
            this.grads = grads;
            this.offset = params.position();
            this.size = params.remaining();
        }
    }

    private final List<Slot> slots = new ArrayList<>();
    private final List<FloatBuffer> gradients = new ArrayList<>();
    private double learningRate;
    private long steps;

    /** @param learningRate the step size, positive */
    protected Optimizer(double learningRate) {
        setLearningRate(learningRate);
    }

    /**
     * Registers a parameter tensor and its gradient.
     *
     * @param params the parameters (position to limit), updated in place by {@link #step()}
     * @param grads the gradients, same number of floats remaining
     * @return this
     * @throws IllegalArgumentException if the sizes differ, {@code params} is read-only, or either
     *     shares memory with the other or with a tensor already added (each tensor once; see
     *     {@link Aliasing})
     */
    public Optimizer add(FloatBuffer params, FloatBuffer grads) {
        Objects.requireNonNull(params, "params must not be null");
        Objects.requireNonNull(grads, "grads must not be null");
        if (params.remaining() != grads.remaining()) {
            throw new IllegalArgumentException("params has " + params.remaining() + " floats remaining but grads has "
                    + grads.remaining());
        }
        if (params.isReadOnly()) throw new IllegalArgumentException("params is read-only");
        int n = params.remaining();
        if (Aliasing.overlap(params, n, grads, n)) {
            throw new IllegalArgumentException("params and grads share memory: each needs its own " + n + " floats");
        }
        for (int i = 0; i < slots.size(); i++) {
            Slot s = slots.get(i);
            FloatBuffer p = s.params.duplicate().position(s.offset), g = s.grads.duplicate().position(s.offset);
            if (Aliasing.overlap(params, n, p, s.size)) {
                throw new IllegalArgumentException("params shares memory with the parameters of tensor " + i
                        + " (" + s.size + " floats) already added: each tensor may be registered once");
            }
            if (Aliasing.overlap(params, n, g, s.size) || Aliasing.overlap(grads, n, p, s.size)) {
                throw new IllegalArgumentException("params or grads shares memory with tensor " + i
                        + " already added (its parameters or gradients)");
            }
        }
        if (grads.position() != params.position()) {
            // Offsets may differ; both are read relative to their own position.
            Slot s = new Slot(params.slice(), grads.slice());
            register(s, grads.slice());
        } else {
            register(new Slot(params.duplicate(), grads.duplicate()), grads.duplicate());
        }
        return this;
    }

    private void register(Slot s, FloatBuffer g) {
        init(s);
        slots.add(s);
        gradients.add(g);
    }

    /** Prepares the state of a newly registered tensor. */
    protected abstract void init(Slot slot);

    /** Applies one update to one tensor; {@code step} counts from 1. */
    protected abstract void update(Slot slot, float lr, long step);

    /** Applies one update to every registered tensor from its current gradient. */
    public void step() {
        steps++;
        float lr = (float) learningRate;
        for (Slot s : slots) {
            // the CUDA backend keeps gradients on the GPU until read, and uploads changed parameters
            HostMirrors.reading(s.grads);
            update(s, lr, steps);
            HostMirrors.written(s.params);
        }
    }

    /** Sets every registered gradient to zero. */
    public void zeroGradients() {
        for (Slot s : slots) {
            for (int i = 0; i < s.size; i++) s.grads.put(s.offset + i, 0f);
            HostMirrors.zeroed(s.grads);
        }
    }

    /**
     * The registered gradients (views from their start to their end), for example for {@link
     * GradientClipping}.
     */
    public List<FloatBuffer> gradients() {
        return Collections.unmodifiableList(gradients);
    }

    /**
     * The optimizer's state, for a checkpoint: per registered tensor in registration order, its
     * state arrays ({@code [first, second]} moments for Adam, {@code [sum of squares]} for Adagrad,
     * {@code [velocity]} for SGD with momentum, none for plain SGD). Copies.
     */
    public List<float[][]> state() {
        List<float[][]> out = new ArrayList<>();
        for (Slot s : slots) {
            List<float[]> arrays = new ArrayList<>();
            if (s.state1 != null) arrays.add(s.state1.clone());
            if (s.state2 != null) arrays.add(s.state2.clone());
            out.add(arrays.toArray(new float[0][]));
        }
        return out;
    }

    /**
     * Restores a state from {@link #state()} and the step count, to resume training where a
     * checkpoint left it. The same tensors must have been registered in the same order.
     *
     * @throws IllegalArgumentException if the number of tensors or any array's length differs
     *     (nothing is changed then)
     */
    public void restore(long steps, List<float[][]> state) {
        Objects.requireNonNull(state, "state must not be null");
        if (steps < 0) throw new IllegalArgumentException("steps must not be negative, got " + steps);
        if (state.size() != slots.size()) {
            throw new IllegalArgumentException("state has " + state.size() + " tensors, this optimizer has " + slots.size()
                    + " registered");
        }
        for (int i = 0; i < slots.size(); i++) {
            Slot s = slots.get(i);
            float[][] a = state.get(i);
            int expected = (s.state1 != null ? 1 : 0) + (s.state2 != null ? 1 : 0);
            if (a == null || a.length != expected) {
                throw new IllegalArgumentException("state of tensor " + i + " must have " + expected + " arrays, got "
                        + (a == null ? "null" : a.length));
            }
            for (float[] v : a) {
                if (v == null || v.length != s.size) {
                    throw new IllegalArgumentException("state of tensor " + i + " must have arrays of " + s.size + " floats, got "
                            + (v == null ? "null" : v.length));
                }
            }
        }
        for (int i = 0; i < slots.size(); i++) {
            Slot s = slots.get(i);
            float[][] a = state.get(i);
            int k = 0;
            if (s.state1 != null) System.arraycopy(a[k++], 0, s.state1, 0, s.size);
            if (s.state2 != null) System.arraycopy(a[k], 0, s.state2, 0, s.size);
        }
        this.steps = steps;
    }

    /** Number of {@link #step()} calls so far. */
    public long steps() {
        return steps;
    }

    /** The current step size. */
    public double learningRate() {
        return learningRate;
    }

    /**
     * Changes the step size (for a schedule).
     *
     * @throws IllegalArgumentException if it is not positive and finite
     */
    public void setLearningRate(double learningRate) {
        if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
            throw new IllegalArgumentException("learningRate must be positive, got " + learningRate);
        }
        this.learningRate = learningRate;
    }
}
