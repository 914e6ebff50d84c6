package dev.rnn4j.cpu;

import dev.rnn4j.internal.NativeDesc;
import java.nio.FloatBuffer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Const;
import org.bytedeco.javacpp.annotation.Platform;
import org.bytedeco.javacpp.annotation.Properties;
import org.bytedeco.openblas.presets.openblas_nolapack;

/**
 * The JavaCPP binding of the C API in {@code native/include/rnn4j/rnn4j.h} (library
 * {@code librnn4j.so}, JNI glue {@code libjniRnn4jCpu.so}). Raw: no argument is checked here.
 * Use {@link dev.rnn4j.Rnn}, which validates everything before calling in.
 *
 * <p>The descriptor {@code rnn4j_desc} is passed here as an {@link IntPointer} of
 * {@link #DESC_FIELDS} 32-bit slots in the struct's field order (cell, input_size, hidden_size,
 * proj_size, num_layers, bidirectional, bias, batch_first, gru_reset_before, then the float bits of
 * cell_clip, proj_clip and dropout, then the 64-bit dropout_seed in two slots); see
 * {@link NativeDesc}. Tensors are {@link FloatBuffer}s
 * (direct, native order: used in place) or {@link FloatPointer}s.
 */
@Properties(inherit = openblas_nolapack.class, value = @Platform(include = "rnn4j/rnn4j.h", link = "rnn4j"))
public final class Rnn4jCpu {
    static {
        Loader.load();
    }

    private Rnn4jCpu() {}

    /** Status code: success. */
    public static final int RNN4J_OK = 0;

    /** Number of 32-bit slots of {@code rnn4j_desc}. */
    public static final int DESC_FIELDS = NativeDesc.SLOTS;

    /** See {@code rnn4j_version}. */
    public static native @Cast("const char*") String rnn4j_version();

    /** See {@code rnn4j_build_info}. */
    public static native @Cast("const char*") String rnn4j_build_info();

    /** See {@code rnn4j_blas_config}. */
    public static native @Cast("const char*") String rnn4j_blas_config();

    /** See {@code rnn4j_capabilities}. */
    public static native int rnn4j_capabilities();

    /** See {@code rnn4j_isa}. */
    public static native @Cast("const char*") String rnn4j_isa();

    /** See {@code rnn4j_set_isa}. */
    public static native int rnn4j_set_isa(@Cast("const char*") String name);

    /** See {@code rnn4j_kernel_info}. */
    public static native @Cast("const char*") String rnn4j_kernel_info();

    /** See {@code rnn4j_last_error}. */
    public static native @Cast("const char*") String rnn4j_last_error();

    /** See {@code rnn4j_get_num_threads}. */
    public static native int rnn4j_get_num_threads();

    /** See {@code rnn4j_set_num_threads}. */
    public static native int rnn4j_set_num_threads(int threads);

    /** See {@code rnn4j_check_desc}. */
    public static native int rnn4j_check_desc(@Cast("const rnn4j_desc*") IntPointer desc);

    /** See {@code rnn4j_param_count}. */
    public static native int rnn4j_param_count(@Cast("const rnn4j_desc*") IntPointer desc,
            @Cast("int64_t*") LongPointer count);

    /** See {@code rnn4j_workspace_size}. */
    public static native int rnn4j_workspace_size(@Cast("const rnn4j_desc*") IntPointer desc, int T, int N,
            int training, @Cast("int64_t*") LongPointer bytes);

    /** See {@code rnn4j_forward}. */
    public static native int rnn4j_forward(@Cast("const rnn4j_desc*") IntPointer desc, int T, int N,
            @Cast("const int32_t*") IntPointer lengths, int training, @Const FloatPointer params, @Const FloatBuffer x,
            @Const FloatBuffer h0, @Const FloatBuffer c0, FloatBuffer y, FloatBuffer hN, FloatBuffer cN,
            Pointer workspace, long workspaceBytes);

    /** See {@code rnn4j_backward_data}. */
    public static native int rnn4j_backward_data(@Cast("const rnn4j_desc*") IntPointer desc,
            @Const FloatPointer params, @Const FloatBuffer dy, @Const FloatBuffer dhN, @Const FloatBuffer dcN,
            FloatBuffer dx, FloatBuffer dh0, FloatBuffer dc0, Pointer workspace, long workspaceBytes);

    /** See {@code rnn4j_backward_weights}. */
    public static native int rnn4j_backward_weights(@Cast("const rnn4j_desc*") IntPointer desc, FloatPointer grads,
            Pointer workspace, long workspaceBytes);

    /** See {@code rnn4j_backward}. */
    public static native int rnn4j_backward(@Cast("const rnn4j_desc*") IntPointer desc, @Const FloatPointer params,
            @Const FloatBuffer dy, @Const FloatBuffer dhN, @Const FloatBuffer dcN, FloatBuffer dx, FloatBuffer dh0,
            FloatBuffer dc0, FloatPointer grads, Pointer workspace, long workspaceBytes);

    /** Precision code: fp32 ({@code rnn4j_precision}). */
    public static final int RNN4J_FP32 = 0;

    /** See {@code rnn4j_quantized_size}. */
    public static native int rnn4j_quantized_size(@Cast("const rnn4j_desc*") IntPointer desc, int precision,
            @Cast("int64_t*") LongPointer bytes);

    /** See {@code rnn4j_quantize}. */
    public static native int rnn4j_quantize(@Cast("const rnn4j_desc*") IntPointer desc, int precision,
            @Const FloatBuffer params, Pointer quantized, long quantizedBytes);

    /** See {@code rnn4j_workspace_size_precision}. */
    public static native int rnn4j_workspace_size_precision(@Cast("const rnn4j_desc*") IntPointer desc,
            int precision, int T, int N, @Cast("int64_t*") LongPointer bytes);

    /** See {@code rnn4j_forward_precision}. */
    public static native int rnn4j_forward_precision(@Cast("const rnn4j_desc*") IntPointer desc, int precision,
            int T, int N, @Cast("const int32_t*") IntPointer lengths, @Const FloatBuffer params,
            @Const Pointer quantized, long quantizedBytes, @Const FloatBuffer x, @Const FloatBuffer h0,
            @Const FloatBuffer c0, FloatBuffer y, FloatBuffer hN, FloatBuffer cN, Pointer workspace,
            long workspaceBytes);

    /** {@code rnn4j_forward} with the parameters in a direct buffer. */
    public static native int rnn4j_forward(@Cast("const rnn4j_desc*") IntPointer desc, int T, int N,
            @Cast("const int32_t*") IntPointer lengths, int training, @Const FloatBuffer params, @Const FloatBuffer x,
            @Const FloatBuffer h0, @Const FloatBuffer c0, FloatBuffer y, FloatBuffer hN, FloatBuffer cN,
            Pointer workspace, long workspaceBytes);

    /** {@code rnn4j_backward} with the parameters and gradients in direct buffers. */
    public static native int rnn4j_backward(@Cast("const rnn4j_desc*") IntPointer desc, @Const FloatBuffer params,
            @Const FloatBuffer dy, @Const FloatBuffer dhN, @Const FloatBuffer dcN, FloatBuffer dx, FloatBuffer dh0,
            FloatBuffer dc0, FloatBuffer grads, Pointer workspace, long workspaceBytes);
}
