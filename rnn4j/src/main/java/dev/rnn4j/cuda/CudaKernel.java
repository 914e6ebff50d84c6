package dev.rnn4j.cuda;

import dev.rnn4j.RnnSpec;
import dev.rnn4j.spi.RnnKernel;
import java.nio.FloatBuffer;
import dev.rnn4j.cpu.DirectFloats;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.LongPointer;

/**
 * The CUDA backend behind the {@link RnnKernel} interface: host tensors in, host tensors out, the
 * computation on the GPU (current device of the calling thread, on a stream owned by this kernel).
 *
 * <p>{@link RnnKernel} exposes parameters and gradients as live HOST buffers, so this kernel keeps
 * the host copies authoritative and documents every copy it makes:
 * <ul>
 *   <li>forward: parameters host to device (4 * parameterCount bytes; a host buffer can be written
 *       at any time, so there is no reliable dirty flag to skip it), {@code x}, {@code h0}, {@code c0}
 *       host to device, then {@code y}, {@code hN}, {@code cN} device to host;
 *   <li>backward: parameters and gradients host to device, {@code dy}, {@code dhN}, {@code dcN}
 *       host to device, then {@code dx}, {@code dh0}, {@code dc0} and the accumulated gradients
 *       device to host.
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
    private final IntPointer desc = new IntPointer(dev.rnn4j.cpu.NativeDesc.SLOTS);
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
    private DeviceBuffer workspace;
    private IntPointer lengths = new IntPointer(1);
    private int steps, batch;
    private boolean closed;

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
        dev.rnn4j.cpu.NativeDesc.putDropoutSeed(desc, dropoutSeed);
        this.steps = steps;
        this.batch = batch;
        long xs = (long) steps * batch * spec.inputSize();
        long ys = (long) steps * batch * spec.outputFeatures();
        long hs = (long) spec.stateRows() * batch * spec.outputSize();
        long cs = (long) spec.stateRows() * batch * spec.hiddenSize();
        ensureWorkspace(steps, batch, training);
        IntPointer len = null;
        if (lengthsOrNull != null) {
            if (lengths.capacity() < batch) {
                lengths.close();
                lengths = new IntPointer(batch);
            }
            lengths.put(lengthsOrNull, 0, batch);
            len = lengths;
        }
        upload(paramsView, params, spec.parameterCount());
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
        upload(paramsView, params, spec.parameterCount());
        upload(gradsView, grads, spec.parameterCount());
        long ddy = in(Tensor.DY, dy, ys), ddhN = in(Tensor.DHN, dhN, hs), ddcN = in(Tensor.DCN, dcN, cs);
        long ddx = out(Tensor.DX, dx, xs), ddh0 = out(Tensor.DH0, dh0, hs), ddc0 = out(Tensor.DC0, dc0, cs);
        CudaSupport.check(Rnn4jCuda.rnn4j_cuda_backward(desc, params.address(), ddy, ddhN, ddcN, ddx, ddh0, ddc0,
                grads.address(), workspace.address(), workspace.bytes(), flags, stream), "rnn4j_cuda_backward");
        back(Tensor.DX, dx, xs);
        back(Tensor.DH0, dh0, hs);
        back(Tensor.DC0, dc0, cs);
        if (spec.parameterCount() > 0) {
            CudaSupport.check(Rnn4jCuda.rnn4j_cuda_memcpy_dtoh(gradsView, grads.address(),
                    4L * spec.parameterCount(), stream), "rnn4j_cuda_memcpy_dtoh");
        }
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
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

    private void upload(FloatBuffer host, DeviceBuffer device, long floats) {
        if (floats == 0) return;
        CudaSupport.check(Rnn4jCuda.rnn4j_cuda_memcpy_htod(device.address(), host, 4 * floats, stream),
                "rnn4j_cuda_memcpy_htod");
    }

    /** An input: copied host to device (through staging if heap); 0 when absent. */
    private long in(Tensor t, FloatBuffer b, long floats) {
        if (b == null) return 0L;
        Slot s = slots[t.ordinal()];
        DeviceBuffer d = s.device(floats);
        FloatBuffer src = b;
        if (!b.isDirect()) {
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

    /** Copies an output device to host (through staging if heap). */
    private void back(Tensor t, FloatBuffer b, long floats) {
        if (b == null || floats == 0) return;
        Slot s = slots[t.ordinal()];
        FloatBuffer dst = b.isDirect() ? b : s.staging(floats);
        CudaSupport.check(Rnn4jCuda.rnn4j_cuda_memcpy_dtoh(dst, s.device.address(), 4 * floats, stream),
                "rnn4j_cuda_memcpy_dtoh");
        if (!b.isDirect()) b.put(b.position(), dst, 0, (int) floats);
    }

    /** Grow-only device memory and host staging for one tensor. */
    private static final class Slot {
        DeviceBuffer device;
        FloatPointer host = new FloatPointer(0L);
        FloatBuffer hostView;

        DeviceBuffer device(long floats) {
            if (device == null || device.bytes() < 4 * Math.max(1, floats)) {
                if (device != null) device.close();
                device = DeviceBuffer.ofFloats(Math.max(1, floats));
            }
            return device;
        }

        FloatBuffer staging(long floats) {
            if (host.capacity() < floats) {
                host.close();
                host = new FloatPointer(floats);
                hostView = host.asBuffer();
            }
            return hostView;
        }

        void close() {
            if (device != null) device.close();
            host.close();
        }
    }
}
