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
    private final boolean linearBeforeReset;
    private final float cellClip;
    private final float projectionClip;
    private final float dropout;
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
        this.linearBeforeReset = b.linearBeforeReset;
        this.cellClip = b.cellClip;
        this.projectionClip = b.projectionClip;
        this.dropout = b.dropout;
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
                .projectionSize(projectionSize).batchFirst(batchFirst).linearBeforeReset(linearBeforeReset)
                .cellClip(cellClip).projectionClip(projectionClip).dropout(dropout);
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

    /**
     * GRU only: whether the reset gate is applied after the recurrent product ({@code true}, the
     * default: PyTorch, cuDNN, ONNX {@code linear_before_reset=1}, Keras {@code reset_after=True})
     * or before it ({@code false}: ONNX's default {@code linear_before_reset=0}, Keras
     * {@code reset_after=False}, TensorFlow 1, oneDNN {@code gru}):
     * {@code n = tanh(x W_in^T + b_in + (r*h) W_hn^T + b_hn)}. Always true for other cells.
     */
    public boolean linearBeforeReset() {
        return linearBeforeReset;
    }

    /**
     * LSTM only: the cell clip (cuDNN's {@code cellClip}): {@code c'} is clamped to
     * {@code [-clip, clip]} after its update, with derivative zero where it clamps; 0 for none.
     */
    public float cellClip() {
        return cellClip;
    }

    /**
     * LSTM with a projection only: the projection clip (TensorFlow's {@code proj_clip}): the
     * projected {@code h'} is clamped to {@code [-clip, clip]}, derivative zero where it clamps; 0
     * for none.
     */
    public float projectionClip() {
        return projectionClip;
    }

    /**
     * The dropout probability between layers (PyTorch's {@code dropout}): in training, the outputs
     * of every layer but the last are zeroed with this probability and the kept ones scaled by
     * {@code 1/(1-p)} before the next layer reads them; the mask is a pure function of the forward
     * call's seed and the position ({@link Philox#dropoutKeep}), the same on every backend. 0 for
     * none; no effect with one layer or in inference.
     */
    public float dropout() {
        return dropout;
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
                && batchFirst == s.batchFirst && linearBeforeReset == s.linearBeforeReset
                && Float.compare(cellClip, s.cellClip) == 0 && Float.compare(projectionClip, s.projectionClip) == 0
                && Float.compare(dropout, s.dropout) == 0;
    }

    @Override
    public int hashCode() {
        return Objects.hash(cell, inputSize, hiddenSize, layers, bidirectional, bias, projectionSize, batchFirst,
                linearBeforeReset, cellClip, projectionClip, dropout);
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
        if (!linearBeforeReset) s.append(", reset before");
        if (cellClip > 0) s.append(", cellClip=").append(cellClip);
        if (projectionClip > 0) s.append(", projectionClip=").append(projectionClip);
        if (dropout > 0) s.append(", dropout=").append(dropout);
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
        /** The cell options; stored so that their zero value is the default (a stream without them reads so). */
        private final boolean resetBefore;
        private final float cellClip, projectionClip, dropout;

        SerializedForm(RnnSpec s) {
            cell = s.cell;
            inputSize = s.inputSize;
            hiddenSize = s.hiddenSize;
            layers = s.layers;
            projectionSize = s.projectionSize;
            bidirectional = s.bidirectional;
            bias = s.bias;
            batchFirst = s.batchFirst;
            resetBefore = !s.linearBeforeReset;
            cellClip = s.cellClip;
            projectionClip = s.projectionClip;
            dropout = s.dropout;
        }

        private Object readResolve() throws InvalidObjectException {
            try {
                return builder(cell, inputSize, hiddenSize).layers(layers).bidirectional(bidirectional).bias(bias)
                        .projectionSize(projectionSize).batchFirst(batchFirst).linearBeforeReset(!resetBefore)
                        .cellClip(cellClip).projectionClip(projectionClip).dropout(dropout).build();
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
        private boolean linearBeforeReset = true;
        private float cellClip;
        private float projectionClip;
        private float dropout;

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
         * GRU: {@code false} for the reset-before variant (ONNX {@code linear_before_reset=0},
         * Keras {@code reset_after=False}); default true (PyTorch's). See {@link RnnSpec#linearBeforeReset()}.
         */
        public Builder linearBeforeReset(boolean linearBeforeReset) {
            this.linearBeforeReset = linearBeforeReset;
            return this;
        }

        /** LSTM cell clip, positive and finite, or 0 for none (default 0). See {@link RnnSpec#cellClip()}. */
        public Builder cellClip(float cellClip) {
            this.cellClip = cellClip;
            return this;
        }

        /** LSTM projection clip, positive and finite, or 0 (default). See {@link RnnSpec#projectionClip()}. */
        public Builder projectionClip(float projectionClip) {
            this.projectionClip = projectionClip;
            return this;
        }

        /** Dropout between layers, {@code 0 <= p < 1} (default 0). See {@link RnnSpec#dropout()}. */
        public Builder dropout(float dropout) {
            this.dropout = dropout;
            return this;
        }

        /**
         * Checks every field and builds the spec.
         *
         * @throws IllegalArgumentException naming the field and its value when a size is not
         *     positive, a projection is asked for a cell other than LSTM or is not below the hidden
         *     size, an option is set for a cell that has no such thing (reset-before for a cell other
         *     than GRU, a cell clip for one other than LSTM, a projection clip without a
         *     projection), a clip is negative or not finite, or dropout is outside {@code [0, 1)}
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
            if (!linearBeforeReset && cell != CellType.GRU) {
                throw new IllegalArgumentException("linearBeforeReset=false (reset before the recurrent product) is a"
                        + " GRU variant, got it for " + cell);
            }
            clip("cellClip", cellClip);
            if (cellClip > 0 && cell != CellType.LSTM) {
                throw new IllegalArgumentException("cellClip is supported for LSTM only, got cellClip=" + cellClip
                        + " for " + cell);
            }
            clip("projectionClip", projectionClip);
            if (projectionClip > 0 && projectionSize == 0) {
                throw new IllegalArgumentException("projectionClip=" + projectionClip
                        + " needs an LSTM projection (projectionSize > 0), got projectionSize=0");
            }
            if (!(dropout >= 0f && dropout < 1f)) {
                throw new IllegalArgumentException("dropout must be in [0, 1), got " + dropout);
            }
            return new RnnSpec(this);
        }

        private static void clip(String name, float value) {
            if (!(value >= 0f) || Float.isInfinite(value)) {
                throw new IllegalArgumentException(name + " must be 0 (none) or positive and finite, got " + value);
            }
        }
    }
}
