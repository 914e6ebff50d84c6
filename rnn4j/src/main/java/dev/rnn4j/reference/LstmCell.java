package dev.rnn4j.reference;

import dev.rnn4j.RnnSpec;

/**
 * The LSTM cell, gate blocks in PyTorch's order {@code i, f, g, o} (block {@code q} is rows
 * {@code q*H .. q*H+H-1} of every weight and bias):
 *
 * <pre>
 * a = x W_ih^T + b_ih + h W_hh^T + b_hh
 * i = σ(a_i)   f = σ(a_f)   g = tanh(a_g)   o = σ(a_o)
 * c' = f ⊙ c + i ⊙ g
 * m  = o ⊙ tanh(c')
 * h' = m W_hr^T   with a projection (h' is [P]), else h' = m
 * </pre>
 *
 * With a cell clip {@code cc > 0} (cuDNN's {@code cellClip}), {@code c'} is clamped to
 * {@code [-cc, cc]} before {@code tanh}; with a projection clip {@code pc > 0} (TensorFlow's
 * {@code proj_clip}) the projected {@code h'} is clamped to {@code [-pc, pc]}. A clamp passes the
 * gradient where its argument lies inside the interval (bounds included, as PyTorch's
 * {@code clamp}) and stops it elsewhere.
 *
 * <p>Cache per step ({@code 5H}, plus {@code H} per clip): {@code i, f, g, o, tanh(c')}, then 1 or 0
 * per unit for whether each clamp passed the gradient.
 */
final class LstmCell extends RecurrentCell {
    private static final int I = 0, F = 1, G = 2, O = 3, TANH_C = 4;
    private final double cellClip, projectionClip;
    /** Cache blocks of the clamps' pass flags, -1 when there is no such clip. */
    private final int cellPass, projPass;

    /** {@code m = o ⊙ tanh(c')} before the projection, and its gradient. */
    private final double[] m, dm;

    LstmCell(RnnSpec spec, int layer, int direction) {
        super(spec, layer, direction);
        this.m = new double[hidden];
        this.dm = new double[hidden];
        this.cellClip = spec.cellClip();
        this.projectionClip = spec.projectionClip();
        this.cellPass = cellClip > 0 ? 5 : -1;
        this.projPass = projectionClip > 0 ? (cellClip > 0 ? 6 : 5) : -1;
    }

    @Override
    int cacheWidth() {
        return (5 + (cellPass >= 0 ? 1 : 0) + (projPass >= 0 ? 1 : 0)) * hidden;
    }

    /** Clamps {@code v} to {@code [-clip, clip]}, recording in {@code cache[at]} whether the gradient passes. */
    private static double clamp(double v, double clip, double[] cache, int at) {
        boolean pass = !(Math.abs(v) > clip); // NaN passes and stays NaN, as in PyTorch
        cache[at] = pass ? 1.0 : 0.0;
        return pass ? v : Math.copySign(clip, v);
    }

    @Override
    void forwardStep(double[] p, double[] x, int xo, double[] h, int ho, double[] c, int co,
            double[] hOut, int hOutO, double[] cOut, int cOutO, double[] cache, int ko) {
        preActivations(p, x, xo, h, ho);
        int hh = hidden;
        for (int j = 0; j < hh; j++) {
            double i = sigmoid(gi[I * hh + j] + gh[I * hh + j]);
            double f = sigmoid(gi[F * hh + j] + gh[F * hh + j]);
            double g = Math.tanh(gi[G * hh + j] + gh[G * hh + j]);
            double o = sigmoid(gi[O * hh + j] + gh[O * hh + j]);
            double cNew = f * c[co + j] + i * g;
            if (cellPass >= 0) cNew = clamp(cNew, cellClip, cache, ko + cellPass * hh + j);
            double tc = Math.tanh(cNew);
            cOut[cOutO + j] = cNew;
            m[j] = o * tc;
            cache[ko + I * hh + j] = i;
            cache[ko + F * hh + j] = f;
            cache[ko + G * hh + j] = g;
            cache[ko + O * hh + j] = o;
            cache[ko + TANH_C * hh + j] = tc;
        }
        if (wHr < 0) {
            System.arraycopy(m, 0, hOut, hOutO, hh);
        } else {
            affine(p, wHr, int8 == null ? null : int8.hr, output, hh, m, 0, hOut, hOutO);
            if (projPass >= 0) {
                for (int q = 0; q < output; q++) {
                    hOut[hOutO + q] = clamp(hOut[hOutO + q], projectionClip, cache, ko + projPass * hh + q);
                }
            }
        }
    }

    @Override
    void gateGradients(double[] p, double[] h, int ho, double[] c, int co, double[] hOut, int hOutO,
            double[] cOut, int cOutO, double[] cache, int ko, double[] dh, double[] dc, double[] dhPrev,
            double[] dcPrev, double[] grads) {
        int hh = hidden;
        // Through the projection: dm = W_hr^T dh', dW_hr += dh' m^T (m recomputed from the cache).
        if (wHr < 0) {
            System.arraycopy(dh, 0, dm, 0, hh);
        } else {
            java.util.Arrays.fill(dm, 0.0);
            for (int q = 0; q < output; q++) {
                int w = wHr + q * hh;
                double d = projPass >= 0 ? dh[q] * cache[ko + projPass * hh + q] : dh[q];
                for (int j = 0; j < hh; j++) {
                    dm[j] += p[w + j] * d;
                    if (grads != null) grads[w + j] += d * cache[ko + O * hh + j] * cache[ko + TANH_C * hh + j];
                }
            }
        }
        for (int j = 0; j < hh; j++) {
            double i = cache[ko + I * hh + j];
            double f = cache[ko + F * hh + j];
            double g = cache[ko + G * hh + j];
            double o = cache[ko + O * hh + j];
            double tc = cache[ko + TANH_C * hh + j];
            // c' reaches the loss directly (dc, from the next step or dcN) and through m = o tanh(c').
            double dcTotal = dc[j] + dm[j] * o * (1.0 - tc * tc);
            if (cellPass >= 0) dcTotal *= cache[ko + cellPass * hh + j]; // the clamp: nothing passes where it clamped
            double da_i = dcTotal * g * i * (1.0 - i);
            double da_f = dcTotal * c[co + j] * f * (1.0 - f);
            double da_g = dcTotal * i * (1.0 - g * g);
            double da_o = dm[j] * tc * o * (1.0 - o);
            dcPrev[j] = dcTotal * f;
            // The pre-activation is the sum gi + gh: both halves get the same gradient.
            dGi[I * hh + j] = dGh[I * hh + j] = da_i;
            dGi[F * hh + j] = dGh[F * hh + j] = da_f;
            dGi[G * hh + j] = dGh[G * hh + j] = da_g;
            dGi[O * hh + j] = dGh[O * hh + j] = da_o;
        }
        java.util.Arrays.fill(dhPrev, 0, output, 0.0);
    }
}
