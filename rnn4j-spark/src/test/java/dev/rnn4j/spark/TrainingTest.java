package dev.rnn4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnn4j.Backend;
import dev.rnn4j.Batch;
import dev.rnn4j.CellType;
import dev.rnn4j.Mode;
import dev.rnn4j.Rnn;
import dev.rnn4j.RnnSpec;
import dev.rnn4j.io.Checkpoint;
import dev.rnn4j.train.Adam;
import dev.rnn4j.train.GradientClipping;
import dev.rnn4j.train.Linear;
import dev.rnn4j.train.Optimizer;
import dev.rnn4j.train.SoftmaxCrossEntropy;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Data-parallel training on local[2] against the single-JVM loops over the same global batches. */
class TrainingTest {
    static final RnnSpec SPEC = RnnSpec.builder(CellType.LSTM, 4, 6).layers(2).build();
    static final int CLASSES = 5;
    static final StructType SCHEMA = new StructType()
            .add("features", DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.FloatType)))
            .add("targets", DataTypes.createArrayType(DataTypes.IntegerType));

    static SparkSession spark;
    static JavaSparkContext jsc;
    @TempDir
    static Path dir;

    @BeforeAll
    static void start() {
        spark = SparkTests.start();
        jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    static List<Row> examples(int count, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Row> rows = new ArrayList<>();
        for (int e = 0; e < count; e++) {
            int steps = 2 + r.nextInt(7);
            float[][] x = new float[steps][SPEC.inputSize()];
            int[] targets = new int[steps];
            for (int t = 0; t < steps; t++) {
                for (int i = 0; i < SPEC.inputSize(); i++) x[t][i] = (float) (r.nextDouble() * 2 - 1);
                targets[t] = r.nextInt(8) == 0 ? SoftmaxCrossEntropy.IGNORE : r.nextInt(CLASSES);
            }
            rows.add(RowFactory.create(x, targets));
        }
        return rows;
    }

    /** A freshly seeded model, head and Adam; the same for every run. */
    static final class Model implements AutoCloseable {
        final Rnn rnn = Rnn.create(SPEC, Backend.JAVA);
        final Linear head = new Linear(SPEC.outputFeatures(), CLASSES);
        final Adam adam = new Adam(0.01);

        Model() {
            rnn.initialize(11);
            head.initialize(12);
            adam.add(rnn.parameterBuffer(), rnn.gradientBuffer());
            adam.add(head.parameters(), head.gradients());
        }

        DataParallelTrainer trainer() {
            return new DataParallelTrainer(rnn, head, adam).globalBatch(10).miniBatch(3).clipNorm(0.5);
        }

        float[] headParameters() {
            float[] p = new float[head.parameterCount()];
            head.parameters().get(0, p);
            return p;
        }

        @Override
        public void close() {
            rnn.close();
        }
    }

    @Test
    void sparkStepsEqualTheSingleJvmLoopBitwise() {
        Dataset<Row> df = spark.createDataFrame(jsc.parallelize(examples(25, 1), 2), SCHEMA);
        try (Model spark = new Model(); Model local = new Model()) {
            double[] sparkLosses = spark.trainer().fit(df, 4);
            double[] localLosses = local.trainer().fitLocally(df, 4);
            assertArrayEquals(localLosses, sparkLosses);
            assertArrayEquals(local.rnn.parameters(), spark.rnn.parameters());
            assertArrayEquals(local.headParameters(), spark.headParameters());
            assertEquals(4, spark.adam.steps());
        }
        assertEquals(0, TaskResources.OPEN.get(), "every executor network closed");
    }

    @Test
    void sparkStepsMatchThePlainWholeBatchLoopToFp32Rounding() {
        List<Row> rows = examples(23, 2);
        // three partitions and an empty fourth
        List<List<Row>> partitions = new ArrayList<>(jsc.parallelize(rows, 3).glom().collect());
        partitions.add(List.of());
        Dataset<Row> df = spark.createDataFrame(jsc.parallelize(rows, 3), SCHEMA)
                .union(spark.createDataFrame(jsc.parallelize(List.<Row>of(), 1), SCHEMA));
        assertEquals(4, df.javaRDD().getNumPartitions());
        int steps = 5;
        try (Model spark = new Model(); Model plain = new Model()) {
            double[] losses = spark.trainer().compute(RnnInference.Compute.JAVA).fit(df, steps);
            double[] plainLosses = plainLoop(plain, partitions, 10, 0.5, steps);
            for (int s = 0; s < steps; s++) assertEquals(plainLosses[s], losses[s], 1e-5, "loss of step " + s);
            assertClose(plain.rnn.parameters(), spark.rnn.parameters(), "Rnn parameters");
            assertClose(plain.headParameters(), spark.headParameters(), "head parameters");
        }
    }

    @Test
    void checkpointsHoldTheTrainedModelAndTheLossFalls() throws Exception {
        Dataset<Row> df = spark.createDataFrame(jsc.parallelize(examples(20, 3), 2), SCHEMA);
        Path file = dir.resolve("trained.safetensors");
        try (Model m = new Model()) {
            double[] losses = m.trainer().globalBatch(20).checkpoint(file, 5, "output", java.util.Map.of("note", "test")).fit(df, 12);
            assertTrue(losses[11] < losses[0], "the loss falls: " + Arrays.toString(losses));
            Checkpoint c = Checkpoint.load(file);
            assertEquals("12", c.metadata().get("spark.step"));
            assertEquals("test", c.metadata().get("note"));
            assertEquals(12, c.optimizerSteps());
            try (Rnn saved = c.rnn(Backend.JAVA)) {
                assertArrayEquals(m.rnn.parameters(), saved.parameters());
            }
            assertArrayEquals(m.head.weight(), c.layers().get("output").weight());
        }
    }

    @Test
    void badTrainingRowsFailTheJobNamingThem() throws InterruptedException {
        List<Row> rows = new ArrayList<>(examples(6, 4));
        rows.set(4, RowFactory.create(new float[][] {{1, 2, 3, 4}, {5, 6, 7, 8}}, new int[] {1}));
        try (Model m = new Model()) {
            SparkTests.assertJobFails(() -> m.trainer().fit(spark.createDataFrame(jsc.parallelize(rows, 2), SCHEMA), 1),
                    "partition 1, row 1, column 'targets': has 1 targets for a sequence of 2 steps");
            rows.set(4, RowFactory.create(new float[][] {{1, 2, 3, 4}}, new int[] {CLASSES}));
            SparkTests.assertJobFails(() -> m.trainer().fit(spark.createDataFrame(jsc.parallelize(rows, 2), SCHEMA), 1),
                    "column 'targets': target 0 is 5, not in 0..4 or -1 (none)");
            rows.set(4, RowFactory.create(new float[][] {{1, 2, 3}}, new int[] {1}));
            SparkTests.assertJobFails(() -> m.trainer().fit(spark.createDataFrame(jsc.parallelize(rows, 2), SCHEMA), 1),
                    "partition 1, row 1, column 'features': step 0 has 3 features, the model's input size is 4");
            assertEquals(0, m.adam.steps(), "nothing was applied");
        }
        SparkTests.awaitSettled(() -> TaskResources.OPEN.get() == 0); // partition 0's tasks end after the job failed
        assertEquals(0, TaskResources.OPEN.get(), "every network of the failed tasks closed");
    }

    /**
     * The loop a user writes in one JVM: each global batch (the k-th slice of every partition, as
     * DataParallelTrainer defines it) in one forward, mean loss, clip, Adam.
     */
    static double[] plainLoop(Model m, List<List<Row>> partitions, int batch, double clip, int steps) {
        double[] losses = new double[steps];
        int in = SPEC.inputSize(), f = SPEC.outputFeatures();
        int rows = partitions.stream().mapToInt(List::size).sum();
        int batches = (rows + batch - 1) / batch;
        for (int s = 0; s < steps; s++) {
            int k = s % batches;
            List<Row> part = new ArrayList<>();
            for (List<Row> p : partitions) part.addAll(p.subList(k * p.size() / batches, (k + 1) * p.size() / batches));
            int n = part.size(), maxT = 0, total = 0;
            int[] lengths = new int[n];
            for (int b = 0; b < n; b++) {
                lengths[b] = ((float[][]) part.get(b).get(0)).length;
                maxT = Math.max(maxT, lengths[b]);
                total += lengths[b];
            }
            float[] x = new float[maxT * n * in];
            for (int b = 0; b < n; b++) {
                float[][] seq = (float[][]) part.get(b).get(0);
                for (int t = 0; t < lengths[b]; t++) System.arraycopy(seq[t], 0, x, (t * n + b) * in, in);
            }
            float[] y = m.rnn.forward(Mode.TRAINING, Batch.ofLengths(maxT, lengths), x, null, null).y();
            float[] yRows = new float[total * f];
            int[] targets = new int[total];
            for (int b = 0, r = 0; b < n; b++) {
                for (int t = 0; t < lengths[b]; t++, r++) {
                    System.arraycopy(y, (t * n + b) * f, yRows, r * f, f);
                    targets[r] = ((int[]) part.get(b).get(1))[t];
                }
            }
            float[] logits = new float[total * CLASSES];
            m.head.forward(yRows, total, logits);
            losses[s] = SoftmaxCrossEntropy.loss(logits, total, CLASSES, targets, logits);
            float[] dyRows = new float[total * f];
            m.head.backward(yRows, logits, total, dyRows);
            float[] dy = new float[maxT * n * f];
            for (int b = 0, r = 0; b < n; b++) {
                for (int t = 0; t < lengths[b]; t++, r++) System.arraycopy(dyRows, r * f, dy, (t * n + b) * f, f);
            }
            m.rnn.backward(dy, null, null);
            Optimizer o = m.adam;
            GradientClipping.byGlobalNorm(clip, o.gradients());
            o.step();
            o.zeroGradients();
        }
        return losses;
    }

    static void assertClose(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length);
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], got[i], 1e-5 + 1e-4 * Math.abs(want[i]), what + "[" + i + "]");
        }
    }
}
