package dev.rnn4j;

import java.io.InvalidObjectException;
import java.io.ObjectInputStream;
import java.io.Serializable;
import java.util.Objects;

/**
 * What an RNN is: the cell, the sizes, the number of layers and directions, bias, projection and
 * data layout. Immutable; made with {@link #builder(CellType, int, int)}. Invalid combinations are
 * rejected by {@link Builder#build()} with an {@link IllegalArgumentException} naming the field and
 * its value.
 *
 * <pre>{@code
 * RnnSpec spec = RnnSpec.builder(CellType.LSTM, 128, 256).layers(2).bidirectional(true).build();
 * }</pre>
 *
 * Shapes (the legend used throughout rnn4j): {@code T} time steps, {@code N} batch, {@code I} input
 * size, {@code H} hidden size, {@code Ho} = {@link #outputSize()}, {@code L} layers, {@code D} =
 * {@link #directions()}. Input {@code x} is {@code [T, N, I]} ({@code [N, T, I]} if
 * {@link #batchFirst()}), output {@code y} is {@code [T, N, D*Ho]}, states {@code h} are
 * {@code [L*D, N, Ho]} and {@code c} (LSTM) {@code [L*D, N, H]}.
 *
 * <p>Serializable (for example to Spark executors): its fields travel and the builder checks them
 * again on arrival, so a stream cannot make an invalid spec.
 */
public final class RnnSpec implements Serializable {
    private static final long serialVersionUID = 1L;

    /**
     * The most parameters a spec may have: 536,870,911 floats, the largest count whose fp32 bytes
     * fit one Java buffer (2 GiB), which is how every backend exposes them
     * ({@link Rnn#parameterBuffer()}). Larger specs are rejected by {@link Builder#build()}.
     */
    public static final int MAX_PARAMETERS = Integer.MAX_VALUE / Float.BYTES;

    private final CellType cell;
    private final int inputSize;
    private final int hiddenSize;
    private final int layers;
    private final boolean bidirectional;
    private final boolean bias;
    private final int projectionSize;
    private final boolean batchFirst;
    private final ParameterLayout parameterLayout;

    private RnnSpec(Builder b) {
        this.cell = b.cell;
        this.inputSize = b.inputSize;
        this.hiddenSize = b.hiddenSize;
        this.layers = b.layers;
        this.bidirectional = b.bidirectional;
        this.bias = b.bias;
        this.projectionSize = b.projectionSize;
        this.batchFirst = b.batchFirst;
        this.parameterLayout = new ParameterLayout(this);
    }

    /**
     * Starts a spec with the given cell and sizes; every other field has PyTorch's default (one
     * layer, unidirectional, with bias, no projection, sequence-major).
     *
     * @param cell the cell type, not null
     * @param inputSize {@code I}, the number of features of each input step, at least 1
     * @param hiddenSize {@code H}, the number of hidden units, at least 1
     */
    public static Builder builder(CellType cell, int inputSize, int hiddenSize) {
        return new Builder(cell, inputSize, hiddenSize);
    }

    /** A builder that starts from this spec's values. */
    public Builder toBuilder() {
        return new Builder(cell, inputSize, hiddenSize).layers(layers).bidirectional(bidirectional).bias(bias)
                .projectionSize(projectionSize).batchFirst(batchFirst);
    }

    /** The cell type. */
    public CellType cell() {
        return cell;
    }

    /** {@code I}: features per input step of layer 0. */
    public int inputSize() {
        return inputSize;
    }

    /** {@code H}: hidden units per direction. */
    public int hiddenSize() {
        return hiddenSize;
    }

    /** {@code L}: stacked layers. */
    public int layers() {
        return layers;
    }

    /** Whether every layer also runs a reverse direction. */
    public boolean bidirectional() {
        return bidirectional;
    }

    /** Whether the biases {@code b_ih} and {@code b_hh} exist. */
    public boolean bias() {
        return bias;
    }

    /** {@code P}: LSTM projection size, 0 for none. */
    public int projectionSize() {
        return projectionSize;
    }

    /** Whether {@code x}, {@code y}, {@code dx}, {@code dy} are {@code [N, T, .]} instead of {@code [T, N, .]}. */
    public boolean batchFirst() {
        return batchFirst;
    }

    /** {@code D}: 2 if bidirectional, else 1. */
    public int directions() {
        return bidirectional ? 2 : 1;
    }

    /** {@code G}: gate blocks per cell. */
    public int gates() {
        return cell.gates();
    }

    /** {@code Ho}: size of {@code h}, {@code P} with a projection, else {@code H}. */
    public int outputSize() {
        return projectionSize > 0 ? projectionSize : hiddenSize;
    }

    /** {@code I_k}: input size of layer {@code k} ({@code I} for 0, {@code D*Ho} above). */
    public int layerInputSize(int layer) {
        Checks.index("layer", layer, layers);
        return layer == 0 ? inputSize : directions() * outputSize();
    }

    /** {@code D*Ho}: features per step of the output {@code y}. */
    public int outputFeatures() {
        return directions() * outputSize();
    }

    /** {@code L*D}: rows of the state tensors {@code h0, hN, c0, cN}. */
    public int stateRows() {
        return layers * directions();
    }

    /** Where each named parameter lives in the flat parameter (and gradient) buffer. */
    public ParameterLayout parameterLayout() {
        return parameterLayout;
    }

    /** Number of floats in the flat parameter buffer. */
    public int parameterCount() {
        return parameterLayout.size();
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) return true;
        if (!(o instanceof RnnSpec)) return false;
        RnnSpec s = (RnnSpec) o;
        return cell == s.cell && inputSize == s.inputSize && hiddenSize == s.hiddenSize && layers == s.layers
                && bidirectional == s.bidirectional && bias == s.bias && projectionSize == s.projectionSize
                && batchFirst == s.batchFirst;
    }

    @Override
    public int hashCode() {
        return Objects.hash(cell, inputSize, hiddenSize, layers, bidirectional, bias, projectionSize, batchFirst);
    }

    /** For example {@code LSTM(I=128, H=256, layers=2, bidirectional, bias)}. */
    @Override
    public String toString() {
        StringBuilder s = new StringBuilder().append(cell).append("(I=").append(inputSize).append(", H=")
                .append(hiddenSize);
        if (projectionSize > 0) s.append(", P=").append(projectionSize);
        s.append(", layers=").append(layers);
        if (bidirectional) s.append(", bidirectional");
        s.append(bias ? ", bias" : ", no bias");
        if (batchFirst) s.append(", batch-first");
        return s.append(')').toString();
    }

    /** Serialization writes the fields only; {@link SerializedForm#readResolve()} rebuilds the spec through the builder. */
    private Object writeReplace() {
        return new SerializedForm(this);
    }

    private void readObject(ObjectInputStream in) throws InvalidObjectException {
        throw new InvalidObjectException("an RnnSpec is read through its serialized form only");
    }

    /** What a serialized spec holds: the builder's fields, checked again by {@link Builder#build()} on reading. */
    private static final class SerializedForm implements Serializable {
        private static final long serialVersionUID = 1L;
        private final CellType cell;
        private final int inputSize, hiddenSize, layers, projectionSize;
        private final boolean bidirectional, bias, batchFirst;

        SerializedForm(RnnSpec s) {
            cell = s.cell;
            inputSize = s.inputSize;
            hiddenSize = s.hiddenSize;
            layers = s.layers;
            projectionSize = s.projectionSize;
            bidirectional = s.bidirectional;
            bias = s.bias;
            batchFirst = s.batchFirst;
        }

        private Object readResolve() throws InvalidObjectException {
            try {
                return builder(cell, inputSize, hiddenSize).layers(layers).bidirectional(bidirectional).bias(bias)
                        .projectionSize(projectionSize).batchFirst(batchFirst).build();
            } catch (RuntimeException e) {
                InvalidObjectException bad = new InvalidObjectException("serialized RnnSpec is invalid: " + e.getMessage());
                bad.initCause(e);
                throw bad;
            }
        }
    }

    /** Builds an {@link RnnSpec}; every setter returns {@code this}. Not thread-safe. */
    public static final class Builder {
        private final CellType cell;
        private final int inputSize;
        private final int hiddenSize;
        private int layers = 1;
        private boolean bidirectional;
        private boolean bias = true;
        private int projectionSize;
        private boolean batchFirst;

        private Builder(CellType cell, int inputSize, int hiddenSize) {
            this.cell = Objects.requireNonNull(cell, "cell must not be null");
            this.inputSize = inputSize;
            this.hiddenSize = hiddenSize;
        }

        /** Number of stacked layers, at least 1 (default 1). */
        public Builder layers(int layers) {
            this.layers = layers;
            return this;
        }

        /** Whether each layer has a reverse direction (default false). */
        public Builder bidirectional(boolean bidirectional) {
            this.bidirectional = bidirectional;
            return this;
        }

        /** Whether the biases exist (default true). */
        public Builder bias(boolean bias) {
            this.bias = bias;
            return this;
        }

        /** LSTM projection size {@code P}, {@code 0 < P < H}, or 0 for none (default 0). */
        public Builder projectionSize(int projectionSize) {
            this.projectionSize = projectionSize;
            return this;
        }

        /** Whether inputs and outputs are {@code [N, T, .]} (default false: {@code [T, N, .]}). */
        public Builder batchFirst(boolean batchFirst) {
            this.batchFirst = batchFirst;
            return this;
        }

        /**
         * Checks every field and builds the spec.
         *
         * @throws IllegalArgumentException naming the field and its value when a size is not
         *     positive, a projection is asked for a cell other than LSTM or is not below the hidden
         *     size, or the parameter count does not fit in an {@code int}
         */
        public RnnSpec build() {
            Checks.positive("inputSize", inputSize);
            Checks.positive("hiddenSize", hiddenSize);
            Checks.positive("layers", layers);
            if (projectionSize < 0) {
                throw new IllegalArgumentException("projectionSize must be 0 (none) or positive, got " + projectionSize);
            }
            if (projectionSize > 0 && cell != CellType.LSTM) {
                throw new IllegalArgumentException(
                        "projectionSize is supported for LSTM only, got projectionSize=" + projectionSize + " for " + cell);
            }
            if (projectionSize >= hiddenSize) {
                throw new IllegalArgumentException("projectionSize must be smaller than hiddenSize=" + hiddenSize
                        + ", got " + projectionSize);
            }
            return new RnnSpec(this);
        }
    }
}
