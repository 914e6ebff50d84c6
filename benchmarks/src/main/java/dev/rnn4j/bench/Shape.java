package dev.rnn4j.bench;

import dev.rnn4j.Batch;
import dev.rnn4j.CellType;
import dev.rnn4j.RnnSpec;
import dev.rnn4j.internal.BenchmarkShapes;
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
    S1, S2, S3, S4, S5, S6, S7, L1, L2, L3;

    public final CellType cell;
    public final int inputSize;
    public final int hiddenSize;
    public final int batch;
    public final int steps;
    public final int layers;
    public final boolean bidirectional;
    /** Whether docs/DESIGN.md §7 lists training for this shape (the L shapes are inference only). */
    public final boolean training;

    /** The numbers come from the one table (native/bench/shapes.csv, in the core jar); the names are JMH's @Param values. */
    Shape() {
        BenchmarkShapes.Shape s = BenchmarkShapes.get(name());
        this.cell = CellType.valueOf(s.cell());
        this.inputSize = s.inputSize();
        this.hiddenSize = s.hiddenSize();
        this.batch = s.batch();
        this.steps = s.steps();
        this.layers = s.layers();
        this.bidirectional = s.bidirectional();
        this.training = s.training();
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
