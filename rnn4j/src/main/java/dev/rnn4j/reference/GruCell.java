package dev.rnn4j.reference;

import dev.rnn4j.RnnSpec;

/**
 * The GRU cell, gate blocks in PyTorch's order {@code r, z, n}, with two separate biases, in either
 * of its two forms. Linear before reset (PyTorch, cuDNN, the default):
 *
 * <pre>
 * gi = x W_ih^T + b_ih     gh = h W_hh^T + b_hh      (each [3H], blocks r, z, n)
 * r = σ(gi_r + gh_r)   z = σ(gi_z + gh_z)
 * n = tanh(gi_n + r ⊙ gh_n)
 * h' = (1 - z) ⊙ n + z ⊙ h
 * </pre>
 *
 * Reset before ({@link RnnSpec#linearBeforeReset()} false; the ONNX operator with
 * {@code linear_before_reset = 0}, whose {@code h~ = g(x W_h^T + (r ⊙ h) R_h^T + Rb_h + Wb_h)} this
 * is, with ONNX's z, r, h blocks in PyTorch's r, z, n order): the n block of {@code gh} is
 * {@code (r ⊙ h) W_hn^T + b_hn} and {@code n = tanh(gi_n + gh_n)}.
 *
 * <p>Cache per step ({@code 4H}): {@code r, z, n, gh_n}. Linear before reset: the two
 * pre-activations get different gradients in the n block ({@code dgh_n = r ⊙ dgi_n}). Reset
 * before: the n rows of {@code W_hh} see {@code r ⊙ h}, not {@code h}, so this cell computes their
 * part of the backward step itself ({@link RecurrentCell#rowsOnH} excludes them). Either way
 * {@code h} reaches {@code h'} directly through {@code z ⊙ h}.
 */
final class GruCell extends RecurrentCell {
    private static final int R = 0, Z = 1, N = 2, GH_N = 3;
    private final boolean resetBefore;
    /** Reset before: {@code W_hn^T dgh_n}, the gradient of {@code r ⊙ h}. */
    private final double[] dRh;

    GruCell(RnnSpec spec, int layer, int direction) {
        super(spec, layer, direction);
        this.resetBefore = !spec.linearBeforeReset();
        this.dRh = new double[hidden];
        if (resetBefore) rowsOnH = 2 * hidden;
    }

    @Override
    int cacheWidth() {
        return 4 * hidden;
    }

    @Override
    void forwardStep(double[] p, double[] x, int xo, double[] h, int ho, double[] c, int co,
            double[] hOut, int hOutO, double[] cOut, int cOutO, double[] cache, int ko) {
        preActivations(p, x, xo, h, ho);
        int hh = hidden;
        if (resetBefore) {
            // gh_n = (r ⊙ h) W_hn^T + b_hn replaces the product with h itself.
            double[] rh = dRh; // scratch: not needed until the backward step
            for (int j = 0; j < hh; j++) rh[j] = sigmoid(gi[R * hh + j] + gh[R * hh + j]) * h[ho + j];
            for (int i = 0; i < hh; i++) {
                int row = N * hh + i;
                gh[row] = (bHh >= 0 ? p[bHh + row] : 0.0) + dot(p, wHh + row * output, rh, 0, hh);
            }
        }
        for (int j = 0; j < hh; j++) {
            double r = sigmoid(gi[R * hh + j] + gh[R * hh + j]);
            double z = sigmoid(gi[Z * hh + j] + gh[Z * hh + j]);
            double ghn = gh[N * hh + j];
            double n = Math.tanh(gi[N * hh + j] + (resetBefore ? ghn : r * ghn));
            hOut[hOutO + j] = (1.0 - z) * n + z * h[ho + j];
            cache[ko + R * hh + j] = r;
            cache[ko + Z * hh + j] = z;
            cache[ko + N * hh + j] = n;
            cache[ko + GH_N * hh + j] = ghn;
        }
    }

    @Override
    void gateGradients(double[] p, double[] h, int ho, double[] c, int co, double[] hOut, int hOutO,
            double[] cOut, int cOutO, double[] cache, int ko, double[] dh, double[] dc, double[] dhPrev,
            double[] dcPrev, double[] grads) {
        int hh = hidden;
        if (resetBefore) {
            // n first: its gradient flows back through W_hn into r ⊙ h, which r needs.
            java.util.Arrays.fill(dRh, 0.0);
            for (int i = 0; i < hh; i++) {
                double z = cache[ko + Z * hh + i];
                double n = cache[ko + N * hh + i];
                double da_n = dh[i] * (1.0 - z) * (1.0 - n * n);
                dGi[N * hh + i] = dGh[N * hh + i] = da_n;
                int w = wHh + (N * hh + i) * output;
                for (int j = 0; j < hh; j++) {
                    dRh[j] += p[w + j] * da_n;
                    if (grads != null) grads[w + j] += da_n * cache[ko + R * hh + j] * h[ho + j];
                }
            }
        }
        for (int j = 0; j < hh; j++) {
            double r = cache[ko + R * hh + j];
            double z = cache[ko + Z * hh + j];
            double n = cache[ko + N * hh + j];
            double ghn = cache[ko + GH_N * hh + j];
            double d = dh[j];
            double dz = d * (h[ho + j] - n);
            double da_z = dz * z * (1.0 - z);
            dGi[Z * hh + j] = dGh[Z * hh + j] = da_z;
            if (resetBefore) {
                double da_r = dRh[j] * h[ho + j] * r * (1.0 - r);
                dGi[R * hh + j] = dGh[R * hh + j] = da_r;
                dhPrev[j] = d * z + dRh[j] * r;         // direct path, and through r ⊙ h
            } else {
                double da_n = d * (1.0 - z) * (1.0 - n * n); // gradient of gi_n + r ⊙ gh_n
                double da_r = da_n * ghn * r * (1.0 - r);
                dGi[R * hh + j] = dGh[R * hh + j] = da_r;
                dGi[N * hh + j] = da_n;
                dGh[N * hh + j] = da_n * r;
                dhPrev[j] = d * z;                      // the direct path h' = ... + z ⊙ h
            }
        }
    }
}
