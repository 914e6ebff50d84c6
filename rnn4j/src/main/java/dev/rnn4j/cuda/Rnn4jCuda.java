package dev.rnn4j.cuda;

import java.nio.FloatBuffer;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.annotation.Cast;
import org.bytedeco.javacpp.annotation.Const;
import org.bytedeco.javacpp.annotation.CriticalRegion;
import org.bytedeco.javacpp.annotation.Platform;
import org.bytedeco.javacpp.annotation.Properties;

/**
 * The JavaCPP binding of the CUDA C API in {@code native/include/rnn4j/rnn4j_cuda.h} (library
 * {@code librnn4j_cuda.so}, JNI glue {@code libjniRnn4jCuda.so}). Raw: no argument is checked
 * here; use {@link CudaKernel} (through {@link dev.rnn4j.Rnn}) or {@link CudaRnn}, which validate.
 *
 * <p>It deliberately does NOT inherit the JavaCPP CUDA presets: the library links the CUDA runtime
 * statically, so it loads on machines without a driver and reports why no GPU is usable instead of
 * failing with {@code libcuda.so.1: cannot open shared object file}.
 *
 * <p>Device pointers and streams are passed as {@code long} addresses ({@code 0} = NULL; a stream
 * of {@code 0} is the library's own stream of the calling thread). The descriptor is 8 int32
 * fields as for {@link dev.rnn4j.cpu.Rnn4jCpu}. Host buffers are direct {@link FloatBuffer}s, read
 * or written from their position.
 */
@Properties(value = @Platform(include = "rnn4j/rnn4j_cuda.h", link = "rnn4j_cuda"))
public final class Rnn4jCuda {
    static {
        Loader.load();
    }

    private Rnn4jCuda() {}

    /** Status code: success. */
    public static final int RNN4J_OK = 0;
    /** Status code: a CUDA call failed. */
    public static final int RNN4J_ERR_CUDA = 6;
    /** Flag: TF32 tensor cores for the large GEMMs. */
    public static final int RNN4J_CUDA_TF32 = 1;
    /** Flag: never use the persistent small-batch kernel. */
    public static final int RNN4J_CUDA_NO_PERSISTENT = 2;
    /** Flag: use the persistent kernel whenever it fits (batch up to 16). */
    public static final int RNN4J_CUDA_FORCE_PERSISTENT = 4;
    /** Probe result: usable. */
    public static final int RNN4J_CUDA_USABLE = 0;
    /** Probe result: no NVIDIA driver. */
    public static final int RNN4J_CUDA_NO_DRIVER = 1;
    /** Probe result: a driver but no device. */
    public static final int RNN4J_CUDA_NO_DEVICE = 2;
    /** Probe result: the driver is older than the runtime. */
    public static final int RNN4J_CUDA_DRIVER_TOO_OLD = 3;
    /** Probe result: another failure. */
    public static final int RNN4J_CUDA_OTHER_ERROR = 4;

    public static native @Cast("const char*") String rnn4j_cuda_version();

    public static native @Cast("const char*") String rnn4j_cuda_build_info();

    public static native @Cast("const char*") String rnn4j_cuda_last_error();

    public static native int rnn4j_cuda_device_count(IntPointer count, IntPointer reason,
            @Cast("char*") BytePointer message, int messageCapacity);

    public static native int rnn4j_cuda_device_info(int device, @Cast("char*") BytePointer name, int nameCapacity,
            IntPointer ccMajor, IntPointer ccMinor, @Cast("int64_t*") LongPointer totalBytes,
            @Cast("int64_t*") LongPointer freeBytes, IntPointer smCount);

    public static native int rnn4j_cuda_set_device(int device);

    public static native int rnn4j_cuda_versions(IntPointer driverVersion, IntPointer runtimeVersion);

    /** {@code ptr} receives the device address (one int64). */
    public static native int rnn4j_cuda_malloc(@Cast("void**") LongPointer ptr, long bytes);

    public static native int rnn4j_cuda_free(@Cast("void*") long ptr);

    /**
     * A direct buffer is passed by address; a heap buffer (writable, array-backed) is pinned for the
     * call (GetPrimitiveArrayCritical, no copy), from its position as well.
     */
    @CriticalRegion
    public static native int rnn4j_cuda_memcpy_htod(@Cast("void*") long dstDevice, @Const FloatBuffer srcHost,
            long bytes, @Cast("void*") long stream);

    /** See {@link #rnn4j_cuda_memcpy_htod}: heap buffers are pinned, not copied. */
    @CriticalRegion
    public static native int rnn4j_cuda_memcpy_dtoh(FloatBuffer dstHost, @Cast("const void*") long srcDevice,
            long bytes, @Cast("void*") long stream);

    public static native int rnn4j_cuda_memcpy_dtod(@Cast("void*") long dstDevice, @Cast("const void*") long srcDevice,
            long bytes, @Cast("void*") long stream);

    public static native int rnn4j_cuda_memset(@Cast("void*") long dstDevice, int byteValue, long bytes,
            @Cast("void*") long stream);

    /** {@code stream} receives the stream handle (one int64). */
    public static native int rnn4j_cuda_stream_create(@Cast("void**") LongPointer stream);

    public static native int rnn4j_cuda_stream_destroy(@Cast("void*") long stream);

    public static native int rnn4j_cuda_stream_sync(@Cast("void*") long stream);

    public static native int rnn4j_cuda_check_desc(@Cast("const rnn4j_desc*") IntPointer desc);

    public static native int rnn4j_cuda_param_count(@Cast("const rnn4j_desc*") IntPointer desc,
            @Cast("int64_t*") LongPointer count);

    public static native int rnn4j_cuda_workspace_size(@Cast("const rnn4j_desc*") IntPointer desc, int T, int N,
            int training, @Cast("int64_t*") LongPointer bytes);

    public static native int rnn4j_cuda_forward(@Cast("const rnn4j_desc*") IntPointer desc, int T, int N,
            @Cast("const int32_t*") IntPointer lengths, int training, @Cast("const float*") long params,
            @Cast("const float*") long x, @Cast("const float*") long h0, @Cast("const float*") long c0,
            @Cast("float*") long y, @Cast("float*") long hN, @Cast("float*") long cN, @Cast("void*") long workspace,
            long workspaceBytes, int flags, @Cast("void*") long stream);

    public static native int rnn4j_cuda_backward_data(@Cast("const rnn4j_desc*") IntPointer desc,
            @Cast("const float*") long params, @Cast("const float*") long dy, @Cast("const float*") long dhN,
            @Cast("const float*") long dcN, @Cast("float*") long dx, @Cast("float*") long dh0,
            @Cast("float*") long dc0, @Cast("void*") long workspace, long workspaceBytes, int flags,
            @Cast("void*") long stream);

    public static native int rnn4j_cuda_backward_weights(@Cast("const rnn4j_desc*") IntPointer desc,
            @Cast("float*") long grads, @Cast("void*") long workspace, long workspaceBytes, int flags,
            @Cast("void*") long stream);

    public static native int rnn4j_cuda_backward(@Cast("const rnn4j_desc*") IntPointer desc,
            @Cast("const float*") long params, @Cast("const float*") long dy, @Cast("const float*") long dhN,
            @Cast("const float*") long dcN, @Cast("float*") long dx, @Cast("float*") long dh0,
            @Cast("float*") long dc0, @Cast("float*") long grads, @Cast("void*") long workspace,
            long workspaceBytes, int flags, @Cast("void*") long stream);

    public static native int rnn4j_cuda_gemm(int transA, int transB, int M, int N, int K, float alpha,
            @Cast("const float*") long A, int lda, @Cast("const float*") long B, int ldb, float beta,
            @Cast("float*") long C, int ldc, int flags, @Cast("void*") long stream);
}
