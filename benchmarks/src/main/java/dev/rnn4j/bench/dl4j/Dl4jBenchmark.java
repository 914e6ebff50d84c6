package dev.rnn4j.bench.dl4j;

import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * DL4J's LSTM and SimpleRnn layers on the shapes of docs/DESIGN.md §7 that DL4J can express (it has no
 * GRU layer: S5 and L3 are absent), through {@link Dl4jModel}. Only in the jar of the {@code dl4j}
 * profile ({@code benchmarks/target/dl4j/benchmarks-dl4j.jar}).
 *
 * <p>Timed: {@link #inference}, every layer's {@code activate(x, false)}; {@link #train}, every
 * layer's {@code activate(x, true)} then {@code backpropGradient(dy)} (dx and the weight gradients,
 * which DL4J overwrites). Weights are DL4J's own initialisation (the values do not change the work);
 * inputs uniform in (-1, 1). DL4J's threads follow the environment: run with
 * {@code OMP_NUM_THREADS=n OPENBLAS_NUM_THREADS=n} (the forked JVM inherits them). Run only this
 * class from that jar: its rnn4j classes are compiled against DL4J's older JavaCPP.
 */
@BenchmarkMode(org.openjdk.jmh.annotations.Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = "--enable-native-access=ALL-UNNAMED")
@State(Scope.Thread)
public class Dl4jBenchmark {
    @Param({"S1", "S2", "S3", "S4", "S6", "S7", "L1", "L2"})
    public String shape;

    private Dl4jModel model;
    private INDArray x, dy;

    @Setup(Level.Trial)
    public void setUp() {
        dev.rnn4j.bench.Shape s = dev.rnn4j.bench.Shape.valueOf(shape);
        String cell = s.cell == dev.rnn4j.CellType.LSTM ? "LSTM" : "RNN_TANH";
        model = new Dl4jModel(cell, s.inputSize, s.hiddenSize, s.layers, s.directions());
        Nd4j.getRandom().setSeed(1);
        x = Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, s.steps, s.batch, s.inputSize).subi(0.5).muli(2);
        dy = Nd4j.rand(org.nd4j.linalg.api.buffer.DataType.FLOAT, s.steps, s.batch, s.directions() * s.hiddenSize)
                .subi(0.5).muli(2);
        model.train(x, dy); // warms DL4J's allocations up
    }

    @Benchmark
    public INDArray inference() {
        return model.infer(x);
    }

    @Benchmark
    public INDArray train() {
        return model.train(x, dy);
    }
}
