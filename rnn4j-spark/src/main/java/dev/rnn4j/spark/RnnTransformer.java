package dev.rnn4j.spark;

import dev.rnn4j.CellType;
import org.apache.spark.ml.Transformer;
import org.apache.spark.ml.param.IntParam;
import org.apache.spark.ml.param.Param;
import org.apache.spark.ml.param.ParamMap;
import org.apache.spark.ml.util.DefaultParamsReader;
import org.apache.spark.ml.util.DefaultParamsWritable;
import org.apache.spark.ml.util.Identifiable$;
import org.apache.spark.ml.util.MLReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.StructType;

/**
 * A Spark ML {@link Transformer} that runs an rnn4j model file over a column of sequences: the
 * Spark ML face of {@link RnnInference} (which documents what each partition does).
 *
 * <pre>{@code
 * RnnTransformer lstm = new RnnTransformer().setModelPath("/models/char-lstm.safetensors")
 *         .setInputCol("chars").setOutputCol("logits").setOutput("logits");
 * Dataset<Row> scored = lstm.transform(df);
 * }</pre>
 *
 * Params: {@code modelPath} (required), {@code inputCol} ({@code sequence}), {@code outputCol}
 * ({@code rnn4j}), {@code output} ({@code lastHidden}, {@code outputs} or {@code logits}),
 * {@code stepWidth} (0: a nested {@code array<array<float>>} column), {@code batchSize} (64),
 * {@code head} ({@code output}), {@code stateDictPrefix} ({@code ""}), {@code cell} ({@code ""}:
 * inferred) and {@code compute} ({@code cpu} or {@code java}). Saved and loaded with Spark ML's
 * default params writer, so it can be a stage of a saved pipeline (the model file is referenced
 * by path, not copied).
 */
public final class RnnTransformer extends Transformer implements DefaultParamsWritable {
    private static final long serialVersionUID = 1L;

    private final String uid;
    private final Param<String> modelPath;
    private final Param<String> inputCol;
    private final Param<String> outputCol;
    private final Param<String> output;
    private final IntParam stepWidth;
    private final IntParam batchSize;
    private final Param<String> head;
    private final Param<String> stateDictPrefix;
    private final Param<String> cell;
    private final Param<String> compute;

    /** A transformer with a random uid and the default params. */
    public RnnTransformer() {
        this(Identifiable$.MODULE$.randomUID("rnn4j"));
    }

    /** A transformer with the given uid (Spark ML's copy and load use this constructor). */
    public RnnTransformer(String uid) {
        this.uid = uid;
        modelPath = new Param<>(this, "modelPath", "the rnn4j checkpoint or safetensors state_dict (local path or Hadoop URI)");
        inputCol = new Param<>(this, "inputCol", "the column of sequences");
        outputCol = new Param<>(this, "outputCol", "the column to add");
        output = new Param<>(this, "output", "what to add: lastHidden, outputs or logits");
        stepWidth = new IntParam(this, "stepWidth", "features per step of a fixed-width input column (0: nested column)");
        batchSize = new IntParam(this, "batchSize", "the most sequences per forward call");
        head = new Param<>(this, "head", "the Linear head for logits: checkpoint layer name or state_dict prefix");
        stateDictPrefix = new Param<>(this, "stateDictPrefix", "where the recurrent module is in a state_dict");
        cell = new Param<>(this, "cell", "the cell of a state_dict (RNN_TANH, RNN_RELU, LSTM, GRU), empty to infer");
        compute = new Param<>(this, "compute", "cpu (falls back to java without natives) or java");
        setDefault(inputCol, "sequence");
        setDefault(outputCol, "rnn4j");
        setDefault(output, "lastHidden");
        setDefault(stepWidth, 0);
        setDefault(batchSize, 64);
        setDefault(head, "output");
        setDefault(stateDictPrefix, "");
        setDefault(cell, "");
        setDefault(compute, "cpu");
    }

    /** Reads a transformer saved with {@link #write()}. */
    public static MLReader<RnnTransformer> read() {
        return new DefaultParamsReader<>();
    }

    /** Loads a transformer saved with {@code write().save(path)}. */
    public static RnnTransformer load(String path) {
        return read().load(path);
    }

    @Override
    public String uid() {
        return uid;
    }

    /** The model file. */
    public Param<String> modelPath() {
        return modelPath;
    }

    /** The input column. */
    public Param<String> inputCol() {
        return inputCol;
    }

    /** The output column. */
    public Param<String> outputCol() {
        return outputCol;
    }

    /** lastHidden, outputs or logits. */
    public Param<String> output() {
        return output;
    }

    /** Features per step of a fixed-width input column; 0 for a nested one. */
    public IntParam stepWidth() {
        return stepWidth;
    }

    /** Sequences per forward call. */
    public IntParam batchSize() {
        return batchSize;
    }

    /** The Linear head's name. */
    public Param<String> head() {
        return head;
    }

    /** The recurrent module's prefix in a state_dict. */
    public Param<String> stateDictPrefix() {
        return stateDictPrefix;
    }

    /** The cell of a state_dict, or empty. */
    public Param<String> cell() {
        return cell;
    }

    /** cpu or java. */
    public Param<String> compute() {
        return compute;
    }

    /** Sets {@code modelPath}. */
    public RnnTransformer setModelPath(String value) {
        return put(modelPath, value);
    }

    /** Sets {@code inputCol}. */
    public RnnTransformer setInputCol(String value) {
        return put(inputCol, value);
    }

    /** Sets {@code outputCol}. */
    public RnnTransformer setOutputCol(String value) {
        return put(outputCol, value);
    }

    /** Sets {@code output}: lastHidden, outputs or logits. */
    public RnnTransformer setOutput(String value) {
        return put(output, RnnInference.Output.parse(value).paramValue());
    }

    /** Sets {@code stepWidth}. */
    public RnnTransformer setStepWidth(int value) {
        return put(stepWidth, value);
    }

    /** Sets {@code batchSize}. */
    public RnnTransformer setBatchSize(int value) {
        return put(batchSize, value);
    }

    /** Sets {@code head}. */
    public RnnTransformer setHead(String value) {
        return put(head, value);
    }

    /** Sets {@code stateDictPrefix}. */
    public RnnTransformer setStateDictPrefix(String value) {
        return put(stateDictPrefix, value);
    }

    /** Sets {@code cell}. */
    public RnnTransformer setCell(String value) {
        return put(cell, value);
    }

    /** Sets {@code compute}: cpu or java. */
    public RnnTransformer setCompute(String value) {
        return put(compute, value);
    }

    private <T> RnnTransformer put(Param<T> param, T value) {
        set(param, value);
        return this;
    }

    /** The {@link RnnInference} these params describe. */
    public RnnInference inference() {
        if (!isDefined(modelPath)) throw new IllegalArgumentException("param modelPath of " + uid + " is not set");
        String cellName = getOrDefault(cell);
        CellType cellType;
        try {
            cellType = cellName.isEmpty() ? null : CellType.valueOf(cellName.toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("param cell must be one of " + java.util.Arrays.toString(CellType.values())
                    + " or empty, got '" + cellName + "'");
        }
        RnnInference.Compute where;
        try {
            where = RnnInference.Compute.valueOf(getOrDefault(compute).toUpperCase(java.util.Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("param compute must be cpu or java, got '" + getOrDefault(compute) + "'");
        }
        return RnnInference.of(getOrDefault(modelPath)).inputCol(getOrDefault(inputCol)).outputCol(getOrDefault(outputCol))
                .output(RnnInference.Output.parse(getOrDefault(output))).stepWidth((Integer) getOrDefault(stepWidth))
                .batchSize((Integer) getOrDefault(batchSize)).head(getOrDefault(head))
                .stateDict(getOrDefault(stateDictPrefix), cellType).compute(where);
    }

    @Override
    public StructType transformSchema(StructType schema) {
        return inference().transformSchema(schema);
    }

    @Override
    public Dataset<Row> transform(Dataset<?> dataset) {
        transformSchema(dataset.schema(), true);
        return inference().transform(dataset);
    }

    @Override
    public RnnTransformer copy(ParamMap extra) {
        return defaultCopy(extra);
    }
}
