package dev.rnn4j;

/**
 * The recurrent cell of an {@link RnnSpec}, with PyTorch's equations and gate order.
 *
 * <ul>
 *   <li>{@link #RNN_TANH}, {@link #RNN_RELU}: {@code h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)}.
 *   <li>{@link #LSTM}: gates {@code i, f, g, o} (in that order in every weight and bias);
 *       {@code c' = f*c + i*g}, {@code h' = o*tanh(c')}, optionally projected by {@code W_hr}.
 *   <li>{@link #GRU}: gates {@code r, z, n}, reset applied after the recurrent product:
 *       {@code n = tanh(x W_in^T + b_in + r*(h W_hn^T + b_hn))}, {@code h' = (1-z)*n + z*h}.
 * </ul>
 * The ordinal of each constant is the {@code rnn4j_cell} value of the C API.
 */
public enum CellType {
    /** Vanilla RNN with tanh activation. */
    RNN_TANH(1),
    /** Vanilla RNN with ReLU activation. */
    RNN_RELU(1),
    /** Long short-term memory, gates i, f, g, o. */
    LSTM(4),
    /** Gated recurrent unit, gates r, z, n, "linear before reset" as PyTorch and cuDNN. */
    GRU(3);

    private final int gates;

    CellType(int gates) {
        this.gates = gates;
    }

    /** Number of gate blocks G: the weights have {@code G * hiddenSize} rows. */
    public int gates() {
        return gates;
    }

    /** Whether the cell carries a cell state {@code c} besides {@code h} (LSTM only). */
    public boolean hasCellState() {
        return this == LSTM;
    }
}
