package dev.rnn4j.reference;

import dev.rnn4j.RnnSpec;

/**
 * The GRU cell, gate blocks in PyTorch's order {@code r, z, n}, the reset gate applied after the
 * recurrent product ("linear before reset", as PyTorch and cuDNN), with two separate biases:
 *
 * <pre>
 * gi = x W_ih^T + b_ih     gh = h W_hh^T + b_hh      (each [3H], blocks r, z, n)
 * r = σ(gi_r + gh_r)   z = σ(gi_z + gh_z)
 * n = tanh(gi_n + r ⊙ gh_n)
 * h' = (1 - z) ⊙ n + z ⊙ h
 * </pre>
 *
 * Cache per step ({@code 4H}): {@code r, z, n, gh_n}. Unlike the other cells the two
 * pre-activations get different gradients in the n block ({@code dgh_n = r ⊙ dgi_n}), and
 * {@code h} reaches {@code h'} directly through {@code z ⊙ h}.
 */
final class GruCell extends RecurrentCell {
    private static final int R = 0, Z = 1, N = 2, GH_N = 3;

    GruCell(RnnSpec spec, int layer, int direction) {
        super(spec, layer, direction);
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
        for (int j = 0; j < hh; j++) {
            double r = sigmoid(gi[R * hh + j] + gh[R * hh + j]);
            double z = sigmoid(gi[Z * hh + j] + gh[Z * hh + j]);
            double ghn = gh[N * hh + j];
            double n = Math.tanh(gi[N * hh + j] + r * ghn);
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
        for (int j = 0; j < hh; j++) {
            double r = cache[ko + R * hh + j];
            double z = cache[ko + Z * hh + j];
            double n = cache[ko + N * hh + j];
            double ghn = cache[ko + GH_N * hh + j];
            double d = dh[j];
            double dn = d * (1.0 - z);
            double dz = d * (h[ho + j] - n);
            double da_n = dn * (1.0 - n * n);          // gradient of gi_n + r ⊙ gh_n
            double da_r = da_n * ghn * r * (1.0 - r);
            double da_z = dz * z * (1.0 - z);
            dGi[R * hh + j] = dGh[R * hh + j] = da_r;
            dGi[Z * hh + j] = dGh[Z * hh + j] = da_z;
            dGi[N * hh + j] = da_n;
            dGh[N * hh + j] = da_n * r;
            dhPrev[j] = d * z;                          // the direct path h' = ... + z ⊙ h
        }
    }
}
