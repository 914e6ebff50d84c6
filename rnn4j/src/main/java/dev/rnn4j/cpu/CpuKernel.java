package dev.rnn4j.cpu;

import dev.rnn4j.Precision;
import dev.rnn4j.RnnSpec;
import dev.rnn4j.internal.DirectFloats;
import dev.rnn4j.internal.NativeDesc;
import dev.rnn4j.internal.NativeFloats;
import dev.rnn4j.internal.NativeInts;
import dev.rnn4j.internal.NativeStatus;
import dev.rnn4j.spi.RnnKernel;
import java.nio.FloatBuffer;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.LongPointer;

/**
 * The CPU backend: {@link Rnn4jCpu} (the C API) behind the {@link RnnKernel} interface.
 *
 * <p>Owns native memory, freed by {@link #close()}: the workspace (grown on demand, then reused:
 * steady-state calls allocate nothing), staging copies for heap tensors, and the parameters and
 * gradients ({@link DirectFloats}: if a live view of them was handed out, they are left to the
 * garbage collector instead, so that a stale view can never read freed memory), and in BF16 or INT8
 * the reduced weights. Direct buffers are passed to the kernels in place; heap
 * buffers are copied into native staging memory and back, which also makes the allowed aliasing
 * ({@code hN} is {@code h0}) safe. Only each tensor's floats are read and written, however much room
 * a buffer has. Overlapping tensors never get here: {@link dev.rnn4j.Rnn} rejects them for every backend.
 */
public final class CpuKernel implements RnnKernel {
    private static final String UNAVAILABLE = probe();

    private final RnnSpec spec;
    private final IntPointer desc = new IntPointer(Rnn4jCpu.DESC_FIELDS);
    private final DirectFloats paramMemory;
    private final DirectFloats gradMemory;
    private final FloatBuffer params;
    private final FloatBuffer grads;
    private final LongPointer size = new LongPointer(1);
    private final NativeFloats[] staging = new NativeFloats[Slot.values().length];
    private final NativeInts lengths = new NativeInts();
    private BytePointer workspace = new BytePointer(0L);
    private long workspaceBytes;
    private int recordedSteps;
    private int recordedBatch;
    private boolean closed;
    private Precision precision = Precision.FP32;
    /**
     * The prepared weights ({@code rnn4j_quantize}) of {@link #precision}: the reduced weights, or
     * in FP32 W_ih and W_hh prepacked for inference. Remade when stale.
     */
    private BytePointer quantized = new BytePointer(0L);
    private long quantizedBytes;
    private boolean quantizedStale = true;
    /**
     * Whether an FP32 inference forward ran since the parameters last changed. The prepacked
     * weights are made on the second such forward: packing costs about what one forward's own
     * packing does, so it pays only for weights that are reused (a model being served), never in
     * a loop that changes the weights between forwards (training).
     */
    private boolean inferredSinceChange;

    private enum Slot { X, H0, C0, Y, HN, CN, DY, DHN, DCN, DX, DH0, DC0 }

    /**
     * Allocates the parameters and gradients (zeros) of {@code spec}.
     *
     * @throws IllegalStateException if the native library is not available
     */
    public CpuKernel(RnnSpec spec) {
        if (UNAVAILABLE != null) throw new IllegalStateException("backend CPU is not available: " + UNAVAILABLE);
        this.spec = spec;
        desc.put(NativeDesc.fields(spec));
        check(Rnn4jCpu.rnn4j_param_count(desc, size), "rnn4j_param_count");
        if (size.get() != spec.parameterCount()) {
            throw new IllegalStateException("native parameter count " + size.get() + " differs from Java's "
                    + spec.parameterCount() + " for " + spec + ": the jar's native library does not match its classes");
        }
        paramMemory = new DirectFloats(spec.parameterCount());
        gradMemory = new DirectFloats(spec.parameterCount());
        params = paramMemory.buffer();
        grads = gradMemory.buffer();
        for (Slot s : Slot.values()) staging[s.ordinal()] = new NativeFloats();
    }

    /** Why the CPU backend cannot be used, or null if it can. */
    public static String unavailableReason() {
        return UNAVAILABLE;
    }

    /** Version, build, BLAS configuration and threads of the loaded native library. */
    public static String describe() {
        return "librnn4j " + Rnn4jCpu.rnn4j_version() + " (" + Rnn4jCpu.rnn4j_build_info() + "); "
                + Rnn4jCpu.rnn4j_blas_config().trim() + "; " + Rnn4jCpu.rnn4j_kernel_info() + "; threads "
                + Rnn4jCpu.rnn4j_get_num_threads();
    }

    /** Sets the process-wide thread count of the native kernels. */
    public static void setThreads(int threads) {
        check(Rnn4jCpu.rnn4j_set_num_threads(threads), "rnn4j_set_num_threads");
    }

    /** The process-wide thread count of the native kernels. */
    public static int threads() {
        return Rnn4jCpu.rnn4j_get_num_threads();
    }

    private static String probe() {
        if ("false".equalsIgnoreCase(System.getProperty("rnn4j.native"))) {
            return "native backends are disabled by -Drnn4j.native=false";
        }
        try {
            Loader.load(Rnn4jCpu.class);
            if ((Rnn4jCpu.rnn4j_capabilities() & 1) == 0) {
                return "the native library " + Rnn4jCpu.rnn4j_version() + " has no CPU kernels";
            }
            // -Drnn4j.isa=avx512|avx2|generic|openblas forces the GEMM kernels, as RNN4J_ISA does
            String isa = System.getProperty("rnn4j.isa");
            if (isa != null && !isa.isEmpty() && Rnn4jCpu.rnn4j_set_isa(isa) != Rnn4jCpu.RNN4J_OK) {
                return Rnn4jCpu.rnn4j_last_error() + " (system property rnn4j.isa)";
            }
            return null;
        } catch (Throwable t) {
            return NativeInts.loadFailure("the native library did not load on " + Loader.getPlatform(), t);
        }
    }

    @Override
    public FloatBuffer parameters() {
        return params;
    }

    @Override
    public FloatBuffer gradients() {
        return grads;
    }

    @Override
    public void shareBuffers() {
        paramMemory.share();
        gradMemory.share();
    }

    @Override
    public boolean supports(Precision p) {
        return true;
    }

    @Override
    public void setPrecision(Precision p) {
        if (p != precision) quantizedStale = true;
        precision = p;
    }

    @Override
    public void parametersChanged() {
        quantizedStale = true;
        inferredSinceChange = false;
    }

    @Override
    public void forward(int steps, int batch, int[] lengthsOrNull, boolean training, FloatBuffer x, FloatBuffer h0,
            FloatBuffer c0, FloatBuffer y, FloatBuffer hN, FloatBuffer cN, long dropoutSeed) {
        NativeDesc.putDropoutSeed(desc, dropoutSeed);
        boolean prepared = !training && (precision != Precision.FP32 || !quantizedStale || inferredSinceChange);
        if (!training && precision == Precision.FP32) inferredSinceChange = true;
        if (prepared) {
            check(Rnn4jCpu.rnn4j_workspace_size_precision(desc, precision.ordinal(), steps, batch, size),
                    "rnn4j_workspace_size_precision");
            ensureWorkspace(size.get());
            if (quantizedStale) quantize();
        } else {
            check(Rnn4jCpu.rnn4j_workspace_size(desc, steps, batch, training ? 1 : 0, size), "rnn4j_workspace_size");
            ensureWorkspace(size.get());
        }
        IntPointer len = lengths.stage(lengthsOrNull, batch);
        int xs = steps * batch * spec.inputSize(); // Rnn checked that every tensor's count fits an int
        int ys = steps * batch * spec.outputFeatures();
        int hs = spec.stateRows() * batch * spec.outputSize();
        int cs = spec.stateRows() * batch * spec.hiddenSize();
        FloatBuffer nx = in(Slot.X, x, xs);
        FloatBuffer nh0 = in(Slot.H0, h0, hs);
        FloatBuffer nc0 = in(Slot.C0, c0, cs);
        FloatBuffer ny = out(Slot.Y, y, ys);
        FloatBuffer nhN = hN == h0 && h0 != null ? nh0 : out(Slot.HN, hN, hs);
        FloatBuffer ncN = cN == c0 && c0 != null ? nc0 : out(Slot.CN, cN, cs);
        recordedSteps = steps;
        recordedBatch = batch;
        if (prepared) {
            check(Rnn4jCpu.rnn4j_forward_precision(desc, precision.ordinal(), steps, batch, len, params, quantized,
                    quantizedBytes, nx, nh0, nc0, ny, nhN, ncN, workspace, workspaceBytes), "rnn4j_forward_precision");
        } else {
            check(Rnn4jCpu.rnn4j_forward(desc, steps, batch, len, training ? 1 : 0, params, nx, nh0, nc0, ny, nhN, ncN,
                    workspace, workspaceBytes), "rnn4j_forward");
        }
        back(ny, y, ys);
        back(nhN, hN, hs);
        back(ncN, cN, cs);
    }

    @Override
    public void backward(FloatBuffer dy, FloatBuffer dhN, FloatBuffer dcN, FloatBuffer dx, FloatBuffer dh0,
            FloatBuffer dc0) {
        int xs = recordedSteps * recordedBatch * spec.inputSize();
        int ys = recordedSteps * recordedBatch * spec.outputFeatures();
        int hs = spec.stateRows() * recordedBatch * spec.outputSize();
        int cs = spec.stateRows() * recordedBatch * spec.hiddenSize();
        FloatBuffer ndy = in(Slot.DY, dy, ys);
        FloatBuffer ndhN = in(Slot.DHN, dhN, hs);
        FloatBuffer ndcN = in(Slot.DCN, dcN, cs);
        FloatBuffer ndx = out(Slot.DX, dx, xs);
        FloatBuffer ndh0 = out(Slot.DH0, dh0, hs);
        FloatBuffer ndc0 = out(Slot.DC0, dc0, cs);
        check(Rnn4jCpu.rnn4j_backward(desc, params, ndy, ndhN, ndcN, ndx, ndh0, ndc0, grads, workspace,
                workspaceBytes), "rnn4j_backward");
        back(ndx, dx, xs);
        back(ndh0, dh0, hs);
        back(ndc0, dc0, cs);
    }

    @Override
    public void close() {
        if (closed) return;
        closed = true;
        for (NativeFloats s : staging) s.close();
        workspace.close();
        quantized.close();
        lengths.close();
        paramMemory.free();
        gradMemory.free();
        desc.close();
        size.close();
    }

    /** Remakes the prepared weights of {@link #precision} from the fp32 parameters. */
    private void quantize() {
        check(Rnn4jCpu.rnn4j_quantized_size(desc, precision.ordinal(), size), "rnn4j_quantized_size");
        long needed = size.get();
        if (needed > quantizedBytes) {
            BytePointer fresh = new BytePointer(needed);
            if (fresh.isNull()) throw new OutOfMemoryError("cannot allocate " + needed + " bytes of prepared weights");
            quantized.close();
            quantized = fresh;
            quantizedBytes = needed;
        }
        check(Rnn4jCpu.rnn4j_quantize(desc, precision.ordinal(), params, quantized, quantizedBytes), "rnn4j_quantize");
        quantizedStale = false;
    }

    private void ensureWorkspace(long needed) {
        if (needed > workspaceBytes) {
            // Grow with headroom so that slowly growing batches do not reallocate every call.
            long bytes = Math.max(needed, workspaceBytes + workspaceBytes / 2);
            BytePointer fresh = new BytePointer(bytes);
            if (fresh.isNull()) throw new OutOfMemoryError("cannot allocate a workspace of " + bytes + " bytes");
            workspace.close();
            workspace = fresh;
            workspaceBytes = bytes;
        }
    }

    /** An input: a direct buffer as it is, a heap buffer's tensor copied into native staging memory. */
    private FloatBuffer in(Slot slot, FloatBuffer b, int floats) {
        if (b == null || b.isDirect()) return b;
        FloatBuffer s = staging[slot.ordinal()].view(floats);
        s.put(0, b, b.position(), floats);
        return s;
    }

    /** An output: a direct buffer as it is, a heap buffer written to staging and copied back by {@link #back}. */
    private FloatBuffer out(Slot slot, FloatBuffer b, int floats) {
        if (b == null || b.isDirect()) return b;
        return staging[slot.ordinal()].view(floats);
    }

    /**
     * Copies exactly the tensor's floats back into a heap output: the caller's buffer may have more
     * room, and what lies past the tensor is the caller's, not stale staging memory.
     */
    private static void back(FloatBuffer staged, FloatBuffer target, int floats) {
        if (target == null || staged == target) return;
        target.put(target.position(), staged, 0, floats);
    }

    private static void check(int status, String function) {
        NativeStatus.check(status, function, Rnn4jCpu::rnn4j_last_error);
    }

}
