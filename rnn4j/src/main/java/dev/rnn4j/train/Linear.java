package dev.rnn4j.train;

import java.nio.FloatBuffer;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * A fully connected layer {@code out = x W^T + b}, as PyTorch's {@code torch.nn.Linear}: {@code W}
 * is {@code [outFeatures, inFeatures]} row-major, {@code b} is {@code [outFeatures]}. Inputs are
 * {@code rows} vectors at once, {@code x} {@code [rows, inFeatures]}, {@code out}
 * {@code [rows, outFeatures]}.
 *
 * <p>The parameters live in one flat array, {@code W} then {@code b}, with a gradient array of the
 * same layout; {@link #parameters()} and {@link #gradients()} are live views for an {@link
 * Optimizer}. {@link #backward} <b>accumulates</b> ({@code +=}) into the gradients, as
 * {@link dev.rnn4j.Rnn#backward} does, so {@link #zeroGradients()} between steps.
 *
 * <p>The products use OpenBLAS's {@code sgemm} (from the JavaCPP preset rnn4j depends on) when it
 * loads, unless {@code -Drnn4j.native=false}; otherwise plain Java loops, arranged so that the
 * innermost one runs over contiguous memory (the forward then keeps a transposed copy of
 * {@code W}, {@code inFeatures*outFeatures} floats, allocated once). {@link #usesBlas()} says
 * which. Both agree up to fp32 rounding.
 */
public final class Linear {
    private final int in;
    private final int out;
    private final boolean bias;
    private final float[] params;
    private final float[] grads;
    private final float[] weightT;
    private final boolean blas;

    /** A layer with a bias, initialised by {@link #initialize(long)} with seed 0. */
    public Linear(int inFeatures, int outFeatures) {
        this(inFeatures, outFeatures, true);
    }

    /**
     * A layer, initialised by {@link #initialize(long)} with seed 0, gradients zero.
     *
     * @param inFeatures size of each input vector, at least 1
     * @param outFeatures size of each output vector, at least 1
     * @param bias whether the layer has a bias {@code b}
     * @throws IllegalArgumentException if a size is not positive or the weights do not fit in an array
     */
    public Linear(int inFeatures, int outFeatures, boolean bias) {
        this(inFeatures, outFeatures, bias, Blas.AVAILABLE);
    }

    /** As {@link #Linear(int, int, boolean)}, choosing the implementation (tests compare them). */
    Linear(int inFeatures, int outFeatures, boolean bias, boolean useBlas) {
        if (inFeatures < 1) throw new IllegalArgumentException("inFeatures must be positive, got " + inFeatures);
        if (outFeatures < 1) throw new IllegalArgumentException("outFeatures must be positive, got " + outFeatures);
        long count = (long) inFeatures * outFeatures + (bias ? outFeatures : 0);
        if (count > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("a Linear(" + inFeatures + ", " + outFeatures + ") has " + count
                    + " parameters, more than one array holds");
        }
        this.in = inFeatures;
        this.out = outFeatures;
        this.bias = bias;
        this.params = new float[(int) count];
        this.grads = new float[(int) count];
        this.blas = useBlas && Blas.AVAILABLE;
        this.weightT = blas ? null : new float[inFeatures * outFeatures];
        initialize(0);
    }

    /** {@code inFeatures}. */
    public int inFeatures() {
        return in;
    }

    /** {@code outFeatures}. */
    public int outFeatures() {
        return out;
    }

    /** Whether the products run on OpenBLAS's sgemm (else plain Java loops). */
    public boolean usesBlas() {
        return blas;
    }

    /** Whether the layer has a bias. */
    public boolean hasBias() {
        return bias;
    }

    /** Number of parameters: {@code out*in} (+ {@code out} with a bias). */
    public int parameterCount() {
        return params.length;
    }

    /**
     * PyTorch's default initialisation: every weight and bias uniform in
     * {@code (-1/sqrt(in), 1/sqrt(in))}, from a seeded generator.
     */
    public void initialize(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        double bound = 1.0 / Math.sqrt(in);
        for (int i = 0; i < params.length; i++) params[i] = (float) ((r.nextDouble() * 2 - 1) * bound);
    }

    /** Live view of all parameters ({@code W} row-major, then {@code b}); writes change the layer. */
    public FloatBuffer parameters() {
        return FloatBuffer.wrap(params);
    }

    /** Live view of the accumulated gradients, same layout as {@link #parameters()}. */
    public FloatBuffer gradients() {
        return FloatBuffer.wrap(grads);
    }

    /** A copy of {@code W}, {@code [out, in]} row-major. */
    public float[] weight() {
        float[] w = new float[in * out];
        System.arraycopy(params, 0, w, 0, w.length);
        return w;
    }

    /** A copy of {@code b}, or null without a bias. */
    public float[] bias() {
        if (!bias) return null;
        float[] b = new float[out];
        System.arraycopy(params, in * out, b, 0, out);
        return b;
    }

    /** Sets every accumulated gradient to zero. */
    public void zeroGradients() {
        java.util.Arrays.fill(grads, 0f);
    }

    /**
     * {@code out[r] = W x[r] + b} for each of {@code rows} rows.
     *
     * @param x {@code [rows, in]}, at least {@code rows*in} floats; not modified
     * @param rows number of vectors, at least 1
     * @param output {@code [rows, out]}, at least {@code rows*out} floats; overwritten
     */
    public void forward(float[] x, int rows, float[] output) {
        check("x", x, rows, in);
        check("output", output, rows, out);
        if (x == output) throw new IllegalArgumentException("output must not be the same array as x");
        if (blas) {
            for (int r = 0; r < rows; r++) {
                if (bias) System.arraycopy(params, in * out, output, r * out, out);
                else java.util.Arrays.fill(output, r * out, r * out + out, 0f);
            }
            Blas.sgemm(false, true, rows, out, in, 1f, x, in, params, in, 1f, output, out);
            return;
        }
        for (int o = 0; o < out; o++) {
            for (int k = 0; k < in; k++) weightT[k * out + o] = params[o * in + k];
        }
        int bOff = in * out;
        for (int r = 0; r < rows; r++) {
            int oRow = r * out, xRow = r * in;
            if (bias) System.arraycopy(params, bOff, output, oRow, out);
            else java.util.Arrays.fill(output, oRow, oRow + out, 0f);
            for (int k = 0; k < in; k++) {
                float v = x[xRow + k];
                if (v == 0f) continue; // one-hot and ReLU inputs are mostly zeros
                int wRow = k * out;
                for (int o = 0; o < out; o++) output[oRow + o] += v * weightT[wRow + o];
            }
        }
    }

    /**
     * Backward for the {@code x} of a {@link #forward}: accumulates {@code dW += dout^T x} and
     * {@code db += sum of the rows of dout}, and writes {@code dx = dout W}.
     *
     * @param x the forward's input {@code [rows, in]}; not modified
     * @param dOutput gradient of the output {@code [rows, out]}; not modified
     * @param rows number of vectors
     * @param dx {@code [rows, in]}, overwritten; or null when the input gradient is not needed
     */
    public void backward(float[] x, float[] dOutput, int rows, float[] dx) {
        check("x", x, rows, in);
        check("dOutput", dOutput, rows, out);
        if (dx != null) {
            check("dx", dx, rows, in);
            if (dx == x || dx == dOutput) throw new IllegalArgumentException("dx must not be the same array as x or dOutput");
        }
        int bOff = in * out;
        if (blas) {
            Blas.sgemm(true, false, out, in, rows, 1f, dOutput, out, x, in, 1f, grads, in);
            if (dx != null) Blas.sgemm(false, false, rows, in, out, 1f, dOutput, out, params, in, 0f, dx, in);
            if (bias) {
                for (int r = 0; r < rows; r++) {
                    for (int o = 0; o < out; o++) grads[bOff + o] += dOutput[r * out + o];
                }
            }
            return;
        }
        for (int r = 0; r < rows; r++) {
            int oRow = r * out, xRow = r * in;
            if (dx != null) java.util.Arrays.fill(dx, xRow, xRow + in, 0f);
            for (int o = 0; o < out; o++) {
                float d = dOutput[oRow + o];
                if (d == 0f) continue;
                if (bias) grads[bOff + o] += d;
                int wRow = o * in;
                for (int k = 0; k < in; k++) grads[wRow + k] += d * x[xRow + k];
                if (dx != null) {
                    for (int k = 0; k < in; k++) dx[xRow + k] += d * params[wRow + k];
                }
            }
        }
    }

    private static void check(String name, float[] a, int rows, int cols) {
        Objects.requireNonNull(a, name + " must not be null");
        if (rows < 1) throw new IllegalArgumentException("rows must be positive, got " + rows);
        long need = (long) rows * cols;
        if (a.length < need) {
            throw new IllegalArgumentException(name + " must hold [rows, " + cols + "] = " + rows + "*" + cols + " = "
                    + need + " floats, got " + a.length);
        }
    }

    @Override
    public String toString() {
        return "Linear(" + in + " -> " + out + (bias ? ", bias" : ", no bias") + (blas ? ", sgemm" : ", Java loops") + ")";
    }
}
