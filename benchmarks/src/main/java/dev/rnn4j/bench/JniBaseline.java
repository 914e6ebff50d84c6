package dev.rnn4j.bench;

import dev.rnn4j.Backend;
import dev.rnn4j.CellType;
import dev.rnn4j.Mode;
import dev.rnn4j.Rnn;
import dev.rnn4j.RnnSpec;
import dev.rnn4j.Batch;
import dev.rnn4j.cpu.Rnn4jCpu;
import java.nio.FloatBuffer;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Fixed costs per call, the floor under the small shapes (L3 takes well under a millisecond):
 * <ul>
 *   <li>{@link #trivialNativeCall}: {@code rnn4j_get_num_threads()} through JavaCPP, a JNI call that
 *       does nothing: the cost of crossing into native code.
 *   <li>{@link #tinyForward}: a whole {@code Rnn.forward} (INFERENCE) of a 1-step, 1-sequence,
 *       1-unit LSTM with direct buffers: the public API's argument checks, its bookkeeping and one
 *       native call with almost no arithmetic.
 * </ul>
 * Run with {@code -prof gc}: both must allocate ~0 B/op.
 */
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class JniBaseline {
    private Rnn tiny;
    private Batch batch;
    private FloatBuffer x, y, hN, cN;

    @Setup(Level.Trial)
    public void setUp() {
        Backend.CPU.setThreads(1);
        tiny = Rnn.create(RnnSpec.builder(CellType.LSTM, 1, 1).build(), Backend.CPU);
        batch = Batch.of(1, 1);
        x = Buffers.random(1, 1);
        y = Buffers.direct(1);
        hN = Buffers.direct(1);
        cN = Buffers.direct(1);
        tinyForward();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        tiny.close();
    }

    @Benchmark
    public int trivialNativeCall() {
        return Rnn4jCpu.rnn4j_get_num_threads();
    }

    @Benchmark
    public FloatBuffer tinyForward() {
        tiny.forward(Mode.INFERENCE, batch, x, null, null, y, hN, cN);
        return y;
    }
}
