package dev.rnn4j.spark;

import dev.rnn4j.Rnn;
import dev.rnn4j.RnnSpec;
import dev.rnn4j.io.Checkpoint;
import dev.rnn4j.train.GradientClipping;
import dev.rnn4j.train.Linear;
import dev.rnn4j.train.Optimizer;
import dev.rnn4j.train.SoftmaxCrossEntropy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.storage.StorageLevel;

/**
 * Synchronous data-parallel training on Spark, in the manner of Spark MLlib's gradient descent:
 * each step broadcasts the parameters, each partition sums the gradient of its part of the step's
 * global batch, {@code treeAggregate} adds the partitions' sums, and the driver applies gradient
 * clipping and an rnn4j {@link Optimizer}. The task is a sequence-to-sequence classifier: an
 * {@link Rnn} whose last-layer output at every step goes through a {@link Linear} head into softmax
 * cross-entropy against that step's class (the demo's character model is one).
 *
 * <pre>{@code
 * try (Rnn rnn = Rnn.create(spec)) {
 *     Linear head = new Linear(spec.outputFeatures(), classes);
 *     Adam adam = new Adam(3e-3);
 *     adam.add(rnn.parameterBuffer(), rnn.gradientBuffer());
 *     adam.add(head.parameters(), head.gradients());
 *     double[] losses = new DataParallelTrainer(rnn, head, adam).globalBatch(64).miniBatch(16).clipNorm(5)
 *             .fit(df, 200);   // columns "features" array<array<float>> and "targets" array<int>
 * }
 * }</pre>
 *
 * <h2>Batches, and equality with one JVM</h2>
 * With {@code n} rows there are {@code b = ceil(n / globalBatch)} global batches; step {@code s}
 * takes batch {@code k = s mod b}, which is the {@code k}-th of {@code b} (nearly) equal slices of
 * every partition, in the partition's row order: partition {@code p} of {@code n_p} rows gives its
 * rows {@code floor(k n_p / b)} to {@code floor((k+1) n_p / b) - 1}. Every partition thus works on
 * every step, in proportion to its size, and a batch has about {@code globalBatch} rows (shuffle the
 * Dataset beforehand for random batches). Each partition cuts its slice into mini-batches of
 * {@code miniBatch} rows, sums the loss over every counted target and its gradient in fp32, in row
 * order; the partitions' sums are added in fp64; the driver divides by the batch's count of targets
 * once, rounds to fp32, clips and steps. The loss of a step is the mean over the batch's targets.
 *
 * <p>{@link #fitLocally} is the same loop in one JVM over the same partitions: the parameters are
 * bitwise equal to {@link #fit}'s for the same seed and data whenever the fp64 sums do not round
 * (always with two partitions, since fp64 addition is commutative; with more, a partition order that
 * changes the rounding of a sum of a few fp32 values is rare and then 1 ulp of fp64, far below fp32's).
 * The CPU kernels are bitwise reproducible for a fixed thread count ({@code spark.task.cpus}). Against
 * the plain single-JVM loop that runs each global batch in one forward, the results agree to fp32
 * rounding (the tests hold them to 1e-5 relative over a few steps), because the mini-batches change
 * only the order of the sums.
 *
 * <p>Not thread-safe; the driver's {@code rnn}, {@code head} and {@code optimizer} must not be
 * used elsewhere during {@link #fit}.
 */
public final class DataParallelTrainer {
    private static final System.Logger LOG = System.getLogger(DataParallelTrainer.class.getName());

    private final Rnn rnn;
    private final Linear head;
    private final Optimizer optimizer;
    private String featuresCol = "features";
    private String targetsCol = "targets";
    private int globalBatch = 64;
    private int miniBatch = 16;
    private double clipNorm;
    private int treeDepth = 2;
    private RnnInference.Compute compute = RnnInference.Compute.CPU;
    private Path checkpoint;
    private int checkpointEvery;
    private String headName = "output";
    private Map<String, String> metadata = Map.of();

    /**
     * A trainer of {@code rnn} and {@code head} (whose {@code inFeatures} is the Rnn's
     * {@code outputFeatures}) with {@code optimizer}, which must hold exactly the Rnn's
     * parameter buffer and then the head's parameters, as in the class example.
     *
     * @throws IllegalArgumentException if the head does not fit the Rnn or the optimizer holds other tensors
     */
    public DataParallelTrainer(Rnn rnn, Linear head, Optimizer optimizer) {
        this.rnn = Objects.requireNonNull(rnn, "rnn must not be null");
        this.head = Objects.requireNonNull(head, "head must not be null");
        this.optimizer = Objects.requireNonNull(optimizer, "optimizer must not be null");
        if (head.inFeatures() != rnn.spec().outputFeatures()) {
            throw new IllegalArgumentException("head takes " + head.inFeatures() + " features, but " + rnn.spec()
                    + " gives " + rnn.spec().outputFeatures());
        }
        List<FloatBuffer> g = optimizer.gradients();
        if (g.size() != 2 || g.get(0).remaining() != rnn.spec().parameterCount() || g.get(1).remaining() != head.parameterCount()) {
            throw new IllegalArgumentException("the optimizer must hold the Rnn's parameters (" + rnn.spec().parameterCount()
                    + " floats) and then the head's (" + head.parameterCount() + "), registered in that order");
        }
    }

    /** The {@code array<array<float>>} column of input sequences (default {@code features}). */
    public DataParallelTrainer featuresCol(String name) {
        this.featuresCol = Objects.requireNonNull(name, "featuresCol must not be null");
        return this;
    }

    /** The {@code array<int>} column of one class per step, {@code -1} for none (default {@code targets}). */
    public DataParallelTrainer targetsCol(String name) {
        this.targetsCol = Objects.requireNonNull(name, "targetsCol must not be null");
        return this;
    }

    /** Rows per step over all partitions (default 64). */
    public DataParallelTrainer globalBatch(int rows) {
        this.globalBatch = positive("globalBatch", rows);
        return this;
    }

    /** The most rows per forward call within a partition (default 16). */
    public DataParallelTrainer miniBatch(int rows) {
        this.miniBatch = positive("miniBatch", rows);
        return this;
    }

    /** Clips the global gradient norm to {@code maxNorm} before each step; 0 (default) for no clipping. */
    public DataParallelTrainer clipNorm(double maxNorm) {
        if (!(maxNorm >= 0) || Double.isInfinite(maxNorm)) throw new IllegalArgumentException("clipNorm must be 0 or positive, got " + maxNorm);
        this.clipNorm = maxNorm;
        return this;
    }

    /** The depth of {@code treeAggregate} (default 2). */
    public DataParallelTrainer treeDepth(int depth) {
        this.treeDepth = positive("treeDepth", depth);
        return this;
    }

    /** Where the partitions compute (default {@link RnnInference.Compute#CPU}, JAVA where natives are missing). */
    public DataParallelTrainer compute(RnnInference.Compute where) {
        this.compute = Objects.requireNonNull(where, "compute must not be null");
        return this;
    }

    /**
     * Saves an rnn4j checkpoint (the Rnn, the head under {@code headName}, the optimizer's state,
     * the caller's {@code metadata} and the step as {@code spark.step}) to {@code file} on the
     * driver every {@code every} steps and after the last; {@link RnnTransformer} reads it, and
     * {@code rnn4j sample} too when the metadata has the demo's alphabet.
     */
    public DataParallelTrainer checkpoint(Path file, int every, String headName, Map<String, String> metadata) {
        this.checkpoint = Objects.requireNonNull(file, "file must not be null");
        this.checkpointEvery = positive("every", every);
        this.headName = Objects.requireNonNull(headName, "headName must not be null");
        this.metadata = Map.copyOf(Objects.requireNonNull(metadata, "metadata must not be null"));
        return this;
    }

    /**
     * Trains for {@code steps} steps on {@code data}'s partitions and returns the loss of each step
     * (nats per target). The rows are read and checked once and cached (memory and disk) for the run.
     *
     * @throws IllegalArgumentException (inside a Spark job failure) naming the partition, row and
     *     column of a bad row: a null, empty or ragged sequence, a wrong feature width, targets of
     *     another length than the sequence or out of range
     */
    public double[] fit(Dataset<?> data, int steps) {
        positive("steps", steps);
        JavaRDD<Shard> shards = shards(data);
        shards.persist(StorageLevel.MEMORY_AND_DISK());
        try {
            long rows = shards.map(Shard::size).fold(0, Integer::sum);
            JavaSparkContext jsc = JavaSparkContext.fromSparkContext(data.sparkSession().sparkContext());
            GradientTask task = task();
            return run(steps, rows, (k, batches, rnnParameters, headParameters) -> {
                Broadcast<float[][]> parameters = jsc.broadcast(new float[][] {rnnParameters, headParameters});
                try {
                    return shards.treeAggregate(new GradientSum(),
                            (sum, shard) -> sum.merge(task.compute(shard, k, batches, parameters.value()[0], parameters.value()[1])),
                            GradientSum::merge, treeDepth);
                } finally {
                    parameters.destroy();
                }
            });
        } finally {
            shards.unpersist(false);
        }
    }

    /**
     * The same loop in this JVM, over {@code data}'s partitions collected to the driver, for
     * comparison with {@link #fit} (see the class comment); it adds the partitions' sums in partition order.
     */
    public double[] fitLocally(Dataset<?> data, int steps) {
        positive("steps", steps);
        List<Shard> shards = shards(data).collect();
        long rows = shards.stream().mapToLong(Shard::size).sum();
        GradientTask task = task();
        return run(steps, rows, (k, batches, rnnParameters, headParameters) -> {
            GradientSum sum = new GradientSum();
            for (Shard s : shards) sum.merge(task.compute(s, k, batches, rnnParameters, headParameters));
            return sum;
        });
    }

    /** One step's gradient over global batch {@code k} of {@code batches} at the given parameters. */
    private interface StepGradient {
        GradientSum compute(long k, long batches, float[] rnnParameters, float[] headParameters);
    }

    private GradientTask task() {
        return new GradientTask(rnn.spec(), head.outFeatures(), head.hasBias(), miniBatch, compute);
    }

    private double[] run(int steps, long rows, StepGradient gradient) {
        if (rows == 0) throw new IllegalArgumentException("the training data has no rows");
        long batches = (rows + globalBatch - 1) / globalBatch;
        double[] losses = new double[steps];
        float[] headParameters = new float[head.parameterCount()];
        for (int s = 0; s < steps; s++) {
            long k = s % batches;
            head.parameters().get(0, headParameters);
            GradientSum sum = gradient.compute(k, batches, rnn.parameters(), headParameters);
            if (sum.counted == 0) {
                LOG.log(System.Logger.Level.WARNING, "rnn4j: step " + s + " (global batch " + k + " of " + batches
                        + ") has no targets; the parameters are left as they are");
                losses[s] = Double.NaN;
            } else {
                apply(sum);
                losses[s] = sum.loss / sum.counted;
            }
            if (checkpoint != null && ((s + 1) % checkpointEvery == 0 || s == steps - 1)) save(s + 1);
        }
        return losses;
    }

    /** Writes the mean gradient into the driver's buffers, clips and steps. */
    private void apply(GradientSum sum) {
        FloatBuffer rg = optimizer.gradients().get(0), hg = optimizer.gradients().get(1);
        int n = rnn.spec().parameterCount();
        for (int i = 0; i < n; i++) rg.put(rg.position() + i, (float) (sum.gradient[i] / sum.counted));
        for (int i = 0; i < head.parameterCount(); i++) hg.put(hg.position() + i, (float) (sum.gradient[n + i] / sum.counted));
        if (clipNorm > 0) GradientClipping.byGlobalNorm(clipNorm, optimizer.gradients());
        optimizer.step();
        optimizer.zeroGradients();
    }

    private void save(int step) {
        try {
            Map<String, String> meta = new java.util.LinkedHashMap<>(metadata);
            meta.put("spark.step", Integer.toString(step));
            Checkpoint.save(checkpoint, rnn, Map.of(headName, head), optimizer, meta);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write checkpoint " + checkpoint + ": " + e.getMessage(), e);
        }
    }

    /** The rows as one {@link Shard} per partition, checked. */
    private JavaRDD<Shard> shards(Dataset<?> data) {
        Dataset<Row> df = data.toDF();
        SequenceColumn features = SequenceColumn.of(df.schema(), featuresCol, 0);
        features.checkInputSize(rnn.spec().inputSize());
        int targetsIndex;
        try {
            targetsIndex = df.schema().fieldIndex(targetsCol);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("targets column '" + targetsCol + "' does not exist; the columns are "
                    + String.join(", ", df.schema().fieldNames()));
        }
        DataType t = df.schema().fields()[targetsIndex].dataType();
        if (!(t instanceof ArrayType) || !((ArrayType) t).elementType().equals(DataTypes.IntegerType)) {
            throw new IllegalArgumentException("targets column '" + targetsCol + "' is " + t.simpleString() + ", not array<int>");
        }
        RnnSpec spec = rnn.spec();
        int classes = head.outFeatures();
        String targetsName = targetsCol;
        return df.javaRDD().mapPartitionsWithIndex((partition, it) -> {
            List<float[]> xs = new ArrayList<>();
            List<int[]> ts = new ArrayList<>();
            for (int row = 0; it.hasNext(); row++) {
                Row r = it.next();
                int steps = features.steps(r, spec.inputSize(), row, partition);
                float[] x = new float[steps * spec.inputSize()];
                features.copy(r, x, 0, spec.inputSize(), spec.inputSize(), row, partition);
                xs.add(x);
                ts.add(targets(r, targetsIndex, targetsName, steps, classes, row, partition));
            }
            Iterator<Shard> one = List.of(new Shard(partition, xs.toArray(new float[0][]), ts.toArray(new int[0][]))).iterator();
            return one;
        }, true);
    }

    private static int[] targets(Row row, int index, String column, int steps, int classes, int rowInPartition, int partition) {
        String where = "partition " + partition + ", row " + rowInPartition + ", column '" + column + "': ";
        if (row.isNullAt(index)) throw new IllegalArgumentException(where + "the targets are null");
        scala.collection.Seq<?> seq = row.getSeq(index);
        if (seq.length() != steps) {
            throw new IllegalArgumentException(where + "has " + seq.length() + " targets for a sequence of " + steps + " steps");
        }
        int[] out = new int[steps];
        for (int t = 0; t < steps; t++) {
            Object v = seq.apply(t);
            if (v == null) throw new IllegalArgumentException(where + "target " + t + " is null");
            out[t] = (Integer) v;
            if (out[t] != SoftmaxCrossEntropy.IGNORE && (out[t] < 0 || out[t] >= classes)) {
                throw new IllegalArgumentException(where + "target " + t + " is " + out[t] + ", not in 0.." + (classes - 1)
                        + " or -1 (none)");
            }
        }
        return out;
    }

    private static int positive(String name, int value) {
        if (value < 1) throw new IllegalArgumentException(name + " must be positive, got " + value);
        return value;
    }

    @Override
    public String toString() {
        return "DataParallelTrainer(" + rnn.spec() + " -> " + head + ", global batch " + globalBatch + ", mini-batch "
                + miniBatch + (clipNorm > 0 ? ", clip " + clipNorm : "") + ", " + optimizer.getClass().getSimpleName() + ")";
    }
}
