package dev.rnn4j;

/** Whether a forward pass only computes outputs, or also records what {@link Rnn#backward} needs. */
public enum Mode {
    /** Outputs only; the fastest. A following {@code backward} is rejected. */
    INFERENCE,
    /** Outputs, and the activations that backpropagation through time needs. */
    TRAINING
}
