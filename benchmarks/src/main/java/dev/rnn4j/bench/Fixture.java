package dev.rnn4j.bench;

import dev.rnn4j.Backend;
import dev.rnn4j.Batch;
import dev.rnn4j.Mode;
import dev.rnn4j.Rnn;
import dev.rnn4j.RnnSpec;
import java.nio.FloatBuffer;

/**
 * One shape on one backend with every buffer a forward and a backward need, all direct (zero
 * copy, zero allocation in steady state). Parameters from {@link Rnn#initialize(long)} with seed 0;
 * inputs uniform in (-1, 1) from fixed seeds, so every run and every implementation sees the same
 * numbers. Initial states and the upstream dhN, dcN are absent (zeros); dy is random.
 */
final class Fixture implements AutoCloseable {
    static final long SEED_X = 1;
    static final long SEED_DY = 2;

    final Shape shape;
    final RnnSpec spec;
    final Batch batch;
    final Rnn rnn;
    final FloatBuffer x, y, hN, cN, dy, dx, dh0, dc0;

    Fixture(Shape shape, Backend backend) {
        this(shape, backend, shape.steps);
    }

    Fixture(Shape shape, Backend backend, int steps) {
        this.shape = shape;
        this.spec = shape.spec();
        this.batch = shape.batchOf(steps);
        this.rnn = Rnn.create(spec, backend);
        long tn = (long) steps * shape.batch;
        long states = (long) spec.stateRows() * shape.batch;
        boolean lstm = spec.cell().hasCellState();
        x = Buffers.random(tn * spec.inputSize(), SEED_X);
        y = Buffers.direct(tn * spec.outputFeatures());
        hN = Buffers.direct(states * spec.outputSize());
        cN = lstm ? Buffers.direct(states * spec.hiddenSize()) : null;
        dy = Buffers.random(tn * spec.outputFeatures(), SEED_DY);
        dx = Buffers.direct(tn * spec.inputSize());
        dh0 = Buffers.direct(states * spec.outputSize());
        dc0 = lstm ? Buffers.direct(states * spec.hiddenSize()) : null;
    }

    void forward(Mode mode) {
        rnn.forward(mode, batch, x, null, null, y, hN, cN);
    }

    /** Backward of the last training forward: dx, dh0, dc0 overwritten, parameter gradients accumulated. */
    void backward() {
        rnn.backward(dy, null, null, dx, dh0, dc0);
    }

    @Override
    public void close() {
        rnn.close();
    }
}
