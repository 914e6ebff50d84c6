package dev.rnn4j.spark.examples;

import dev.rnn4j.Backend;
import dev.rnn4j.CellType;
import dev.rnn4j.Rnn;
import dev.rnn4j.RnnSpec;
import dev.rnn4j.spark.DataParallelTrainer;
import dev.rnn4j.spark.RnnInference;
import dev.rnn4j.train.Adam;
import dev.rnn4j.train.Linear;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The character LSTM of {@code rnn4j demo}, trained data-parallel on Spark: the text is cut into
 * windows of {@code --seq-length} one-hot characters, each with the next characters as targets;
 * {@link DataParallelTrainer} runs Adam with gradient clipping over {@code --partitions}
 * partitions; the checkpoint it saves is read by {@code rnn4j sample FILE} and by
 * {@link dev.rnn4j.spark.RnnTransformer}. Prints the loss and the throughput in sequences per second.
 *
 * <pre>
 * CharLstm [--master local[2]] [--partitions 2] [--steps 100] [--hidden 128] [--seq-length 64]
 *          [--batch 32] [--mini-batch 16] [--lr 0.003] [--clip 5] [--save FILE] [--local] TEXT_FILE
 * </pre>
 * {@code --local} runs {@link DataParallelTrainer#fitLocally}, the same loop in this JVM without
 * Spark jobs, for comparison. Without {@code --master} the master comes from {@code spark-submit}.
 */
public final class CharLstm {
    private CharLstm() {}

    /** Runs the example; see the class comment for the arguments. */
    public static void main(String[] args) throws IOException {
        Map<String, String> o = new LinkedHashMap<>(Map.of("partitions", "2", "steps", "100", "hidden", "128",
                "seq-length", "64", "batch", "32", "mini-batch", "16", "lr", "0.003", "clip", "5"));
        String text = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--local")) o.put("local", "true");
            else if (args[i].startsWith("--") && i + 1 < args.length) o.put(args[i].substring(2), args[++i]);
            else if (!args[i].startsWith("--")) text = args[i];
            else throw new IllegalArgumentException("option " + args[i] + " needs a value");
        }
        if (text == null) throw new IllegalArgumentException("give a UTF-8 text file to train on (for example the demo's sonnets:"
                + " rnn4j-cli/src/main/resources/dev/rnn4j/cli/sonnets.txt)");
        String corpus = Files.readString(Paths.get(text), StandardCharsets.UTF_8).replace("\r\n", "\n");
        int[] alphabet = corpus.codePoints().distinct().sorted().toArray();
        int[] ids = corpus.codePoints().map(cp -> Arrays.binarySearch(alphabet, cp)).toArray();
        int vocab = alphabet.length, seqLength = Integer.parseInt(o.get("seq-length"));
        List<Row> rows = new ArrayList<>();
        for (int start = 0; start + seqLength + 1 <= ids.length; start += seqLength) {
            float[][] x = new float[seqLength][vocab];
            int[] targets = new int[seqLength];
            for (int t = 0; t < seqLength; t++) {
                x[t][ids[start + t]] = 1f;
                targets[t] = ids[start + t + 1];
            }
            rows.add(RowFactory.create(x, targets));
        }
        StructType schema = new StructType()
                .add("features", DataTypes.createArrayType(DataTypes.createArrayType(DataTypes.FloatType)))
                .add("targets", DataTypes.createArrayType(DataTypes.IntegerType));

        SparkSession.Builder builder = SparkSession.builder().appName("rnn4j CharLstm").config("spark.ui.enabled", "false");
        if (o.containsKey("master")) builder.master(o.get("master"));
        SparkSession spark = builder.getOrCreate();
        try {
            JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            Dataset<Row> windows = spark.createDataFrame(jsc.parallelize(rows, Integer.parseInt(o.get("partitions"))), schema);
            RnnSpec spec = RnnSpec.builder(CellType.LSTM, vocab, Integer.parseInt(o.get("hidden"))).build();
            Backend driver = Backend.CPU.isAvailable() ? Backend.CPU : Backend.JAVA;
            try (Rnn rnn = Rnn.create(spec, driver)) {
                rnn.initialize(1);
                Linear head = new Linear(spec.outputFeatures(), vocab);
                head.initialize(2);
                Adam adam = new Adam(Double.parseDouble(o.get("lr")));
                adam.add(rnn.parameterBuffer(), rnn.gradientBuffer());
                adam.add(head.parameters(), head.gradients());
                int steps = Integer.parseInt(o.get("steps")), batch = Integer.parseInt(o.get("batch"));
                DataParallelTrainer trainer = new DataParallelTrainer(rnn, head, adam).globalBatch(batch)
                        .miniBatch(Integer.parseInt(o.get("mini-batch"))).clipNorm(Double.parseDouble(o.get("clip")))
                        .compute(RnnInference.Compute.CPU);
                if (o.containsKey("save")) {
                    trainer.checkpoint(Paths.get(o.get("save")), Math.max(1, steps / 4), "output", Map.of("demo.alphabet",
                            new String(alphabet, 0, alphabet.length), "demo.corpus", Path.of(text).getFileName().toString()));
                }
                boolean local = o.containsKey("local");
                System.out.printf(Locale.ROOT, "%s: %s + Linear(%d -> %d), %d windows of %d characters in %d partitions,"
                        + " %d steps of %d sequences (mini-batches of %s), %s%n", local ? "single JVM" : spark.sparkContext().master(),
                        spec, spec.outputFeatures(), vocab, rows.size(), seqLength, windows.javaRDD().getNumPartitions(), steps,
                        batch, o.get("mini-batch"), Backend.CPU.isAvailable() ? "Backend.CPU" : "Backend.JAVA (no natives)");
                long t0 = System.nanoTime();
                double[] losses = local ? trainer.fitLocally(windows, steps) : trainer.fit(windows, steps);
                double seconds = (System.nanoTime() - t0) / 1e9;
                int every = Math.max(1, steps / 10);
                for (int s = 0; s < steps; s++) {
                    if (s % every == 0 || s == steps - 1) System.out.printf(Locale.ROOT, "step %5d  loss %.3f nats/char%n", s + 1, losses[s]);
                }
                System.out.printf(Locale.ROOT, "%.1f s, %.1f sequences/s (%.0f characters/s)%n", seconds,
                        steps * (double) batch / seconds, steps * (double) batch * seqLength / seconds);
            }
        } finally {
            spark.stop();
        }
    }
}
