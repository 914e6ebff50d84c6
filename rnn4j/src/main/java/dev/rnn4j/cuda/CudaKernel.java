package dev.rnn4j.cuda;

import dev.rnn4j.RnnSpec;
import dev.rnn4j.internal.DirectFloats;
import dev.rnn4j.internal.HostMirrors;
import dev.rnn4j.internal.NativeFloats;
import dev.rnn4j.internal.NativeInts;
import java.util.concurrent.atomic.AtomicLong;
import dev.rnn4j.spi.RnnKernel;
import java.nio.FloatBuffer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;

/**
 * The CUDA backend behind the {@link RnnKernel} interface: host tensors in, host tensors out, the
 * computation on the GPU (current device of the calling thread, on a stream owned by this kernel).
 *
 * <p>{@link RnnKernel} exposes parameters and gradients as live HOST buffers; this kernel keeps a
 * device copy of each and moves them only when needed, as {@link HostMirrors} reports host reads
 * and writes ({@link dev.rnn4j.Rnn}'s own accessors, the optimizers and gradient clipping of
 * {@code dev.rnn4j.train}):
 * <ul>
 *   <li>parameters: host to device (4 * parameterCount bytes) before a forward or backward only
 *       when the host copy was written since the last upload;
 *   <li>gradients: they accumulate on the device and come back (device to host) only when the host
 *       copy is read; a host write is uploaded before the next backward, and zeroing the host copy
 *       zeroes the device copy instead;
 *   <li>tensors: {@code x}, {@code h0}, {@code c0} ({@code dy}, {@code dhN}, {@code dcN}) host to
 *       device, then {@code y}, {@code hN}, {@code cN} ({@code dx}, {@code dh0}, {@code dc0}) device
 *       to host, every call.
 * </ul>
 * Heap (array-backed) buffers take one more copy through native staging memory; direct buffers
 * are copied straight. Device memory (parameters, gradients, tensors, workspace) is allocated on
 * the first call and grown on demand, then reused: steady-state calls allocate nothing. To avoid
 * all host copies, hold the tensors on the device and use {@link CudaRnn}.
 *
 * <p>Math: exact FP32 by default; {@code -Drnn4j.cuda.tf32=true} lets the large GEMMs use TF32
 * tensor cores (see {@code rnn4j_cuda.h}).
 */
public final class CudaKernel implements RnnKernel {
    /** Flags every kernel passes to the native calls, from {@code -Drnn4j.cuda.tf32}. */
    static final int DEFAULT_FLAGS = Boolean.getBoolean("rnn4j.cuda.tf32") ? Rnn4jCuda.RNN4J_CUDA_TF32 : 0;

    private final RnnSpec spec;
    private final IntPointer desc = new IntPointer(dev.rnn4j.internal.NativeDesc.SLOTS);
    private final DirectFloats hostParams;
    private final DirectFloats hostGrads;
    private final FloatBuffer paramsView;
    private final FloatBuffer gradsView;
    private final LongPointer size = new LongPointer(1);
    private final DeviceBuffer params;
    private final DeviceBuffer grads;
    private final Slot[] slots = new Slot[Tensor.values().length];
    private final long stream;
    private final int flags;
    private final HostMirrors.Registration paramsMirror;
    private final HostMirrors.Registration gradsMirror;
    private DeviceBuffer workspace;
    private final NativeInts lengths = new NativeInts();
    private int steps, batch;
    private boolean closed;
    private long paramsVersion = 1;      // bumped by every host write of the parameters
    private long uploadedVersion;        // the version the device copy holds
    private Grads gradsState = Grads.HOST_NEWER;

    /** Which copy of the gradients is current. */
    private enum Grads { SAME, HOST_NEWER, HOST_ZEROED, DEVICE_NEWER }

    /**
     * Copies between host and device of parameters and gradients, counted over all kernels of this
     * class loader: what the tests read to check that nothing moves without need.
     */
    static final class Transfers {
        static final AtomicLong PARAM_UPLOADS = new AtomicLong();
        static final AtomicLong GRAD_UPLOADS = new AtomicLong();
        static final AtomicLong GRAD_ZEROES = new AtomicLong();
        static final AtomicLong GRAD_DOWNLOADS = new AtomicLong();

        private Transfers() {}
    }

    private enum Tensor { X, H0, C0, Y, HN, CN, DY, DHN, DCN, DX, DH0, DC0 }

    /**
     * Allocates the parameters and gradients (zeros) of {@code spec}, on the host and the device.
     *
     * @throws IllegalStateException if no GPU is usable
     */
    public CudaKernel(RnnSpec spec) {
        CudaSupport.requireAvailable();
        this.spec = spec;
        this.flags = DEFAULT_FLAGS;
        desc.put(CudaRnn.descFields(spec));
        CudaSupport.check(Rnn4jCuda.rnn4j_cuda_param_count(desc, size), "rnn4j_cuda_param_count");
        if (size.get() != spec.parameterCount()) {
            throw new IllegalStateException("native parameter count " + size.get() + " differs from Java's "
                    + spec.parameterCount() + " for " + spec + ": the jar's CUDA library does not match its classes");
        }
        int count = Math.max(1, spec.parameterCount());
        // Host mirrors; left to the GC after close() if Rnn.parameterBuffer() handed out a view of them.
        hostParams = new DirectFloats(spec.parameterCount());
        hostGrads = new DirectFloats(spec.parameterCount());
        paramsView = hostParams.buffer();
        gradsView = hostGrads.buffer();
        for (Tensor t : Tensor.values()) slots[t.ordinal()] = new Slot();
        long st = 0;
        DeviceBuffer p = null, g = null;
        try (LongPointer s = new LongPointer(1)) {
            CudaSupport.check(Rnn4jCuda.rnn4j_cuda_stream_create(s), "rnn4j_cuda_stream_create");
            st = s.get();
            p = DeviceBuffer.ofFloats(count);
            g = DeviceBuffer.ofFloats(count);
        } catch (RuntimeException | Error e) {  // free what was made, then report
            if (p != null) p.close();
            if (st != 0) Rnn4jCuda.rnn4j_cuda_stream_destroy(st);
            desc.close();
            size.close();
            lengths.close();
            throw e;
        }
        stream = st;
        params = p;
        grads = g;
        paramsMirror = HostMirrors.register(paramsView, spec.parameterCount(), new HostMirrors.Mirror() {
            @Override
            public void beforeHostRead() {} // the device never writes the parameters

            @Override
            public void afterHostWrite() {
                paramsVersion++;
            }
        });
        gradsMirror = HostMirrors.register(gradsView, spec.parameterCount(), new HostMirrors.Mirror() {
            @Override
            public void beforeHostRead() {
                downloadGradients();
            }

            @Override
            public void afterHostWrite() {
                gradsState = Grads.HOST_NEWER;
            }

            @Override
            public void afterHostZeroed() {
                gradsState = Grads.HOST_ZEROED;
            }
        });
    }

    /** Why the CUDA backend cannot be used, or null if it can. */
    public static String unavailableReason() {
        return CudaSupport.unavailableReason();
    }

    /** Library, build and device description. */
    public static String describe() {
        return CudaSupport.describe();
    }

    @Override
    public FloatBuffer parameters() {
        return paramsView;
    }

    @Override
    public FloatBuffer gradients() {
        return gradsView;
    }

    @Override
    public void forward(int steps, int batch, int[] lengthsOrNull, boolean training, FloatBuffer x, FloatBuffer h0,
            FloatBuffer c0, FloatBuffer y, FloatBuffer hN, FloatBuffer cN, long dropoutSeed) {
        dev.rnn4j.internal.NativeDesc.putDropoutSeed(desc, dropoutSeed);
        this.steps = steps;
        this.batch = batch;
        long xs = (long) steps * batch * spec.inputSize();
        long ys = (long) steps * batch * spec.outputFeatures();
        long hs = (long) spec.stateRows() * batch * spec.outputSize();
        long cs = (long) spec.stateRows() * batch * spec.hiddenSize();
        ensureWorkspace(steps, batch, training);
        IntPointer len = lengths.stage(lengthsOrNull, batch);
        syncParameters();
        long dx = in(Tensor.X, x, xs), dh0 = in(Tensor.H0, h0, hs), dc0 = in(Tensor.C0, c0, cs);
        long dy = out(Tensor.Y, y, ys), dhN = out(Tensor.HN, hN, hs), dcN = out(Tensor.CN, cN, cs);
        CudaSupport.check(Rnn4jCuda.rnn4j_cuda_forward(desc, steps, batch, len, training ? 1 : 0, params.address(), dx,
                dh0, dc0, dy, dhN, dcN, workspace.address(), workspace.bytes(), flags, stream), "rnn4j_cuda_forward");
        back(Tensor.Y, y, ys);
        back(Tensor.HN, hN, hs);
        back(Tensor.CN, cN, cs);
    }

    @Override
    public void backward(FloatBuffer dy, FloatBuffer dhN, FloatBuffer dcN, FloatBuffer dx, FloatBuffer dh0,
            FloatBuffer dc0) {
        long xs = (long) steps * batch * spec.inputSize();
        long ys = (long) steps * batch * spec.outputFeatures();
        long hs = (long) spec.stateRows() * batch * spec.outputSize();
        long cs = (long) spec.stateRows() * batch * spec.hiddenSize();
        syncParameters();
        if (gradsState == Grads.HOST_NEWER) {
            upload(gradsView, grads, spec.parameterCount());
            Transfers.GRAD_UPLOADS.incrementAndGet();
        } else if (gradsState == Grads.HOST_ZEROED && spec.parameterCount() > 0) {
            CudaSupport.check(Rnn4jCuda.rnn4j_cuda_memset(grads.address(), 0, 4L * spec.parameterCount(), stream),
                    "rnn4j_cuda_memset");
            Transfers.GRAD_ZEROES.incrementAndGet();
        }
        long ddy = in(Tensor.DY, dy, ys), ddhN = in(Tensor.DHN, dhN, hs), ddcN = in(Tensor.DCN, dcN, cs);
        long ddx = out(Tensor.DX, dx, xs), ddh0 = out(Tensor.DH0, dh0, hs), ddc0 = out(Tensor.DC0, dc0, cs);
        CudaSupport.check(Rnn4jCuda.rnn4j_cuda_backward(desc, params.address(), ddy, ddhN, ddcN, ddx, ddh0, ddc0,
                grads.address(), workspace.address(), workspace.bytes(), flags, stream), "rnn4j_cuda_backward");
        back(Tensor.DX, dx, xs);
        back(Tensor.DH0, dh0, hs);
        back(Tensor.DC0, dc0, cs);
        gradsState = Grads.DEVICE_NEWER; // read back only when the host copy is read (HostMirrors)
    }

    @Override
    public void close() {
        if (closed) return;
        try {
            downloadGradients(); // a view of them handed out before close() keeps reading the last values
        } catch (RuntimeException | Error e) {
            // the device failed: close() must still free everything; the host copy keeps the last read
        }
        closed = true;
        paramsMirror.close();
        gradsMirror.close();
        if (stream != 0) Rnn4jCuda.rnn4j_cuda_stream_sync(stream);
        for (Slot s : slots) s.close();
        if (workspace != null) workspace.close();
        params.close();
        grads.close();
        if (stream != 0) Rnn4jCuda.rnn4j_cuda_stream_destroy(stream);
        lengths.close();
        hostParams.free();
        hostGrads.free();
        desc.close();
        size.close();
    }

    @Override
    public void shareBuffers() {
        hostParams.share();
        hostGrads.share();
    }

    private void ensureWorkspace(int steps, int batch, boolean training) {
        CudaSupport.check(Rnn4jCuda.rnn4j_cuda_workspace_size(desc, steps, batch, training ? 1 : 0, size),
                "rnn4j_cuda_workspace_size");
        long needed = size.get();
        if (workspace == null || needed > workspace.bytes()) {
            long bytes = workspace == null ? needed : Math.max(needed, workspace.bytes() + workspace.bytes() / 2);
            if (workspace != null) {
                Rnn4jCuda.rnn4j_cuda_stream_sync(stream);
                workspace.close();
                workspace = null;
            }
            workspace = DeviceBuffer.allocate(bytes);
        }
    }

    /** Uploads the parameters if the host copy was written since the last upload. */
    private void syncParameters() {
        if (uploadedVersion == paramsVersion) return;
        upload(paramsView, params, spec.parameterCount());
        uploadedVersion = paramsVersion;
        Transfers.PARAM_UPLOADS.incrementAndGet();
    }

    /** Downloads the gradients if the device copy is newer (a backward ran since the last read). */
    private void downloadGradients() {
        if (gradsState != Grads.DEVICE_NEWER || closed) return;
        if (spec.parameterCount() > 0) {
            CudaSupport.check(Rnn4jCuda.rnn4j_cuda_memcpy_dtoh(gradsView, grads.address(),
                    4L * spec.parameterCount(), stream), "rnn4j_cuda_memcpy_dtoh");
        }
        gradsState = Grads.SAME;
        Transfers.GRAD_DOWNLOADS.incrementAndGet();
    }

    private void upload(FloatBuffer host, DeviceBuffer device, long floats) {
        if (floats == 0) return;
        CudaSupport.check(Rnn4jCuda.rnn4j_cuda_memcpy_htod(device.address(), host, 4 * floats, stream),
                "rnn4j_cuda_memcpy_htod");
    }

    /**
     * An input: copied host to device, straight from a direct or writable heap buffer (the binding
     * pins the array); a read-only heap buffer hides its array and goes through staging. 0 when absent.
     */
    private long in(Tensor t, FloatBuffer b, long floats) {
        if (b == null) return 0L;
        Slot s = slots[t.ordinal()];
        DeviceBuffer d = s.device(floats);
        FloatBuffer src = b;
        if (!b.isDirect() && !b.hasArray()) {
            src = s.staging(floats);
            src.put(0, b, b.position(), (int) floats);
        }
        CudaSupport.check(Rnn4jCuda.rnn4j_cuda_memcpy_htod(d.address(), src, 4 * floats, stream),
                "rnn4j_cuda_memcpy_htod");
        return d.address();
    }

    /** An output: device memory for it; 0 when not wanted. */
    private long out(Tensor t, FloatBuffer b, long floats) {
        if (b == null) return 0L;
        return slots[t.ordinal()].device(floats).address();
    }

    /** Copies an output device to host, straight into the buffer (outputs are never read-only). */
    private void back(Tensor t, FloatBuffer b, long floats) {
        if (b == null || floats == 0) return;
        CudaSupport.check(Rnn4jCuda.rnn4j_cuda_memcpy_dtoh(b, slots[t.ordinal()].device.address(), 4 * floats,
                stream), "rnn4j_cuda_memcpy_dtoh");
    }

    /** Grow-only device memory and host staging for one tensor. */
    private static final class Slot {
        DeviceBuffer device;
        final NativeFloats host = new NativeFloats();

        DeviceBuffer device(long floats) {
            if (device == null || device.bytes() < 4 * Math.max(1, floats)) {
                if (device != null) device.close();
                device = DeviceBuffer.ofFloats(Math.max(1, floats));
            }
            return device;
        }

        FloatBuffer staging(long floats) {
            return host.view(floats);
        }

        void close() {
            if (device != null) device.close();
            host.close();
        }
    }
}
