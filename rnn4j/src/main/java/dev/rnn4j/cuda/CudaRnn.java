package dev.rnn4j.cuda;

import dev.rnn4j.RnnSpec;
import dev.rnn4j.internal.NativeInts;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;

/**
 * Zero-copy access to the CUDA kernels for callers that already hold device memory and a stream
 * (for example through the JavaCPP CUDA presets: pass {@code Pointer.address()} of a device
 * pointer and of a {@code CUstream_st}), or that manage it with {@link DeviceBuffer}.
 *
 * <p>Every tensor is a DEVICE address ({@code long}; {@code 0} = absent where the C API allows
 * NULL), in the layouts of {@code rnn4j_cuda.h} (the same as {@link dev.rnn4j.Rnn}'s: {@code x}
 * {@code [T, N, I]}, {@code y} {@code [T, N, D*Ho]}, states {@code [L*D, N, Ho]}, parameters in
 * PyTorch's flat order). {@code stream} is a {@code cudaStream_t} address, or {@code 0} for the
 * library's own stream of the calling thread. Calls are ASYNCHRONOUS: they return once the work is
 * queued, and the caller synchronises its stream before reading results; the backward calls first
 * read the workspace header back, which waits for work already queued on {@code stream}.
 * Parameter gradients ACCUMULATE; dx, dh0, dc0 are overwritten. Nothing is copied to the host.
 *
 * <p>Checks here are cheap (non-zero addresses, sizes, lengths); the memory behind an address
 * cannot be checked, so a wrong address or a too small device buffer is a CUDA error (or worse):
 * sizes are the caller's responsibility. Not thread-safe (one descriptor object); use one instance
 * per thread.
 */
public final class CudaRnn implements AutoCloseable {
    /** Flag: TF32 tensor cores for the large GEMMs (input projection, dX, weight gradients). */
    public static final int TF32 = Rnn4jCuda.RNN4J_CUDA_TF32;
    /** Flag: never use the persistent small-batch kernel. */
    public static final int NO_PERSISTENT = Rnn4jCuda.RNN4J_CUDA_NO_PERSISTENT;

    private final RnnSpec spec;
    private final IntPointer desc = new IntPointer(dev.rnn4j.internal.NativeDesc.SLOTS);
    private final LongPointer size = new LongPointer(1);
    private final NativeInts staged = new NativeInts();
    private boolean closed;

    /** @throws IllegalStateException if no GPU is usable */
    public CudaRnn(RnnSpec spec) {
        CudaSupport.requireAvailable();
        if (spec == null) throw new NullPointerException("spec");
        this.spec = spec;
        desc.put(descFields(spec));
    }

    static int[] descFields(RnnSpec spec) {
        return dev.rnn4j.internal.NativeDesc.fields(spec);
    }

    /** The network. */
    public RnnSpec spec() {
        return spec;
    }

    /** Bytes of device workspace for {@code steps} x {@code batch} (training: enough for the backward too). */
    public long workspaceBytes(int steps, int batch, boolean training) {
        open();
        CudaSupport.check(Rnn4jCuda.rnn4j_cuda_workspace_size(desc, steps, batch, training ? 1 : 0, size),
                "rnn4j_cuda_workspace_size");
        return size.get();
    }

    /**
     * Forward pass on device memory. Required: params, x, y, workspace; 0 allowed: h0, c0 (zeros),
     * hN, cN (not written). {@code lengths} is a host array of {@code batch} values in
     * {@code 1..steps}, or null.
     */
    public void forward(long stream, int flags, int steps, int batch, int[] lengths, boolean training, long params,
            long x, long h0, long c0, long y, long hN, long cN, long workspace, long workspaceBytes) {
        forward(stream, flags, steps, batch, lengths, training, params, x, h0, c0, y, hN, cN, workspace, workspaceBytes,
                0L);
    }

    /**
     * {@link #forward(long, int, int, int, int[], boolean, long, long, long, long, long, long, long, long, long)}
     * with the seed of the dropout masks (used in training when the spec has dropout and more than
     * one layer; the backward calls use the one recorded in the workspace). The overload without
     * it uses 0.
     */
    public void forward(long stream, int flags, int steps, int batch, int[] lengths, boolean training, long params,
            long x, long h0, long c0, long y, long hN, long cN, long workspace, long workspaceBytes, long dropoutSeed) {
        open();
        dev.rnn4j.internal.NativeDesc.putDropoutSeed(desc, dropoutSeed);
        require(params, "params");
        require(x, "x");
        require(y, "y");
        require(workspace, "workspace");
        if (steps < 1 || batch < 1) {
            throw new IllegalArgumentException("steps = " + steps + " and batch = " + batch + " must be >= 1");
        }
        if (lengths != null) {
            if (lengths.length != batch) {
                throw new IllegalArgumentException("lengths has " + lengths.length + " entries, batch is " + batch);
            }
            for (int b = 0; b < batch; b++) {
                if (lengths[b] < 1 || lengths[b] > steps) {
                    throw new IllegalArgumentException("lengths[" + b + "] = " + lengths[b] + " is outside 1.." + steps);
                }
            }
        }
        IntPointer len = staged.stage(lengths, batch);
        CudaSupport.check(Rnn4jCuda.rnn4j_cuda_forward(desc, steps, batch, len, training ? 1 : 0, params, x, h0, c0, y,
                hN, cN, workspace, workspaceBytes, flags, stream), "rnn4j_cuda_forward");
    }

    /** Backward data: dx, dh0, dc0 (each 0 = not wanted) from dy, dhN, dcN (each 0 = zeros). */
    public void backwardData(long stream, int flags, long params, long dy, long dhN, long dcN, long dx, long dh0,
            long dc0, long workspace, long workspaceBytes) {
        open();
        require(params, "params");
        require(workspace, "workspace");
        CudaSupport.check(Rnn4jCuda.rnn4j_cuda_backward_data(desc, params, dy, dhN, dcN, dx, dh0, dc0, workspace,
                workspaceBytes, flags, stream), "rnn4j_cuda_backward_data");
    }

    /** Backward weights: accumulates every parameter gradient into {@code grads}. */
    public void backwardWeights(long stream, int flags, long grads, long workspace, long workspaceBytes) {
        open();
        require(grads, "grads");
        require(workspace, "workspace");
        CudaSupport.check(Rnn4jCuda.rnn4j_cuda_backward_weights(desc, grads, workspace, workspaceBytes, flags, stream),
                "rnn4j_cuda_backward_weights");
    }

    /** {@link #backwardData} then {@link #backwardWeights}. */
    public void backward(long stream, int flags, long params, long dy, long dhN, long dcN, long dx, long dh0,
            long dc0, long grads, long workspace, long workspaceBytes) {
        open();
        require(params, "params");
        require(grads, "grads");
        require(workspace, "workspace");
        CudaSupport.check(Rnn4jCuda.rnn4j_cuda_backward(desc, params, dy, dhN, dcN, dx, dh0, dc0, grads, workspace,
                workspaceBytes, flags, stream), "rnn4j_cuda_backward");
    }

    /** Waits for everything queued on {@code stream} (0 = the library's stream of this thread). */
    public static void synchronize(long stream) {
        CudaSupport.requireAvailable();
        CudaSupport.check(Rnn4jCuda.rnn4j_cuda_stream_sync(stream), "rnn4j_cuda_stream_sync");
    }

    private static void require(long address, String name) {
        if (address == 0) throw new IllegalArgumentException(name + " is a null device address");
    }

    private void open() {
        if (closed) throw new IllegalStateException("this CudaRnn is closed");
    }

    /** Frees the small host objects; device memory belongs to the caller. Idempotent. */
    @Override
    public void close() {
        if (closed) return;
        closed = true;
        staged.close();
        desc.close();
        size.close();
    }
}
