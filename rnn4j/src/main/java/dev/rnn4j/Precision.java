package dev.rnn4j;

/**
 * The arithmetic of an inference forward ({@link Rnn#setPrecision}). Training and backward are
 * always {@link #FP32}; the fp32 parameters stay the master copy whatever the precision, and the
 * reduced copies are made from them (and remade when they change). The Java reference implements
 * every scheme with the same rounding, so the native results are checked against it.
 */
public enum Precision {
    /** Everything in fp32 (the default). */
    FP32,
    /**
     * Both operands of every product in bfloat16, as oneDNN and cuDNN run bf16 RNNs: the weights
     * ({@code weight_ih}, {@code weight_hh}, {@code weight_hr}) rounded once, and each step's
     * {@code x}, {@code h} (and, with a projection, the LSTM's {@code o*tanh(c)}) rounded before
     * its product (round to nearest even). The product of two bfloat16 values is exact in fp32;
     * its accumulation, the biases, the state and the gate math stay fp32. The weights cross the
     * memory bus in half the bytes, and AVX512_BF16's {@code vdpbf16ps} does twice fp32's work per
     * instruction. The same on every batch size and CPU (only the order of fp32 additions differs
     * between kernels).
     */
    BF16,
    /**
     * Dynamically quantized int8, the scheme of PyTorch's dynamic quantized LSTM/GRU: every weight
     * row (one output unit) quantized once to symmetric s8 with scale {@code max|w|/127} (a zero
     * row gets scale 0); the input {@code x} and the state {@code h} (and, with a projection, the
     * LSTM's {@code o*tanh(c)}) quantized per step and per batch row to asymmetric u8 over the
     * range {@code [min(0, v), max(0, v)]} (scale {@code max/255 - min/255}, zero point and values
     * rounded to nearest even, clamped to 0..255; an all-zero row, or one whose range is below
     * fp32's smallest normal number, quantizes to zeros; a row with a NaN or an infinity gives NaN);
     * products accumulated exactly in int32, then dequantized before the biases and the fp32 gate
     * math. Activations use the full 8 bits (AVX512-VNNI's {@code vpdpbusd} does not saturate).
     */
    INT8;

    /** Above this many weights per row the int32 sums of u8*s8 products could overflow. */
    public static final int MAX_INT8_ROW = Integer.MAX_VALUE / (255 * 127);

    /**
     * Checks that this scheme can run {@code spec}: the reduced schemes do not compute the cell
     * options (reset-before GRU, clips; dropout is for training, which is FP32 anyway), and
     * {@link #INT8} needs every weight row within {@link #MAX_INT8_ROW} values.
     *
     * @throws IllegalArgumentException naming the option or the row length otherwise
     */
    public void check(RnnSpec spec) {
        if (this == FP32) return;
        if (!spec.linearBeforeReset() || spec.cellClip() > 0 || spec.projectionClip() > 0) {
            throw new IllegalArgumentException("Precision." + this + " does not compute the cell options of " + spec
                    + " yet (reset-before GRU, cell or projection clip): use FP32");
        }
        if (this != INT8) return;
        int widest = Math.max(spec.hiddenSize(), Math.max(spec.layerInputSize(0), spec.outputSize()));
        if (spec.layers() > 1) widest = Math.max(widest, spec.layerInputSize(1));
        if (widest > MAX_INT8_ROW) {
            throw new IllegalArgumentException("Precision.INT8 needs weight rows of at most " + MAX_INT8_ROW
                    + " values (the int32 sums of u8*s8 products could overflow), but " + spec + " has rows of "
                    + widest);
        }
    }
}
