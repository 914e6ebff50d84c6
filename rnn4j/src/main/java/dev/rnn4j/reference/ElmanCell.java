package dev.rnn4j.reference;

import dev.rnn4j.RnnSpec;

/**
 * The vanilla ("Elman") RNN cell, {@code RNN_TANH} or {@code RNN_RELU}:
 * {@code h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)}, one gate block ({@code G = 1}).
 *
 * <p>Backward: the derivative of the activation is read off the output alone
 * ({@code tanh' = 1 - h'^2}; {@code relu' = 1} where {@code h' > 0}, else 0, as PyTorch), so
 * nothing needs caching.
 */
final class ElmanCell extends RecurrentCell {
    private final boolean relu;

    ElmanCell(RnnSpec spec, int layer, int direction, boolean relu) {
        super(spec, layer, direction);
        this.relu = relu;
    }

    @Override
    int cacheWidth() {
        return 0;
    }

    @Override
    void forwardStep(double[] p, double[] x, int xo, double[] h, int ho, double[] c, int co,
            double[] hOut, int hOutO, double[] cOut, int cOutO, double[] cache, int ko) {
        preActivations(p, x, xo, h, ho);
        for (int j = 0; j < hidden; j++) {
            double a = gi[j] + gh[j];
            hOut[hOutO + j] = relu ? Math.max(a, 0.0) : Math.tanh(a);
        }
    }

    @Override
    void gateGradients(double[] p, double[] h, int ho, double[] c, int co, double[] hOut, int hOutO,
            double[] cOut, int cOutO, double[] cache, int ko, double[] dh, double[] dc, double[] dhPrev,
            double[] dcPrev, double[] grads) {
        for (int j = 0; j < hidden; j++) {
            double y = hOut[hOutO + j];
            double da = dh[j] * (relu ? (y > 0.0 ? 1.0 : 0.0) : 1.0 - y * y);
            // Both pre-activations enter the sum a = gi + gh, so they get the same gradient.
            dGi[j] = da;
            dGh[j] = da;
            dhPrev[j] = 0.0;
        }
    }
}
