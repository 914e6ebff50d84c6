package dev.rnn4j.io;

/**
 * The element types of the safetensors format. Every one is recognised (so a file with integer
 * tensors, such as a batch-norm counter, can be listed); {@link #isFloat() floating-point} ones are
 * read into fp32: F64 rounded to nearest, F16 and BF16 exactly.
 */
public enum DType {
    /** 64-bit float. */
    F64(8, true),
    /** 32-bit float: what rnn4j computes in and writes. */
    F32(4, true),
    /** IEEE half precision. */
    F16(2, true),
    /** bfloat16: the top half of a float32. */
    BF16(2, true),
    /** 8-bit floats (E5M2, E4M3): recognised, not converted. */
    F8_E5M2(1, false),
    /** See {@link #F8_E5M2}. */
    F8_E4M3(1, false),
    /** Integers and booleans: recognised, not converted. */
    I64(8, false),
    /** See {@link #I64}. */
    U64(8, false),
    /** See {@link #I64}. */
    I32(4, false),
    /** See {@link #I64}. */
    U32(4, false),
    /** See {@link #I64}. */
    I16(2, false),
    /** See {@link #I64}. */
    U16(2, false),
    /** See {@link #I64}. */
    I8(1, false),
    /** See {@link #I64}. */
    U8(1, false),
    /** See {@link #I64}. */
    BOOL(1, false);

    private final int bytes;
    private final boolean isFloat;

    DType(int bytes, boolean isFloat) {
        this.bytes = bytes;
        this.isFloat = isFloat;
    }

    /** Bytes per element. */
    public int bytes() {
        return bytes;
    }

    /** Whether rnn4j reads it into fp32. */
    public boolean isFloat() {
        return isFloat;
    }

    /** The dtype named {@code name} in a header, or null. */
    static DType parse(String name) {
        for (DType d : values()) {
            if (d.name().equals(name)) return d;
        }
        return null;
    }
}
