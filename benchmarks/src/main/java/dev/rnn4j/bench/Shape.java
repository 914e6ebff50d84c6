package dev.rnn4j.bench;

import dev.rnn4j.Batch;
import dev.rnn4j.CellType;
import dev.rnn4j.RnnSpec;
import java.util.Locale;

/**
 * The benchmark shapes of docs/DESIGN.md §7 (one layer, unidirectional, with bias, sequence-major, fp32,
 * unless said), and their FLOP counts.
 *
 * <p>FLOPs per layer and direction, forward: {@code 2*G*H*(I_k + H)*N*T}; training (forward saving
 * activations + full backward) counts three times the forward: backward data repeats the forward's
 * two GEMM sets (dX = dG W_ih, dh = dG W_hh) and backward weights adds two more of the same size
 * (dW_ih += dG^T X, dW_hh += dG^T H). Element-wise work is not counted.
 */
public enum Shape {
    S1(CellType.LSTM, 256, 256, 16, 150, 1, false, true),
    S2(CellType.LSTM, 512, 512, 16, 25, 1, false, true),
    S3(CellType.LSTM, 512, 512, 64, 25, 1, false, true),
    S4(CellType.LSTM, 1024, 1024, 64, 25, 1, false, true),
    S5(CellType.GRU, 512, 512, 32, 100, 1, false, true),
    S6(CellType.RNN_TANH, 1024, 1024, 32, 50, 1, false, true),
    S7(CellType.LSTM, 128, 256, 32, 100, 2, true, true),
    L1(CellType.LSTM, 256, 256, 1, 150, 1, false, false),
    L2(CellType.LSTM, 512, 512, 1, 25, 1, false, false),
    L3(CellType.GRU, 512, 512, 1, 1, 1, false, false);

    public final CellType cell;
    public final int inputSize;
    public final int hiddenSize;
    public final int batch;
    public final int steps;
    public final int layers;
    public final boolean bidirectional;
    /** Whether docs/DESIGN.md §7 lists training for this shape (the L shapes are inference only). */
    public final boolean training;

    Shape(CellType cell, int inputSize, int hiddenSize, int batch, int steps, int layers, boolean bidirectional,
            boolean training) {
        this.cell = cell;
        this.inputSize = inputSize;
        this.hiddenSize = hiddenSize;
        this.batch = batch;
        this.steps = steps;
        this.layers = layers;
        this.bidirectional = bidirectional;
        this.training = training;
    }

    public RnnSpec spec() {
        return RnnSpec.builder(cell, inputSize, hiddenSize).layers(layers).bidirectional(bidirectional).build();
    }

    public Batch batchOf() {
        return Batch.of(steps, batch);
    }

    /** The same network with another sequence length (used to check against the slow reference). */
    public Batch batchOf(int steps) {
        return Batch.of(steps, batch);
    }

    public int directions() {
        return bidirectional ? 2 : 1;
    }

    /** FLOPs of one forward pass, with {@code steps} time steps. */
    public double forwardFlops(int steps) {
        double g = cell.gates();
        double sum = 0;
        for (int k = 0; k < layers; k++) {
            int in = k == 0 ? inputSize : directions() * hiddenSize;
            sum += directions() * 2 * g * hiddenSize * (in + (double) hiddenSize) * batch * steps;
        }
        return sum;
    }

    public double forwardFlops() {
        return forwardFlops(steps);
    }

    /** FLOPs of one training step (forward saving activations + full backward): 3x the forward. */
    public double trainingFlops() {
        return 3 * forwardFlops();
    }

    /** For example {@code LSTM 256/256/16/150} or {@code LSTM 2-layer bi 128/256/32/100}. */
    public String describe() {
        String c = cell == CellType.RNN_TANH ? "RNN_TANH" : cell.name();
        String stack = (layers > 1 ? " " + layers + "-layer" : "") + (bidirectional ? " bi" : "");
        return String.format(Locale.ROOT, "%s%s %d/%d/%d/%d", c, stack, inputSize, hiddenSize, batch, steps);
    }

    /** Parses a comma-separated list such as {@code S1,S3,L2}; {@code all}, {@code train} and {@code infer} are sets. */
    public static java.util.List<Shape> parseList(String list) {
        java.util.List<Shape> out = new java.util.ArrayList<>();
        for (String part : list.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) continue;
            if (p.equalsIgnoreCase("all")) {
                out.addAll(java.util.List.of(values()));
            } else {
                try {
                    out.add(valueOf(p.toUpperCase(Locale.ROOT)));
                } catch (IllegalArgumentException e) {
                    throw new IllegalArgumentException("unknown shape '" + p + "'; use S1..S7, L1..L3 or all");
                }
            }
        }
        return out;
    }
}
