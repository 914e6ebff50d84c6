package dev.rnn4j.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.rnn4j.Backend;
import dev.rnn4j.Batch;
import dev.rnn4j.CellType;
import dev.rnn4j.ForwardResult;
import dev.rnn4j.Mode;
import dev.rnn4j.Rnn;
import dev.rnn4j.RnnSpec;
import dev.rnn4j.io.Checkpoint;
import dev.rnn4j.train.Linear;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The Transformer and RnnInference on local[2] against the single-JVM Rnn on the same rows. */
class InferenceTest {
    // a 2-layer bidirectional LSTM with a head: every state row and direction is read back
    static final RnnSpec SPEC = RnnSpec.builder(CellType.LSTM, 3, 4).layers(2).bidirectional(true).build();
    static final int CLASSES = 5;
    static final StructType SCHEMA = new StructType().add("id", DataTypes.IntegerType)
            .add("seq", DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.FloatType)));

    static SparkSession spark;
    static JavaSparkContext jsc;
    @TempDir
    static Path dir;
    static Path model;
    static Linear head;

    @BeforeAll
    static void start() throws Exception {
        spark = SparkTests.start();
        jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
        model = dir.resolve("lstm.safetensors");
        head = new Linear(SPEC.outputFeatures(), CLASSES);
        head.initialize(7);
        try (Rnn rnn = Rnn.create(SPEC, Backend.JAVA)) {
            rnn.initialize(3);
            Checkpoint.save(model, rnn, Map.of("output", head), null, Map.of());
        }
    }

    @AfterAll
    static void stop() {
        spark.stop();
    }

    static float[][] sequence(SplittableRandom r, int steps) {
        float[][] s = new float[steps][SPEC.inputSize()];
        for (float[] step : s) for (int i = 0; i < step.length; i++) step[i] = (float) (r.nextDouble() * 2 - 1);
        return s;
    }

    static List<Row> rows(int count, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < count; i++) rows.add(RowFactory.create(i, sequence(r, 1 + r.nextInt(9))));
        return rows;
    }

    static Dataset<Row> frame(List<Row> rows, int partitions) {
        return spark.createDataFrame(jsc.parallelize(rows, partitions), SCHEMA);
    }

    static float[][] seqOf(Row row) {
        if (row.get(1) instanceof float[][]) return (float[][]) row.get(1); // a row as the test made it
        List<Object> steps = row.getList(1);
        float[][] s = new float[steps.size()][];
        for (int t = 0; t < s.length; t++) {
            scala.collection.Seq<?> step = (scala.collection.Seq<?>) steps.get(t);
            s[t] = new float[step.length()];
            for (int i = 0; i < s[t].length; i++) s[t][i] = ((Number) step.apply(i)).floatValue();
        }
        return s;
    }

    /**
     * The single-JVM results: the rows of each partition cut into batches of {@code batchSize}, as
     * a partition does; per row, {last hidden, logits, outputs flattened}.
     */
    static List<float[][]> expected(List<List<Row>> partitions, int batchSize, Backend backend) {
        List<float[][]> out = new ArrayList<>();
        try (Rnn rnn = Rnn.create(SPEC, backend)) {
            rnn.initialize(3);
            int in = SPEC.inputSize(), f = SPEC.outputFeatures(), ho = SPEC.outputSize(), d = SPEC.directions();
            for (List<Row> part : partitions) {
                for (int from = 0; from < part.size(); from += batchSize) {
                    List<Row> batch = part.subList(from, Math.min(part.size(), from + batchSize));
                    int n = batch.size();
                    int[] lengths = new int[n];
                    float[][][] seqs = new float[n][][];
                    for (int b = 0; b < n; b++) {
                        seqs[b] = seqOf(batch.get(b));
                        lengths[b] = seqs[b].length;
                    }
                    int steps = Arrays.stream(lengths).max().getAsInt();
                    float[] x = new float[steps * n * in];
                    for (int b = 0; b < n; b++) {
                        for (int t = 0; t < lengths[b]; t++) System.arraycopy(seqs[b][t], 0, x, (t * n + b) * in, in);
                    }
                    ForwardResult r = rnn.forward(Mode.INFERENCE, Batch.ofLengths(steps, lengths), x, null, null);
                    float[] last = new float[n * f];
                    for (int b = 0; b < n; b++) {
                        for (int k = 0; k < d; k++) {
                            System.arraycopy(r.hN(), (((SPEC.layers() - 1) * d + k) * n + b) * ho, last, b * f + k * ho, ho);
                        }
                    }
                    float[] logits = new float[n * CLASSES];
                    head.forward(last, n, logits);
                    for (int b = 0; b < n; b++) {
                        float[] ys = new float[lengths[b] * f];
                        for (int t = 0; t < lengths[b]; t++) System.arraycopy(r.y(), (t * n + b) * f, ys, t * f, f);
                        out.add(new float[][] {Arrays.copyOfRange(last, b * f, (b + 1) * f),
                                Arrays.copyOfRange(logits, b * CLASSES, (b + 1) * CLASSES), ys});
                    }
                }
            }
        }
        return out;
    }

    static float[] floats(Row row, int column) {
        List<Object> v = row.getList(column);
        float[] a = new float[v.size()];
        for (int i = 0; i < a.length; i++) a[i] = (Float) v.get(i);
        return a;
    }

    static float[] flatOutputs(Row row, int column) {
        List<Object> steps = row.getList(column);
        List<Float> all = new ArrayList<>();
        for (Object s : steps) {
            scala.collection.Seq<?> step = (scala.collection.Seq<?>) s;
            for (int i = 0; i < step.length(); i++) all.add((Float) step.apply(i));
        }
        float[] a = new float[all.size()];
        for (int i = 0; i < a.length; i++) a[i] = all.get(i);
        return a;
    }

    @Test
    void transformerEqualsTheSingleJvmRnnBitwiseWithOneThread() {
        List<Row> rows = rows(23, 1);
        Dataset<Row> df = frame(rows, 2);
        List<List<Row>> partitions = df.javaRDD().glom().collect();
        RnnTransformer t = new RnnTransformer().setModelPath(model.toString()).setInputCol("seq").setBatchSize(4);
        List<Row> hidden = t.setOutputCol("h").setOutput("lastHidden").transform(df).collectAsList();
        List<Row> logits = t.copy(new org.apache.spark.ml.param.ParamMap()).setOutputCol("logits").setOutput("logits")
                .transform(df).collectAsList();
        List<Row> outputs = t.setOutputCol("y").setOutput("outputs").transform(df).collectAsList();
        Backend backend = Backend.CPU.isAvailable() ? Backend.CPU : Backend.JAVA;
        if (backend == Backend.CPU) Backend.CPU.setThreads(1); // as each task ran (spark.task.cpus = 1)
        List<float[][]> want = expected(partitions, 4, backend);
        assertEquals(rows.size(), hidden.size());
        for (int i = 0; i < rows.size(); i++) {
            assertEquals(i, hidden.get(i).getInt(0), "rows keep their order");
            assertArrayEquals(want.get(i)[0], floats(hidden.get(i), 2), "last hidden state of row " + i);
            assertArrayEquals(want.get(i)[1], floats(logits.get(i), 2), "logits of row " + i);
            assertArrayEquals(want.get(i)[2], flatOutputs(outputs.get(i), 2), "outputs of row " + i);
            assertEquals(seqOf(rows.get(i)).length, outputs.get(i).getList(2).size(), "one output per step of row " + i);
        }
        assertEquals(0, TaskResources.OPEN.get(), "every network closed");
    }

    @Test
    void eachSequenceGivesWhatItGivesAloneWhateverTheBatch() {
        List<Row> rows = rows(9, 2);
        Dataset<Row> df = frame(rows, 2);
        List<Row> batched = RnnInference.of(model.toString()).inputCol("seq").batchSize(5).transform(df).collectAsList();
        List<float[][]> alone = expected(List.of(rows), 1, Backend.JAVA); // the reference, one sequence at a time
        for (int i = 0; i < rows.size(); i++) {
            float[] got = floats(batched.get(i), 2), want = alone.get(i)[0];
            for (int k = 0; k < want.length; k++) assertEquals(want[k], got[k], 2e-5, "row " + i + " feature " + k);
        }
    }

    @Test
    void emptyPartitionsReadNoModelAndGiveNoRows() {
        List<Row> rows = rows(2, 3);
        Dataset<Row> df = frame(rows, 5); // three partitions without rows
        assertEquals(2, RnnInference.of(model.toString()).inputCol("seq").transform(df).count());
        assertEquals(0, RnnInference.of(model.toString()).inputCol("seq").transform(df.limit(0)).count());
        // a missing model file is never read for an empty partition: no failure
        assertEquals(0, RnnInference.of(dir.resolve("absent.safetensors").toString()).inputCol("seq")
                .transform(frame(List.of(), 2)).count());
    }

    @Test
    void aVectorColumnWithAStepWidthReadsLikeTheNestedOne() {
        List<Row> rows = rows(7, 4);
        List<Row> vectors = new ArrayList<>();
        for (Row r : rows) {
            float[][] s = seqOf(r);
            double[] flat = new double[s.length * SPEC.inputSize()];
            for (int t = 0; t < s.length; t++) for (int i = 0; i < SPEC.inputSize(); i++) flat[t * SPEC.inputSize() + i] = s[t][i];
            vectors.add(RowFactory.create(r.getInt(0), Vectors.dense(flat)));
        }
        StructType schema = new StructType().add("id", DataTypes.IntegerType).add("v", SQLDataTypes.VectorType());
        Dataset<Row> vdf = spark.createDataFrame(jsc.parallelize(vectors, 2), schema);
        List<Row> fromVectors = RnnInference.of(model.toString()).inputCol("v").stepWidth(3).batchSize(3)
                .transform(vdf).collectAsList();
        List<Row> fromNested = RnnInference.of(model.toString()).inputCol("seq").batchSize(3)
                .transform(frame(rows, 2)).collectAsList();
        for (int i = 0; i < rows.size(); i++) assertArrayEquals(floats(fromNested.get(i), 2), floats(fromVectors.get(i), 2));
    }

    @Test
    void aFailedTaskLeaksNoNativeMemory() throws InterruptedException {
        List<Row> rows = new ArrayList<>(rows(12, 5));
        rows.set(9, RowFactory.create(9, null)); // partition 1 (rows 6..11): fails after a batch has run
        Dataset<Row> df = frame(rows, 2);
        RnnInference inference = RnnInference.of(model.toString()).inputCol("seq").batchSize(2);
        inference.transform(frame(rows(12, 5), 2)).count(); // warm: the natives and their pools are loaded
        long before = Pointer.totalBytes();
        for (int i = 0; i < 3; i++) {
            SparkTests.assertJobFails(() -> inference.transform(df).collectAsList(), "partition 1, row 3, column 'seq': the sequence is null");
        }
        // partition 0's task may still be running (or being killed) when the job has failed
        SparkTests.awaitSettled(() -> TaskResources.OPEN.get() == 0 && Pointer.totalBytes() == before);
        assertEquals(0, TaskResources.OPEN.get(), "every network of the failed tasks closed");
        assertEquals(before, Pointer.totalBytes(), "JavaCPP's native bytes back where they were");
    }

    @Test
    void badInputFailsTheJobNamingRowColumnAndProblem() {
        RnnInference inference = RnnInference.of(model.toString()).inputCol("seq");
        List<Row> rows = new ArrayList<>(rows(4, 6));
        rows.set(1, RowFactory.create(1, new float[][] {{1, 2, 3}, {1, 2}}));
        SparkTests.assertJobFails(() -> inference.transform(frame(rows, 1)).collectAsList(),
                "partition 0, row 1, column 'seq': step 1 has 2 features, the model's input size is 3 (a ragged sequence)");
        rows.set(1, RowFactory.create(1, new float[][] {{1, 2, 3, 4}}));
        SparkTests.assertJobFails(() -> inference.transform(frame(rows, 1)).collectAsList(),
                "partition 0, row 1, column 'seq': step 0 has 4 features, the model's input size is 3");
        rows.set(1, RowFactory.create(1, new float[0][]));
        SparkTests.assertJobFails(() -> inference.transform(frame(rows, 1)).collectAsList(),
                "column 'seq': the sequence is empty (0 steps)");
        rows.set(1, RowFactory.create(1, new float[][] {{1, 2, 3}, null}));
        SparkTests.assertJobFails(() -> inference.transform(frame(rows, 1)).collectAsList(), "row 1, column 'seq': step 1 is null");
        // a vector column whose declared step width is not the model's input size
        StructType schema = new StructType().add("v", SQLDataTypes.VectorType());
        Dataset<Row> vdf = spark.createDataFrame(List.of(RowFactory.create(Vectors.dense(1, 2, 3, 4))), schema);
        SparkTests.assertJobFails(() -> RnnInference.of(model.toString()).inputCol("v").stepWidth(2).transform(vdf).collectAsList(),
                "step width 2 of input column 'v' does not match the model's input size 3");
        SparkTests.assertJobFails(() -> RnnInference.of(model.toString()).inputCol("v").stepWidth(3).transform(vdf).collectAsList(),
                "column 'v': has 4 values, not a multiple of the step width 3");
        Path missing = dir.resolve("missing.safetensors");
        SparkTests.assertJobFails(() -> RnnInference.of(missing.toString()).inputCol("seq").transform(frame(rows(3, 7), 1)).collectAsList(),
                "model file " + missing + ": no such file");
        assertEquals(0, TaskResources.OPEN.get());
    }

    @Test
    void schemaProblemsAreFoundBeforeAnyJob() {
        Dataset<Row> df = frame(rows(2, 8), 1);
        RnnTransformer t = new RnnTransformer().setModelPath(model.toString());
        SparkTests.assertJobFails(() -> t.transform(df), "input column 'sequence' does not exist; the columns are id, seq");
        SparkTests.assertJobFails(() -> t.setInputCol("id").transform(df), "input column 'id' is int");
        SparkTests.assertJobFails(() -> t.setInputCol("seq").setOutputCol("id").transform(df), "output column 'id' already exists");
        SparkTests.assertJobFails(() -> new RnnTransformer().transform(df), "param modelPath of rnn4j_");
    }

    @Test
    void theTransformerSavesAndLoadsItsParams() throws Exception {
        RnnTransformer t = new RnnTransformer().setModelPath(model.toString()).setInputCol("seq").setOutput("logits").setBatchSize(3);
        Path saved = dir.resolve("transformer");
        t.write().save(saved.toString());
        RnnTransformer back = RnnTransformer.load(saved.toString());
        assertEquals(t.uid(), back.uid());
        assertEquals(t.inference().toString(), back.inference().toString());
        assertTrue(Files.isDirectory(saved));
    }
}
