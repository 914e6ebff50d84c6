package dev.rnn4j.cli;

import dev.rnn4j.ParameterLayout;
import dev.rnn4j.Rnn;

/** Initialisation tweaks used by the demos. */
final class Init {
    private Init() {}

    /**
     * Sets the LSTM forget-gate bias (the f block: rows H..2H-1 of {@code bias_ih}; the same rows of
     * {@code bias_hh} to 0) of every layer and direction to {@code value}, so the cell starts out
     * remembering: the usual remedy (Gers et al. 2000; Jozefowicz et al. 2015) for slow learning of
     * long-range dependencies. Does nothing for other cells or without biases.
     */
    static void forgetGateBias(Rnn rnn, float value) {
        if (!rnn.spec().cell().hasCellState() || !rnn.spec().bias()) return;
        int h = rnn.spec().hiddenSize();
        for (ParameterLayout.Entry e : rnn.spec().parameterLayout().entries()) {
            boolean ih = e.kind() == ParameterLayout.Kind.BIAS_IH, hh = e.kind() == ParameterLayout.Kind.BIAS_HH;
            if (!ih && !hh) continue;
            float[] b = rnn.parameter(e.name());
            for (int i = h; i < 2 * h; i++) b[i] = ih ? value : 0f;
            rnn.setParameter(e.name(), b);
        }
    }
}
