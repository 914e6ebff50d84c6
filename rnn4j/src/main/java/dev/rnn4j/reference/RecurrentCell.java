package dev.rnn4j.reference;

import dev.rnn4j.ParameterLayout;
import dev.rnn4j.ParameterLayout.Kind;
import dev.rnn4j.RnnSpec;

/**
 * One direction of one layer of an RNN, applied to one sequence one step at a time: the part that
 * every cell shares (the two affine maps {@code x W_ih^T + b_ih} and {@code h W_hh^T + b_hh}, and
 * their vector-Jacobian products), with the cell's own non-linear math left to the subclasses.
 *
 * <p>Vectors are passed as {@code (array, offset)} pairs so the driver can point straight into its
 * {@code [T, N, .]} buffers without copying. A cell object owns small scratch vectors and is made
 * per call, so it is not thread-safe and never needs to be.
 *
 * <p>Each cell saves, per step, a "cache" slot of {@link #cacheWidth()} doubles that holds what its
 * backward step needs besides the inputs and outputs of the step (for example the gate activations).
 */
abstract class RecurrentCell {
    /** {@code H}: hidden units. */
    final int hidden;
    /** {@code Ho}: size of {@code h} (P with a projection, else H). */
    final int output;
    /** {@code I_k}: size of this layer's input vector. */
    final int input;
    /** {@code G*H}: rows of {@code W_ih} and {@code W_hh}. */
    final int gateRows;
    /**
     * Rows of {@code W_hh} whose product is taken with {@code h} itself: all {@code G*H}, except for
     * the reset-before GRU, whose n rows multiply {@code r*h} and are handled by the cell.
     */
    int rowsOnH;
    /** Offsets of the parameter tensors in the flat buffer; -1 when absent (no bias, no projection). */
    final int wIh, wHh, bIh, bHh, wHr;

    /** Pre-activation scratch: {@code gi = x W_ih^T + b_ih} and {@code gh = h W_hh^T + b_hh}, {@code [G*H]} each. */
    final double[] gi, gh;
    /** Backward scratch: the gradients of {@code gi} and {@code gh}. For RNN and LSTM they are equal. */
    final double[] dGi, dGh;
    /** {@link dev.rnn4j.Precision#INT8}: the quantized weights, or null in the other precisions. */
    LowPrecision.Int8Weights int8;
    /** INT8: one quantized activation row (x, h or m), reused. */
    LowPrecision.Activations quantized;
    /** {@link dev.rnn4j.Precision#BF16}: one activation row (x, h or m) rounded to bfloat16, reused; else null. */
    double[] rounded;

    RecurrentCell(RnnSpec spec, int layer, int direction) {
        ParameterLayout layout = spec.parameterLayout();
        this.hidden = spec.hiddenSize();
        this.output = spec.outputSize();
        this.input = spec.layerInputSize(layer);
        this.gateRows = spec.gates() * hidden;
        this.rowsOnH = gateRows;
        this.wIh = offset(layout, Kind.WEIGHT_IH, layer, direction);
        this.wHh = offset(layout, Kind.WEIGHT_HH, layer, direction);
        this.bIh = offset(layout, Kind.BIAS_IH, layer, direction);
        this.bHh = offset(layout, Kind.BIAS_HH, layer, direction);
        this.wHr = offset(layout, Kind.WEIGHT_HR, layer, direction);
        this.gi = new double[gateRows];
        this.gh = new double[gateRows];
        this.dGi = new double[gateRows];
        this.dGh = new double[gateRows];
    }

    private static int offset(ParameterLayout layout, Kind kind, int layer, int direction) {
        ParameterLayout.Entry e = layout.find(kind, layer, direction);
        return e == null ? -1 : e.offset();
    }

    /** The cell of {@code spec} for one layer and direction. */
    static RecurrentCell create(RnnSpec spec, int layer, int direction) {
        switch (spec.cell()) {
            case RNN_TANH:
                return new ElmanCell(spec, layer, direction, false);
            case RNN_RELU:
                return new ElmanCell(spec, layer, direction, true);
            case LSTM:
                return new LstmCell(spec, layer, direction);
            case GRU:
                return new GruCell(spec, layer, direction);
            default:
                throw new IllegalStateException("unknown cell " + spec.cell());
        }
    }

    /** Makes the forward steps run the INT8 scheme with the weights of {@code p} quantized once. */
    final void useInt8(RnnSpec spec, double[] p, int layer, int direction) {
        int8 = new LowPrecision.Int8Weights(spec, p, layer, direction);
        quantized = new LowPrecision.Activations(Math.max(input, Math.max(output, hidden)));
    }

    /**
     * Makes the forward steps run the BF16 scheme: each product's activation row rounded to
     * bfloat16 (the weights in {@code p} are rounded by the caller).
     */
    final void useBf16() {
        rounded = new double[Math.max(input, Math.max(output, hidden))];
    }

    /**
     * {@code out[r] = v W^T} for the matrix at {@code w} ({@code rows x cols}): in fp64 from the
     * parameters (with BF16, {@code v} rounded to bfloat16 first), or, with INT8, through {@code q}
     * and {@code v} quantized per {@link LowPrecision}.
     */
    final void affine(double[] p, int w, LowPrecision.Int8Rows q, int rows, int cols, double[] v, int vo,
            double[] out, int oo) {
        if (q != null) {
            LowPrecision.quantizeRow(v, vo, cols, quantized);
            q.multiply(quantized, out, oo);
            return;
        }
        if (rounded != null) {
            for (int j = 0; j < cols; j++) rounded[j] = LowPrecision.bf16((float) v[vo + j]);
            v = rounded;
            vo = 0;
        }
        for (int r = 0; r < rows; r++) out[oo + r] = dot(p, w + r * cols, v, vo, cols);
    }

    /** Doubles saved per step for the backward pass. */
    abstract int cacheWidth();

    /**
     * One forward step: from input {@code x}, previous state {@code h} ({@code [Ho]}) and, for LSTM,
     * {@code c} ({@code [H]}), writes the new state to {@code hOut} (and {@code cOut}) and fills the
     * cache slot. {@code c}/{@code cOut} are ignored by cells without a cell state.
     */
    abstract void forwardStep(double[] p, double[] x, int xo, double[] h, int ho, double[] c, int co,
            double[] hOut, int hOutO, double[] cOut, int cOutO, double[] cache, int ko);

    /**
     * The cell-specific half of one backward step. Given the step's inputs, outputs, cache and the
     * gradients {@code dh} ({@code [Ho]}) and {@code dc} ({@code [H]}, LSTM) of its outputs, fills
     * {@link #dGi} and {@link #dGh}, the gradients of the two pre-activations, and writes into
     * {@code dhPrev} the part of the gradient of {@code h} that does not go through {@code W_hh}
     * (zero except for GRU) and into {@code dcPrev} the gradient of {@code c} (LSTM). Accumulates
     * the gradient of the projection {@code W_hr} into {@code grads} when it is not null.
     */
    abstract void gateGradients(double[] p, double[] h, int ho, double[] c, int co, double[] hOut, int hOutO,
            double[] cOut, int cOutO, double[] cache, int ko, double[] dh, double[] dc, double[] dhPrev,
            double[] dcPrev, double[] grads);

    /** Computes {@link #gi} and {@link #gh} from {@code x} and {@code h}: the affine part of a forward step. */
    final void preActivations(double[] p, double[] x, int xo, double[] h, int ho) {
        affine(p, wIh, int8 == null ? null : int8.ih, gateRows, input, x, xo, gi, 0);
        affine(p, wHh, int8 == null ? null : int8.hh, gateRows, output, h, ho, gh, 0);
        for (int r = 0; r < gateRows; r++) {
            if (bIh >= 0) gi[r] += p[bIh + r];
            if (bHh >= 0) gh[r] += p[bHh + r];
        }
    }

    /**
     * One full backward step: the cell's gate gradients, then the vector-Jacobian product of the
     * affine part. Adds the gradient of {@code x} into {@code dx} (both directions write the same
     * input position), overwrites {@code dhPrev} and {@code dcPrev}, and accumulates the parameter
     * gradients into {@code grads} unless it is null.
     */
    final void backwardStep(double[] p, double[] x, int xo, double[] h, int ho, double[] c, int co,
            double[] hOut, int hOutO, double[] cOut, int cOutO, double[] cache, int ko, double[] dh, double[] dc,
            double[] dx, int dxo, double[] dhPrev, double[] dcPrev, double[] grads) {
        gateGradients(p, h, ho, c, co, hOut, hOutO, cOut, cOutO, cache, ko, dh, dc, dhPrev, dcPrev, grads);
        // dx += W_ih^T dGi ; dhPrev += W_hh^T dGh (rows on h), walking the weights row by row (row-major).
        for (int r = 0; r < gateRows; r++) {
            double gx = dGi[r];
            double gr = dGh[r];
            int wi = wIh + r * input;
            for (int j = 0; j < input; j++) dx[dxo + j] += p[wi + j] * gx;
            if (r >= rowsOnH) continue;
            int wh = wHh + r * output;
            for (int j = 0; j < output; j++) dhPrev[j] += p[wh + j] * gr;
        }
        if (grads == null) return;
        // dW_ih += dGi x^T, dW_hh += dGh h^T (rows on h), db_ih += dGi, db_hh += dGh.
        for (int r = 0; r < gateRows; r++) {
            double gx = dGi[r];
            double gr = dGh[r];
            int wi = wIh + r * input;
            for (int j = 0; j < input; j++) grads[wi + j] += gx * x[xo + j];
            int wh = wHh + r * output;
            if (r < rowsOnH) for (int j = 0; j < output; j++) grads[wh + j] += gr * h[ho + j];
            if (bIh >= 0) grads[bIh + r] += gx;
            if (bHh >= 0) grads[bHh + r] += gr;
        }
    }

    /** {@code Σ_j a[ao+j] * b[bo+j]}. */
    static double dot(double[] a, int ao, double[] b, int bo, int n) {
        double s = 0.0;
        for (int j = 0; j < n; j++) s += a[ao + j] * b[bo + j];
        return s;
    }

    static double sigmoid(double v) {
        return 1.0 / (1.0 + Math.exp(-v));
    }
}
