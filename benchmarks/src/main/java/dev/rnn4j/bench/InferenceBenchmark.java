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
 * Forward inference over every shape of docs/DESIGN.md §7.
 *
 * <p>Timed: one {@code Rnn.forward(INFERENCE, ...)} over the whole sequence batch, through the
 * public zero-allocation {@link FloatBuffer} overload with direct buffers: argument checks, the JNI
 * call, the input projection of all steps, the recurrence, writing y and hN (and cN). Not timed:
 * creating the network, the buffers and the workspace (a warm-up call in setup allocates it).
 *
 * <p>The Java reference is not in the default sweep (it is ~100x slower): add it with
 * {@code -p backend=CPU,JAVA -p shape=L1,L2,L3}.
 */
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class InferenceBenchmark {
    @Param({"S1", "S2", "S3", "S4", "S5", "S6", "S7", "L1", "L2", "L3"})
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
        f.forward(Mode.INFERENCE); // allocates the workspace, outside the measurement
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        f.close();
    }

    @Benchmark
    public FloatBuffer forward() {
        f.forward(Mode.INFERENCE);
        return f.y;
    }
}
