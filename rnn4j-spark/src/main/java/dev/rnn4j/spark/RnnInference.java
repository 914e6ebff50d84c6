package dev.rnn4j.spark;

import dev.rnn4j.CellType;
import java.io.Serializable;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Batch inference over a {@link Dataset} without Spark ML: appends a column with the model's
 * result for each row's sequence. {@link RnnTransformer} is the same as a Spark ML stage.
 *
 * <pre>{@code
 * Dataset<Row> scored = RnnInference.of("hdfs:///models/lstm.safetensors")
 *         .inputCol("chars").outputCol("logits").output(RnnInference.Output.LOGITS)
 *         .transform(df);
 * }</pre>
 *
 * <p>Per partition (one Spark task) it reads the model file once, cuts the rows into batches of
 * {@link #batchSize(int)} sequences of their own lengths ({@code Batch.ofLengths}: no work on
 * padding), runs them on the backend ({@link dev.rnn4j.Backend#CPU} by default with
 * {@code spark.task.cpus} threads; {@link dev.rnn4j.Backend#JAVA} where the natives are missing)
 * and closes the network's native memory when the task ends, whether it succeeded or failed. Rows
 * keep their order; an empty partition reads nothing.
 *
 * <p>Immutable and serializable: each setter returns a copy.
 */
public final class RnnInference implements Serializable {
    private static final long serialVersionUID = 1L;

    /** What the output column holds. */
    public enum Output {
        /** {@code array<float>}: the final hidden state of the last layer, {@code D*Ho} floats (forward, then reverse). */
        LAST_HIDDEN,
        /** {@code array<array<float>>}: the last layer's output at every step of the sequence, {@code D*Ho} floats each. */
        OUTPUTS,
        /** {@code array<float>}: the model file's {@code Linear} head applied to {@link #LAST_HIDDEN}. */
        LOGITS;

        /** The name used by {@link RnnTransformer}'s {@code output} param: {@code lastHidden}, {@code outputs}, {@code logits}. */
        public String paramValue() {
            switch (this) {
                case LAST_HIDDEN: return "lastHidden";
                case OUTPUTS: return "outputs";
                default: return "logits";
            }
        }

        /** The output named by {@link #paramValue()} (case ignored). */
        public static Output parse(String value) {
            for (Output o : values()) {
                if (o.paramValue().equalsIgnoreCase(value) || o.name().equalsIgnoreCase(value)) return o;
            }
            throw new IllegalArgumentException("output must be one of lastHidden, outputs, logits; got '" + value + "'");
        }

        DataType dataType() {
            DataType vector = DataTypes.createArrayType(DataTypes.FloatType, false);
            return this == OUTPUTS ? DataTypes.createArrayType(vector, false) : vector;
        }
    }

    /** The backends a partition may run on. */
    public enum Compute {
        /** {@link dev.rnn4j.Backend#CPU} with {@code spark.task.cpus} threads, or JAVA where its natives do not load (logged once). */
        CPU,
        /** {@link dev.rnn4j.Backend#JAVA}: the pure-Java reference, one thread. */
        JAVA
    }

    final String modelPath;
    final String inputCol;
    final String outputCol;
    final Output output;
    final int stepWidth;
    final int batchSize;
    final String head;
    final String stateDictPrefix;
    final CellType cell;
    final Compute compute;

    private RnnInference(String modelPath, String inputCol, String outputCol, Output output, int stepWidth, int batchSize,
            String head, String stateDictPrefix, CellType cell, Compute compute) {
        this.modelPath = modelPath;
        this.inputCol = inputCol;
        this.outputCol = outputCol;
        this.output = output;
        this.stepWidth = stepWidth;
        this.batchSize = batchSize;
        this.head = head;
        this.stateDictPrefix = stateDictPrefix;
        this.cell = cell;
        this.compute = compute;
    }

    /**
     * Inference with the model file at {@code modelPath} (a local path, readable on every executor,
     * or a Hadoop URI such as {@code hdfs://...}): input column {@code sequence}, output column
     * {@code rnn4j}, {@link Output#LAST_HIDDEN}, batches of 64, head {@code output}, on the CPU.
     */
    public static RnnInference of(String modelPath) {
        Objects.requireNonNull(modelPath, "modelPath must not be null");
        return new RnnInference(modelPath, "sequence", "rnn4j", Output.LAST_HIDDEN, 0, 64, "output", "", null, Compute.CPU);
    }

    /** The column of sequences: {@code array<array<float>>}, or a fixed-width one with {@link #stepWidth(int)}. */
    public RnnInference inputCol(String name) {
        return new RnnInference(modelPath, Objects.requireNonNull(name, "inputCol must not be null"), outputCol, output,
                stepWidth, batchSize, head, stateDictPrefix, cell, compute);
    }

    /** The column to add. */
    public RnnInference outputCol(String name) {
        return new RnnInference(modelPath, inputCol, Objects.requireNonNull(name, "outputCol must not be null"), output,
                stepWidth, batchSize, head, stateDictPrefix, cell, compute);
    }

    /** What to put in the output column. */
    public RnnInference output(Output what) {
        return new RnnInference(modelPath, inputCol, outputCol, Objects.requireNonNull(what, "output must not be null"),
                stepWidth, batchSize, head, stateDictPrefix, cell, compute);
    }

    /**
     * The features per step of a fixed-width input column (an ML vector or a flat {@code array<float>}
     * holding the steps one after another); must equal the model's input size. 0 (default): nested column.
     */
    public RnnInference stepWidth(int width) {
        if (width < 0) throw new IllegalArgumentException("stepWidth must be 0 (nested column) or positive, got " + width);
        return new RnnInference(modelPath, inputCol, outputCol, output, width, batchSize, head, stateDictPrefix, cell, compute);
    }

    /** The most sequences per forward call (default 64). */
    public RnnInference batchSize(int sequences) {
        if (sequences < 1) throw new IllegalArgumentException("batchSize must be positive, got " + sequences);
        return new RnnInference(modelPath, inputCol, outputCol, output, stepWidth, sequences, head, stateDictPrefix, cell, compute);
    }

    /**
     * The head for {@link Output#LOGITS}: a layer name of a checkpoint (default {@code output}, what
     * {@code rnn4j demo --save} writes), or a tensor prefix such as {@code fc.} in a state_dict.
     */
    public RnnInference head(String name) {
        return new RnnInference(modelPath, inputCol, outputCol, output, stepWidth, batchSize,
                Objects.requireNonNull(name, "head must not be null"), stateDictPrefix, cell, compute);
    }

    /**
     * For a PyTorch state_dict (not an rnn4j checkpoint): where the recurrent module's tensors are
     * ({@code ""} for a bare module, {@code "lstm."} ...) and its cell, or null to infer it (LSTM
     * and GRU can be; a vanilla RNN's tanh or relu cannot).
     */
    public RnnInference stateDict(String prefix, CellType cellType) {
        return new RnnInference(modelPath, inputCol, outputCol, output, stepWidth, batchSize, head,
                Objects.requireNonNull(prefix, "prefix must not be null"), cellType, compute);
    }

    /** Where each partition computes (default {@link Compute#CPU}). */
    public RnnInference compute(Compute where) {
        return new RnnInference(modelPath, inputCol, outputCol, output, stepWidth, batchSize, head, stateDictPrefix, cell,
                Objects.requireNonNull(where, "compute must not be null"));
    }

    /**
     * The schema of {@link #transform}'s result: {@code schema} with the output column added.
     *
     * @throws IllegalArgumentException if the input column is missing or of a type rnn4j does not
     *     read, or the output column exists already
     */
    public StructType transformSchema(StructType schema) {
        SequenceColumn.of(schema, inputCol, stepWidth);
        if (Arrays.asList(schema.fieldNames()).contains(outputCol)) {
            throw new IllegalArgumentException("output column '" + outputCol + "' already exists");
        }
        return schema.add(outputCol, output.dataType(), false);
    }

    /**
     * {@code data} with the output column added. Lazy, as any Dataset: the model file is read, and
     * bad rows are found, when an action runs; a bad row (null, empty or ragged sequence, wrong
     * width) or an unreadable model file fails the job with a message naming the partition, the row
     * within it and the column, or the file.
     */
    public Dataset<Row> transform(Dataset<?> data) {
        StructType in = data.schema();
        StructType out = transformSchema(in);
        SequenceColumn column = SequenceColumn.of(in, inputCol, stepWidth);
        return data.toDF().mapPartitions(new PartitionInference(this, column), Encoders.row(out));
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "RnnInference(%s, %s -> %s %s, batch %d, %s)", modelPath, inputCol, outputCol,
                output.paramValue(), batchSize, compute);
    }
}
