package dev.rnn4j.spark;

import java.io.Serializable;
import org.apache.spark.ml.linalg.SQLDataTypes;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * Reads one sequence per row from a column, into {@code [T, I]} floats. Two shapes are read:
 * <ul>
 *   <li>{@code array<array<float>>} (or {@code double}): one inner array of {@code I} features per step;
 *   <li>a fixed-width column, an ML {@link Vector} or a flat {@code array<float>} (or {@code double}),
 *       with a declared step width {@code I}: the steps one after another, {@code T = length / I}.
 * </ul>
 * Every problem (a null, an empty or a ragged sequence, a wrong width) is an
 * {@link IllegalArgumentException} naming the partition, the row within it, the column and the numbers.
 */
final class SequenceColumn implements Serializable {
    private static final long serialVersionUID = 1L;

    private enum Kind { NESTED, FLAT_ARRAY, VECTOR }

    private final String name;
    private final int index;
    private final Kind kind;
    private final int width;

    private SequenceColumn(String name, int index, Kind kind, int width) {
        this.name = name;
        this.index = index;
        this.kind = kind;
        this.width = width;
    }

    /**
     * The reader of column {@code name} of {@code schema}; {@link #checkInputSize} checks it against the model.
     *
     * @param stepWidth the declared width of a fixed-width column, or 0 for none (then it must be nested)
     * @throws IllegalArgumentException if the column is missing, of another type, or a fixed-width
     *     column has no step width
     */
    static SequenceColumn of(StructType schema, String name, int stepWidth) {
        if (name == null) throw new IllegalArgumentException("the input column is not set");
        int index;
        try {
            index = schema.fieldIndex(name);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("input column '" + name + "' does not exist; the columns are "
                    + String.join(", ", schema.fieldNames()));
        }
        DataType type = schema.fields()[index].dataType();
        if (type instanceof ArrayType && isReal(((ArrayType) type).elementType())) {
            return new SequenceColumn(name, index, Kind.NESTED, stepWidth);
        }
        Kind flat = type.equals(SQLDataTypes.VectorType()) ? Kind.VECTOR : isReal(type) ? Kind.FLAT_ARRAY : null;
        if (flat == null) {
            throw new IllegalArgumentException("input column '" + name + "' is " + type.simpleString() + "; rnn4j reads"
                    + " array<array<float>> (or double) sequences, or a vector / array<float> column with a step width");
        }
        if (stepWidth < 1) {
            throw new IllegalArgumentException("input column '" + name + "' is a fixed-width column (" + type.simpleString()
                    + "): set its step width, the features per step");
        }
        return new SequenceColumn(name, index, flat, stepWidth);
    }

    /** Whether {@code type} is an array of float or double (the inner type of a nested column). */
    private static boolean isReal(DataType type) {
        return type instanceof ArrayType && isScalar(((ArrayType) type).elementType());
    }

    private static boolean isScalar(DataType type) {
        return type.equals(DataTypes.FloatType) || type.equals(DataTypes.DoubleType);
    }

    /** Checks a declared step width against the model's input size {@code I}. */
    void checkInputSize(int inputSize) {
        if (width > 0 && width != inputSize) {
            throw new IllegalArgumentException("step width " + width + " of input column '" + name
                    + "' does not match the model's input size " + inputSize);
        }
    }

    /** The column's name. */
    String name() {
        return name;
    }

    /** Checks the sequence of {@code row} and returns its number of steps {@code T}. */
    int steps(Row row, int inputSize, long rowInPartition, int partition) {
        Object v = row.get(index);
        if (v == null) throw bad(partition, rowInPartition, "the sequence is null");
        int length;
        switch (kind) {
            case VECTOR:
                length = ((Vector) v).size();
                break;
            case FLAT_ARRAY:
                length = ((scala.collection.Seq<?>) v).length();
                break;
            default:
                return nestedSteps((scala.collection.Seq<?>) v, inputSize, rowInPartition, partition);
        }
        if (length == 0) throw bad(partition, rowInPartition, "the sequence is empty (0 steps)");
        if (length % width != 0) {
            throw bad(partition, rowInPartition, "has " + length + " values, not a multiple of the step width " + width);
        }
        return length / width;
    }

    private int nestedSteps(scala.collection.Seq<?> seq, int inputSize, long row, int partition) {
        int steps = seq.length();
        if (steps == 0) throw bad(partition, row, "the sequence is empty (0 steps)");
        for (int t = 0; t < steps; t++) {
            Object step = seq.apply(t);
            if (step == null) throw bad(partition, row, "step " + t + " is null");
            int n = ((scala.collection.Seq<?>) step).length();
            if (n != inputSize) {
                throw bad(partition, row, "step " + t + " has " + n + " features, the model's input size is " + inputSize
                        + (t > 0 ? " (a ragged sequence)" : ""));
            }
        }
        return steps;
    }

    /**
     * Copies the sequence of {@code row} (already measured by {@link #steps}) into {@code x}: step
     * {@code t}'s features at {@code x[t*stride + offset ...]}.
     */
    void copy(Row row, float[] x, int offset, int stride, int inputSize, long rowInPartition, int partition) {
        Object v = row.get(index);
        if (kind == Kind.VECTOR) {
            Vector vec = (Vector) v;
            int steps = vec.size() / width;
            for (int t = 0; t < steps; t++) {
                for (int i = 0; i < inputSize; i++) x[t * stride + offset + i] = (float) vec.apply(t * width + i);
            }
            return;
        }
        scala.collection.Seq<?> seq = (scala.collection.Seq<?>) v;
        if (kind == Kind.FLAT_ARRAY) {
            int steps = seq.length() / width;
            for (int t = 0; t < steps; t++) {
                for (int i = 0; i < inputSize; i++) x[t * stride + offset + i] = value(seq.apply(t * width + i), rowInPartition, partition, t, i);
            }
            return;
        }
        for (int t = 0, steps = seq.length(); t < steps; t++) {
            scala.collection.Seq<?> step = (scala.collection.Seq<?>) seq.apply(t);
            for (int i = 0; i < inputSize; i++) x[t * stride + offset + i] = value(step.apply(i), rowInPartition, partition, t, i);
        }
    }

    private float value(Object o, long row, int partition, int t, int i) {
        if (o == null) throw bad(partition, row, "feature " + i + " of step " + t + " is null");
        return ((Number) o).floatValue();
    }

    private IllegalArgumentException bad(int partition, long row, String problem) {
        return new IllegalArgumentException("partition " + partition + ", row " + row + ", column '" + name + "': " + problem);
    }
}
