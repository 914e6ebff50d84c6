package dev.rnn4j.reference;

import dev.rnn4j.Philox;
import dev.rnn4j.Precision;
import dev.rnn4j.RnnSpec;
import java.util.Arrays;
import java.util.Objects;

/**
 * The pure-Java reference implementation of an {@link RnnSpec}: forward pass and backpropagation
 * through time, in {@code double}, written to be read as the specification (docs/DESIGN.md §1) and used
 * as the oracle every native kernel is tested against. It is also the fallback backend where no
 * native library loads.
 *
 * <p>Semantics are PyTorch's: gate orders LSTM {@code i, f, g, o} and GRU {@code r, z, n} (reset
 * after the recurrent product, two biases, or before it as an option), the optional LSTM
 * projection and clips, stacked layers (layer {@code k >= 1} reads the concatenated output of layer
 * {@code k-1}, through dropout when a {@link DropoutMask} is given), bidirectional
 * (the forward direction's half of each output step first), and variable lengths in which every
 * sequence gives exactly what running it alone would.
 *
 * <p>Shapes: {@code x} {@code [T, N, I]} ({@code [N, T, I]} if {@link RnnSpec#batchFirst()}),
 * {@code y} and {@code dy} {@code [T, N, D*Ho]} (or batch-first), {@code h0, hN, dhN, dh0}
 * {@code [L*D, N, Ho]} and {@code c0, cN, dcN, dc0} {@code [L*D, N, H]}, state row {@code k*D + d};
 * parameters and gradients in the flat layout of {@link RnnSpec#parameterLayout()}.
 *
 * <p>Stateless apart from its spec: one instance may be used from several threads at once. Every
 * call allocates its own buffers; no argument array is modified except {@code grads}.
 */
public final class ReferenceRnn {
    private final RnnSpec spec;

    /**
     * A reference RNN for {@code spec}.
     *
     * @param spec what to compute, not null
     */
    public ReferenceRnn(RnnSpec spec) {
        this.spec = Objects.requireNonNull(spec, "spec must not be null");
    }

    /** The spec this RNN computes. */
    public RnnSpec spec() {
        return spec;
    }

    /**
     * Runs the forward pass and records everything the backward pass needs.
     *
     * @param params the parameters, {@code spec.parameterCount()} values in the layout of
     *     {@link RnnSpec#parameterLayout()}
     * @param x the input, {@code [T, N, I]} ({@code [N, T, I]} if batch-first)
     * @param T time steps, at least 1
     * @param N batch size, at least 1
     * @param lengths null (every sequence has {@code T} steps) or {@code N} lengths in {@code 1..T},
     *     any order, ties allowed
     * @param h0 the initial hidden state {@code [L*D, N, Ho]}, or null for zeros
     * @param c0 the initial cell state {@code [L*D, N, H]} for LSTM, or null for zeros; must be null
     *     for other cells
     * @return the outputs {@code y}, {@code hN}, {@code cN} and the saved activations
     * @throws IllegalArgumentException naming the argument when a size or an array length is wrong
     */
    public Trace forward(double[] params, double[] x, int T, int N, int[] lengths, double[] h0, double[] c0) {
        return forward(Precision.FP32, params, x, T, N, lengths, h0, c0, null);
    }

    /**
     * {@link #forward(double[], double[], int, int, int[], double[], double[])} with dropout between
     * layers (training): the output of every layer but the last is multiplied by
     * {@code keep ? 1/(1-p) : 0} ({@code p} = {@link RnnSpec#dropout()}) before the next layer
     * reads it; {@link #backward} applies the same factors. {@code hN} is not dropped (as PyTorch).
     *
     * @param dropout which units are kept ({@link DropoutMask#philox} for rnn4j's own masks, or a
     *     mask given explicitly), or null for no dropout (inference)
     */
    public Trace forward(double[] params, double[] x, int T, int N, int[] lengths, double[] h0, double[] c0,
            DropoutMask dropout) {
        return forward(Precision.FP32, params, x, T, N, lengths, h0, c0, dropout);
    }

    /**
     * {@link #forward(double[], double[], int, int, int[], double[], double[])} in a reduced
     * precision ({@link Precision}): BF16 rounds the weight matrices to bfloat16 and each step's
     * {@code x}, {@code h} (and LSTM projection input) to bfloat16 before its product, and computes
     * the rest as FP32 does; INT8 quantizes each weight row once and each step's {@code x}, {@code h} (and
     * LSTM projection input) per batch row, sums the integer products exactly, and dequantizes
     * before the biases ({@link LowPrecision}). A trace made in BF16 or INT8 cannot be used for
     * {@link #backward} (training is FP32 only).
     *
     * @param precision the scheme, not null
     */
    public Trace forward(Precision precision, double[] params, double[] x, int T, int N, int[] lengths, double[] h0,
            double[] c0) {
        return forward(precision, params, x, T, N, lengths, h0, c0, null);
    }

    /**
     * The forward pass in a precision with dropout masks (or null): see the overloads above.
     *
     * @param precision the scheme, not null
     * @param dropout the dropout masks, or null for none
     */
    public Trace forward(Precision precision, double[] params, double[] x, int T, int N, int[] lengths, double[] h0,
            double[] c0, DropoutMask dropout) {
        Objects.requireNonNull(precision, "precision must not be null");
        final int L = spec.layers(), D = spec.directions(), H = spec.hiddenSize(), Ho = spec.outputSize();
        final boolean lstm = spec.cell().hasCellState();
        if (T < 1) throw new IllegalArgumentException("T must be at least 1, got " + T);
        if (N < 1) throw new IllegalArgumentException("N must be at least 1, got " + N);
        requireLength("params", params, spec.parameterCount(), "spec.parameterCount()");
        requireLength("x", x, size("x", T, N, spec.inputSize()), spec.batchFirst() ? "[N, T, I]" : "[T, N, I]");
        int[] len = checkLengths(lengths, T, N);
        int stateH = size("h0", L * D, N, Ho), stateC = size("c0", L * D, N, H);
        if (h0 != null) requireLength("h0", h0, stateH, "[L*D, N, Ho]");
        if (c0 != null && !lstm) {
            throw new IllegalArgumentException("c0 must be null for " + spec.cell() + ", which has no cell state");
        }
        if (c0 != null) requireLength("c0", c0, stateC, "[L*D, N, H]");
        // The largest per-step buffers this call allocates must fit in Java arrays.
        size("y", T, N, D * Ho);
        size("the saved activations", T, N, Math.max(7 * H, Math.max(spec.inputSize(), D * Ho)));

        precision.check(spec);
        if (precision == Precision.BF16) params = LowPrecision.bf16Weights(spec, params);
        Trace tr = new Trace(spec, T, N, lengths == null ? null : lengths.clone(), len);
        tr.precision = precision;
        tr.h0 = h0 == null ? new double[stateH] : h0.clone();
        tr.c0 = lstm ? (c0 == null ? new double[stateC] : c0.clone()) : null;
        tr.hN = new double[stateH];
        tr.cN = lstm ? new double[stateC] : null;

        double[] in = spec.batchFirst() ? swapTN(x, N, T, spec.inputSize()) : x.clone();
        for (int k = 0; k < L; k++) {
            tr.inputs[k] = in;
            double[] out = new double[T * N * D * Ho];
            for (int d = 0; d < D; d++) {
                RecurrentCell cell = RecurrentCell.create(spec, k, d);
                if (precision == Precision.INT8) cell.useInt8(spec, params, k, d);
                if (precision == Precision.BF16) cell.useBf16();
                double[] hs = new double[T * N * Ho];
                double[] cs = lstm ? new double[T * N * H] : null;
                double[] cache = new double[T * N * cell.cacheWidth()];
                tr.hs[k][d] = hs;
                tr.cs[k][d] = cs;
                tr.cache[k][d] = cache;
                int row = k * D + d;
                for (int b = 0; b < N; b++) {
                    // The state entering the first step of this sequence: h0/c0 of this layer, direction and sequence.
                    double[] hPrev = tr.h0, cPrev = tr.c0;
                    int hPrevO = (row * N + b) * Ho, cPrevO = (row * N + b) * H;
                    for (int s = 0; s < len[b]; s++) {
                        int t = timeOf(d, s, len[b]);
                        int tb = t * N + b;
                        cell.forwardStep(params, in, tb * cell.input, hPrev, hPrevO, cPrev, cPrevO,
                                hs, tb * Ho, cs, tb * H, cache, tb * cell.cacheWidth());
                        System.arraycopy(hs, tb * Ho, out, tb * D * Ho + d * Ho, Ho);
                        hPrev = hs;
                        hPrevO = tb * Ho;
                        cPrev = cs;
                        cPrevO = tb * H;
                    }
                    // Final state: after this sequence's own last step (t = len-1 forward, t = 0 reverse).
                    System.arraycopy(hPrev, hPrevO, tr.hN, (row * N + b) * Ho, Ho);
                    if (lstm) System.arraycopy(cPrev, cPrevO, tr.cN, (row * N + b) * H, H);
                }
            }
            if (dropout != null && k < L - 1) {
                // The next layer reads out ⊙ factor; y (the last layer's output) and hN are never dropped.
                double scale = 1.0 / (1.0 - spec.dropout());
                double[] factor = new double[out.length];
                double[] dropped = new double[out.length];
                for (int t = 0; t < T; t++) {
                    for (int b = 0; b < N; b++) {
                        for (int d = 0; d < D; d++) {
                            for (int u = 0; u < Ho; u++) {
                                int at = (t * N + b) * D * Ho + d * Ho + u;
                                factor[at] = dropout.keep(k, d, t, b, u) ? scale : 0.0;
                                dropped[at] = out[at] * factor[at];
                            }
                        }
                    }
                }
                tr.dropFactor[k] = factor;
                in = dropped;
            } else {
                in = out;
            }
        }
        tr.y = spec.batchFirst() ? swapTN(in, T, N, D * Ho) : in;
        return tr;
    }

    /**
     * Backpropagation through time: the vector-Jacobian products of the loss
     * {@code Σ y⊙dy + Σ hN⊙dhN + Σ cN⊙dcN} through the forward pass recorded in {@code trace}.
     *
     * @param params the same parameter values the forward pass used
     * @param trace what {@link #forward} returned for an RNN of the same spec
     * @param dy the gradient of {@code y}, {@code [T, N, D*Ho]} (or batch-first), or null for zeros;
     *     values at padded positions ({@code t >= lengths[b]}) are ignored
     * @param dhN the gradient of {@code hN}, {@code [L*D, N, Ho]}, or null for zeros
     * @param dcN the gradient of {@code cN}, {@code [L*D, N, H]} (LSTM only), or null for zeros
     * @param grads the parameter gradients, ADDED to ({@code +=}), same layout as {@code params}; or
     *     null to skip parameter gradients
     * @return {@code dx} (freshly allocated; exactly 0 at padded positions), {@code dh0}, {@code dc0}
     * @throws IllegalArgumentException naming the argument when an array length is wrong or the
     *     trace belongs to another spec
     */
    public Gradients backward(double[] params, Trace trace, double[] dy, double[] dhN, double[] dcN, double[] grads) {
        final int L = spec.layers(), D = spec.directions(), H = spec.hiddenSize(), Ho = spec.outputSize();
        final boolean lstm = spec.cell().hasCellState();
        if (trace == null) throw new IllegalArgumentException("trace must not be null");
        if (!trace.spec.equals(spec)) {
            throw new IllegalArgumentException("trace was recorded for " + trace.spec + ", not for " + spec);
        }
        if (trace.precision != Precision.FP32) {
            throw new IllegalArgumentException("trace was recorded in " + trace.precision
                    + "; backward needs a forward in Precision.FP32 (training is fp32 only)");
        }
        final int T = trace.steps, N = trace.batch;
        final int[] len = trace.len;
        requireLength("params", params, spec.parameterCount(), "spec.parameterCount()");
        if (dy != null) requireLength("dy", dy, T * N * D * Ho, spec.batchFirst() ? "[N, T, D*Ho]" : "[T, N, D*Ho]");
        if (dhN != null) requireLength("dhN", dhN, L * D * N * Ho, "[L*D, N, Ho]");
        if (dcN != null && !lstm) {
            throw new IllegalArgumentException("dcN must be null for " + spec.cell() + ", which has no cell state");
        }
        if (dcN != null) requireLength("dcN", dcN, L * D * N * H, "[L*D, N, H]");
        if (grads != null) requireLength("grads", grads, spec.parameterCount(), "spec.parameterCount()");

        Gradients g = new Gradients();
        g.dh0 = new double[L * D * N * Ho];
        g.dc0 = lstm ? new double[L * D * N * H] : null;
        // dOut: gradient of the current layer's output, sequence-major. For the top layer it is dy.
        double[] dOut = dy == null ? new double[T * N * D * Ho]
                : spec.batchFirst() ? swapTN(dy, N, T, D * Ho) : dy;
        for (int k = L - 1; k >= 0; k--) {
            double[] in = trace.inputs[k];
            int ik = spec.layerInputSize(k);
            // Gradient of this layer's input; both directions add into it. Never-written (padded) positions stay 0.
            double[] dIn = new double[T * N * ik];
            for (int d = 0; d < D; d++) {
                RecurrentCell cell = RecurrentCell.create(spec, k, d);
                double[] hs = trace.hs[k][d], cs = trace.cs[k][d], cache = trace.cache[k][d];
                double[] dh = new double[Ho], dhPrev = new double[Ho];
                double[] dc = new double[H], dcPrev = new double[H];
                int row = k * D + d;
                for (int b = 0; b < N; b++) {
                    // Start from the gradient of the final state of this sequence.
                    for (int j = 0; j < Ho; j++) dh[j] = dhN == null ? 0.0 : dhN[(row * N + b) * Ho + j];
                    for (int j = 0; j < H; j++) dc[j] = dcN == null ? 0.0 : dcN[(row * N + b) * H + j];
                    // Walk this sequence's steps in the opposite order to the forward pass.
                    for (int s = len[b] - 1; s >= 0; s--) {
                        int t = timeOf(d, s, len[b]);
                        int tb = t * N + b;
                        double[] hPrev, cPrev;
                        int hPrevO, cPrevO;
                        if (s == 0) {
                            hPrev = trace.h0;
                            cPrev = trace.c0;
                            hPrevO = (row * N + b) * Ho;
                            cPrevO = (row * N + b) * H;
                        } else {
                            int tp = timeOf(d, s - 1, len[b]) * N + b;
                            hPrev = hs;
                            cPrev = cs;
                            hPrevO = tp * Ho;
                            cPrevO = tp * H;
                        }
                        // The output y[t, b] of this direction is h at step t: its upstream gradient joins dh.
                        int yo = tb * D * Ho + d * Ho;
                        for (int j = 0; j < Ho; j++) dh[j] += dOut[yo + j];
                        cell.backwardStep(params, in, tb * ik, hPrev, hPrevO, cPrev, cPrevO, hs, tb * Ho,
                                cs, tb * H, cache, tb * cell.cacheWidth(), dh, dc, dIn, tb * ik, dhPrev, dcPrev, grads);
                        double[] tmp = dh;
                        dh = dhPrev;
                        dhPrev = tmp;
                        tmp = dc;
                        dc = dcPrev;
                        dcPrev = tmp;
                    }
                    System.arraycopy(dh, 0, g.dh0, (row * N + b) * Ho, Ho);
                    if (lstm) System.arraycopy(dc, 0, g.dc0, (row * N + b) * H, H);
                }
            }
            if (k > 0 && trace.dropFactor[k - 1] != null) {
                double[] factor = trace.dropFactor[k - 1];
                for (int i = 0; i < dIn.length; i++) dIn[i] *= factor[i];
            }
            dOut = dIn;
        }
        g.dx = spec.batchFirst() ? swapTN(dOut, T, N, spec.inputSize()) : dOut;
        return g;
    }

    /** The time index of the {@code s}-th step of a sequence of length {@code len} in direction {@code d}. */
    private static int timeOf(int d, int s, int len) {
        return d == 0 ? s : len - 1 - s;
    }

    /** Swaps the first two axes of {@code [A, B, F]}, giving {@code [B, A, F]}. */
    static double[] swapTN(double[] a, int dimA, int dimB, int features) {
        double[] out = new double[a.length];
        for (int i = 0; i < dimA; i++) {
            for (int j = 0; j < dimB; j++) {
                System.arraycopy(a, (i * dimB + j) * features, out, (j * dimA + i) * features, features);
            }
        }
        return out;
    }

    private static int[] checkLengths(int[] lengths, int T, int N) {
        int[] len = new int[N];
        if (lengths == null) {
            Arrays.fill(len, T);
            return len;
        }
        if (lengths.length != N) {
            throw new IllegalArgumentException("lengths must have N = " + N + " values, got " + lengths.length);
        }
        for (int b = 0; b < N; b++) {
            if (lengths[b] < 1 || lengths[b] > T) {
                throw new IllegalArgumentException("lengths[" + b + "] must be in 1..T = 1.." + T + ", got " + lengths[b]);
            }
            len[b] = lengths[b];
        }
        return len;
    }

    private static int size(String what, int a, int b, int c) {
        long p = (long) a * b * c;
        if (p > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(what + " would need " + a + "*" + b + "*" + c + " = " + p
                    + " elements, more than one Java array holds");
        }
        return (int) p;
    }

    private static void requireLength(String name, double[] a, int expected, String shape) {
        if (a == null) throw new IllegalArgumentException(name + " must not be null");
        if (a.length != expected) {
            throw new IllegalArgumentException(name + " must have " + expected + " elements " + shape + ", got " + a.length);
        }
    }

    /**
     * The result of {@link #forward}: the outputs, plus the activations saved for
     * {@link #backward}. The arrays returned by the accessors are the trace's own (not copies) for
     * {@code y}, {@code hN} and {@code cN}; changing them does not affect a later backward pass,
     * which reads only the saved activations.
     */
    public static final class Trace {
        private final RnnSpec spec;
        private final int steps, batch;
        private final int[] lengths;
        /** Effective length of every sequence ({@code T} when no lengths were given). */
        final int[] len;
        /** Per layer: its input, sequence-major {@code [T, N, I_k]}. */
        final double[][] inputs;
        /** Per layer below the top: the dropout factor (0 or 1/(1-p)) of each element of its output, or null. */
        final double[][] dropFactor;
        /** Per layer and direction: h after each step {@code [T, N, Ho]}, c {@code [T, N, H]} (LSTM), the cell cache. */
        final double[][][] hs, cs, cache;
        double[] h0, c0, y, hN, cN;
        Precision precision = Precision.FP32;

        Trace(RnnSpec spec, int steps, int batch, int[] lengths, int[] len) {
            this.spec = spec;
            this.steps = steps;
            this.batch = batch;
            this.lengths = lengths;
            this.len = len;
            this.inputs = new double[spec.layers()][];
            this.dropFactor = new double[spec.layers()][];
            this.hs = new double[spec.layers()][spec.directions()][];
            this.cs = new double[spec.layers()][spec.directions()][];
            this.cache = new double[spec.layers()][spec.directions()][];
        }

        /** The spec of the RNN that recorded this trace. */
        public RnnSpec spec() {
            return spec;
        }

        /** The output {@code y}, {@code [T, N, D*Ho]} ({@code [N, T, D*Ho]} if batch-first), 0 at padded steps. */
        public double[] y() {
            return y;
        }

        /** The final hidden state {@code hN}, {@code [L*D, N, Ho]}. */
        public double[] hN() {
            return hN;
        }

        /** The final cell state {@code cN}, {@code [L*D, N, H]}, or null unless the cell is LSTM. */
        public double[] cN() {
            return cN;
        }

        /** {@code T}, the number of time steps. */
        public int steps() {
            return steps;
        }

        /** {@code N}, the batch size. */
        public int batch() {
            return batch;
        }

        /** A copy of the sequence lengths given to {@link #forward}, or null if none were. */
        public int[] lengths() {
            return lengths == null ? null : lengths.clone();
        }
    }

    /**
     * Which units dropout keeps: a pure function of the position in the output of layer
     * {@code layer} (below the top), direction, time step, batch row (the caller's order) and unit
     * ({@code 0 <= unit < Ho}).
     */
    @FunctionalInterface
    public interface DropoutMask {
        /** Whether the unit at this position is kept (then scaled by {@code 1/(1-p)}). */
        boolean keep(int layer, int direction, int step, int row, int unit);

        /** rnn4j's masks, as every backend draws them: {@link Philox#dropoutKeep}. */
        static DropoutMask philox(long seed, float p) {
            return (layer, direction, step, row, unit) -> Philox.dropoutKeep(seed, p, layer, direction, step, row, unit);
        }
    }

    /** The result of {@link #backward}: the gradients of the inputs and initial states. */
    public static final class Gradients {
        double[] dx, dh0, dc0;

        Gradients() {}

        /** The gradient of {@code x}, shaped like {@code x}; exactly 0 at padded steps. */
        public double[] dx() {
            return dx;
        }

        /** The gradient of {@code h0}, {@code [L*D, N, Ho]}. */
        public double[] dh0() {
            return dh0;
        }

        /** The gradient of {@code c0}, {@code [L*D, N, H]}, or null unless the cell is LSTM. */
        public double[] dc0() {
            return dc0;
        }
    }
}
