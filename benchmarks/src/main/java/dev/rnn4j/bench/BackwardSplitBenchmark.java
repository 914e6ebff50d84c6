package dev.rnn4j.bench;

import dev.rnn4j.Backend;
import dev.rnn4j.RnnSpec;
import dev.rnn4j.cpu.Rnn4jCpu;
import dev.rnn4j.internal.NativeStatus;
import java.nio.FloatBuffer;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
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
 * The two halves of the CPU backward, separately, through the C API ({@link Rnn4jCpu}), which the
 * public {@code Rnn.backward} calls as one:
 * <ul>
 *   <li>{@link #backwardData}: {@code rnn4j_backward_data}, the BPTT loop: dx, dh0, dc0 and the
 *       gate gradients (left in the workspace). Repeatable on one recorded forward.
 *   <li>{@link #backwardWeights}: {@code rnn4j_backward_weights}, the large GEMMs that accumulate
 *       dW_ih, dW_hh and the bias gradients from the gate gradients. Repeatable too.
 * </ul>
 * Setup runs one training forward and one backward_data on the workspace. Gradients accumulate;
 * they are zeroed at every iteration, outside the timed region. CPU backend only.
 */
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class BackwardSplitBenchmark {
    @Param({"S1", "S2", "S3", "S4", "S5", "S6", "S7"})
    public String shape;

    /** A number of threads, or {@code all} (every core). */
    @Param({"1", "all"})
    public String threads;

    private IntPointer desc;
    private FloatPointer params, grads;
    private BytePointer workspace;
    private long workspaceBytes;
    private FloatBuffer x, y, dy, dx, dh0, dc0;

    @Setup(Level.Trial)
    public void setUp() {
        Threads.apply(Backend.CPU, threads); // also loads the native library
        Shape s = Shape.valueOf(shape);
        RnnSpec spec = s.spec();
        desc = new IntPointer(Rnn4jCpu.DESC_FIELDS);
        desc.put(dev.rnn4j.internal.NativeDesc.fields(spec));
        params = new FloatPointer(spec.parameterCount());
        params.put(Buffers.randomArray(spec.parameterCount(), 0));
        // scale like PyTorch's default initialisation, uniform in (-1/sqrt(H), 1/sqrt(H))
        float scale = (float) (1 / Math.sqrt(spec.hiddenSize()));
        for (long i = 0; i < spec.parameterCount(); i++) params.put(i, params.get(i) * scale);
        grads = new FloatPointer(spec.parameterCount()).zero();
        try (LongPointer size = new LongPointer(1)) {
            check(Rnn4jCpu.rnn4j_workspace_size(desc, s.steps, s.batch, 1, size), "rnn4j_workspace_size");
            workspaceBytes = size.get();
        }
        workspace = new BytePointer(workspaceBytes);
        long tn = (long) s.steps * s.batch;
        long states = (long) spec.stateRows() * s.batch;
        x = Buffers.random(tn * spec.inputSize(), Fixture.SEED_X);
        y = Buffers.direct(tn * spec.outputFeatures());
        dy = Buffers.random(tn * spec.outputFeatures(), Fixture.SEED_DY);
        dx = Buffers.direct(tn * spec.inputSize());
        dh0 = Buffers.direct(states * spec.outputSize());
        dc0 = spec.cell().hasCellState() ? Buffers.direct(states * spec.hiddenSize()) : null;
        check(Rnn4jCpu.rnn4j_forward(desc, s.steps, s.batch, null, 1, params, x, null, null, y, null, null, workspace,
                workspaceBytes), "rnn4j_forward");
        backwardData();
        backwardWeights();
    }

    @Setup(Level.Iteration)
    public void zeroGradients() {
        grads.zero();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        workspace.close();
        grads.close();
        params.close();
        desc.close();
    }

    @Benchmark
    public int backwardData() {
        return check(Rnn4jCpu.rnn4j_backward_data(desc, params, dy, null, null, dx, dh0, dc0, workspace,
                workspaceBytes), "rnn4j_backward_data");
    }

    @Benchmark
    public int backwardWeights() {
        return check(Rnn4jCpu.rnn4j_backward_weights(desc, grads, workspace, workspaceBytes), "rnn4j_backward_weights");
    }

    private static int check(int status, String function) {
        NativeStatus.check(status, function, Rnn4jCpu::rnn4j_last_error);
        return status;
    }
}
