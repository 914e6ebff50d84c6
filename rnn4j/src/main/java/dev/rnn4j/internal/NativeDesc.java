package dev.rnn4j.internal;

import dev.rnn4j.RnnSpec;
import java.nio.ByteOrder;
import org.bytedeco.javacpp.IntPointer;

/**
 * The C API's {@code rnn4j_desc} (shared by {@code rnn4j.h} and {@code rnn4j_cuda.h}) as the 32-bit
 * slots the JavaCPP bindings pass: cell, input_size, hidden_size, proj_size, num_layers,
 * bidirectional, bias, batch_first, gru_reset_before, the float bits of cell_clip, proj_clip and
 * dropout, then the 64-bit dropout_seed in two slots. Kept apart from the bindings so that using
 * it loads no native library.
 */
public final class NativeDesc {
    /** Number of 32-bit slots of {@code rnn4j_desc}. */
    public static final int SLOTS = 14;
    /** The slot of {@code dropout_seed} (two slots, the struct's 64-bit field). */
    private static final int SEED_SLOT = 12;

    private NativeDesc() {}

    /** The descriptor of {@code spec}, with dropout_seed 0. */
    public static int[] fields(RnnSpec spec) {
        return new int[] {spec.cell().ordinal(), spec.inputSize(), spec.hiddenSize(), spec.projectionSize(),
            spec.layers(), spec.bidirectional() ? 1 : 0, spec.bias() ? 1 : 0, spec.batchFirst() ? 1 : 0,
            spec.linearBeforeReset() ? 0 : 1, Float.floatToRawIntBits(spec.cellClip()),
            Float.floatToRawIntBits(spec.projectionClip()), Float.floatToRawIntBits(spec.dropout()), 0, 0};
    }

    /** Sets {@code dropout_seed} in a descriptor of {@link #SLOTS} slots made from {@link #fields}. */
    public static void putDropoutSeed(IntPointer desc, long seed) {
        boolean little = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;
        desc.put(SEED_SLOT, little ? (int) seed : (int) (seed >>> 32));
        desc.put(SEED_SLOT + 1, little ? (int) (seed >>> 32) : (int) seed);
    }
}
