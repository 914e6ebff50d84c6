package dev.rnn4j.bench;

import dev.rnn4j.Backend;
import dev.rnn4j.Mode;
import java.nio.FloatBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Training over the shapes of docs/DESIGN.md §7 that list it (S1..S7), in three parts.
 *
 * <ul>
 *   <li>{@link #trainingForward}: one forward in {@code Mode.TRAINING} (saves the activations BPTT needs).
 *   <li>{@link #backward}: one full backward of the training forward made in setup: dx, dh0, dc0
 *       (overwritten) and every parameter gradient (accumulated). A backward may be repeated on the
 *       same recorded forward, so no forward is inside the timed region.
 *   <li>{@link #train}: forward in training mode followed by the full backward: the "training"
 *       figure of docs/DESIGN.md §7.
 * </ul>
 *
 * Parameter gradients accumulate by contract. Accumulating does not change the work, but so that
 * the values stay bounded they are zeroed at the start of every iteration, outside the timed
 * region. dy is random; dhN and dcN are absent (zeros). Not timed: network, buffers, workspace.
 */
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class TrainingBenchmark {
    @Param({"S1", "S2", "S3", "S4", "S5", "S6", "S7"})
    public String shape;

    /** A number of threads, or {@code all} (every core). */
    @Param({"1", "all"})
    public String threads;

    @Param({"CPU"})
    public String backend;

    private Fixture f;

    @Setup(Level.Trial)
    public void setUp() {
        Backend b = Backend.valueOf(backend);
        Threads.apply(b, threads);
        f = new Fixture(Shape.valueOf(shape), b);
        f.forward(Mode.TRAINING); // allocates the workspace and records the forward that backward() reuses
        f.backward();
    }

    @Setup(Level.Iteration)
    public void zeroGradients() {
        f.rnn.zeroGradients();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        f.close();
    }

    @Benchmark
    public FloatBuffer trainingForward() {
        f.forward(Mode.TRAINING);
        return f.y;
    }

    @Benchmark
    public FloatBuffer backward() {
        f.backward();
        return f.dx;
    }

    @Benchmark
    public FloatBuffer train() {
        f.forward(Mode.TRAINING);
        f.backward();
        return f.dx;
    }
}
