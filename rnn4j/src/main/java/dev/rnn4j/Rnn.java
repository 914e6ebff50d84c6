package dev.rnn4j;

import dev.rnn4j.internal.HostMirrors;
import dev.rnn4j.spi.RnnKernel;
import java.lang.ref.Cleaner;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Objects;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A recurrent network (one {@link RnnSpec}) on one {@link Backend}: its parameters, their
 * gradients, and the forward and backward passes. Semantics, parameter names and gate orders are
 * exactly PyTorch's ({@code torch.nn.RNN}, {@code LSTM}, {@code GRU}).
 *
 * <pre>{@code
 * RnnSpec spec = RnnSpec.builder(CellType.LSTM, 32, 64).build();
 * try (Rnn lstm = Rnn.create(spec)) {                       // Backend.best()
 *     ForwardResult out = lstm.forward(Mode.TRAINING, Batch.of(T, N), x, null, null);
 *     BackwardResult g = lstm.backward(dy, null, null);     // gradients accumulate in lstm
 *     float[] dWih = lstm.gradient("weight_ih_l0");
 * }
 * }</pre>
 *
 * <h2>Shapes</h2>
 * {@code T} steps, {@code N} batch, {@code I} input size, {@code H} hidden size, {@code Ho} =
 * {@link RnnSpec#outputSize()}, {@code L} layers, {@code D} directions. {@code x} is
 * {@code [T, N, I]} ({@code [N, T, I]} if batch-first), {@code y} {@code [T, N, D*Ho]} (forward
 * half first), {@code h0, hN} {@code [L*D, N, Ho]}, {@code c0, cN} {@code [L*D, N, H]} (LSTM only;
 * ignored and null otherwise). Everything is row-major fp32.
 *
 * <h2>Two ways to pass data</h2>
 * The {@code float[]} methods allocate their results and are the simplest. The
 * {@link FloatBuffer} methods write into buffers the caller owns and allocate nothing: with direct
 * buffers in native byte order (for example JavaCPP's {@code FloatPointer.asBuffer()}) the native
 * backends read and write them in place, with no copy; heap buffers (arrays) are copied across JNI.
 * Buffers are used from their position, which is not changed; their remaining capacity must hold
 * the tensor.
 *
 * <h2>Checks and errors</h2>
 * Every method validates all its arguments before any work and throws
 * {@link IllegalArgumentException} (wrong sizes, lengths), {@link NullPointerException} (a required
 * argument is null) or {@link IllegalStateException} (closed, backward without a training forward,
 * used by two threads at once) with a message naming the argument and the numbers. Nothing is
 * written when it throws and the object stays usable. Non-finite values propagate (as in PyTorch)
 * unless {@link #setFiniteCheck(boolean)} asks for a check.
 *
 * <h2>Threads</h2>
 * An {@code Rnn} is used by one thread at a time; a second thread entering while it is busy gets an
 * {@link IllegalStateException} (it fails fast instead of corrupting state). Separate instances run
 * concurrently.
 */
public final class Rnn implements AutoCloseable {
    /**
     * Frees the native memory of an {@code Rnn} that became unreachable without {@link #close()}.
     * The JVM would run the garbage collector only when its heap or direct-memory limit is reached
     * (an {@code Rnn} is a small object that holds large native memory), so creation itself applies
     * the pressure: when the parameters and gradients of open networks pass a threshold (1 GiB, then
     * twice what is open, falling back as networks are freed), it asks for a collection. A forgotten close() then costs a bounded
     * amount of memory instead of exhausting the machine.
     */
    private static final Cleaner CLEANER = Cleaner.create();
    /** Bytes of parameters and gradients of networks neither closed nor cleaned. */
    private static final AtomicLong OPEN_BYTES = new AtomicLong();
    private static final long FIRST_GC_THRESHOLD = 1L << 30;
    private static final AtomicLong gcThreshold = new AtomicLong(FIRST_GC_THRESHOLD);

    private final RnnSpec spec;
    private final Backend backend;
    private final RnnKernel kernel;
    private final Cleaner.Cleanable cleanable;
    /** The thread inside a method of this Rnn, or null; re-entrant for that thread (see {@link #enter()}). */
    private final AtomicReference<Thread> owner = new AtomicReference<>();
    private int depth;
    private volatile boolean closed;
    private boolean finiteCheck;
    /** The dropout seed of the next training forward that is given none: 0, 1, 2, ... */
    private long automaticSeed;
    private volatile Precision precision = Precision.FP32;
    /** Whether a live parameter view was handed out: its writes are invisible to this class. */
    private volatile boolean parametersShared;
    private volatile Shapes lastShapes;
    /** The batch of the last training forward, whose activations the kernel holds; null if none. */
    private volatile Batch trainingBatch;
    /** Why {@link #trainingBatch} is null, for the message of a backward that cannot run. */
    private volatile String noTrainingForward = "no forward was made";

    private Rnn(RnnSpec spec, Backend backend) {
        this.spec = spec;
        this.backend = backend;
        long bytes = 2L * Float.BYTES * spec.parameterCount();
        collectForgottenIfNeeded(bytes);
        this.kernel = backend.newKernel(spec);
        this.cleanable = CLEANER.register(this, new Release(kernel, bytes));
        initialize(0);
    }

    /**
     * A new network on {@link Backend#best()}, with parameters initialised by {@link #initialize(long)}
     * with seed 0 and gradients zero.
     *
     * @throws NullPointerException if {@code spec} is null
     */
    public static Rnn create(RnnSpec spec) {
        return create(spec, Backend.best());
    }

    /**
     * A new network on the given backend, with parameters initialised by {@link #initialize(long)}
     * with seed 0 and gradients zero.
     *
     * @throws NullPointerException if an argument is null
     * @throws IllegalStateException if the backend is not available (the message says why)
     */
    public static Rnn create(RnnSpec spec, Backend backend) {
        Objects.requireNonNull(spec, "spec must not be null");
        Objects.requireNonNull(backend, "backend must not be null");
        return new Rnn(spec, backend);
    }

    /** The spec this network was made from. */
    public RnnSpec spec() {
        return spec;
    }

    /** The backend it computes on. */
    public Backend backend() {
        return backend;
    }

    // ---- Parameters --------------------------------------------------------------------------

    /**
     * Sets every parameter to PyTorch's default, uniform in {@code (-1/sqrt(H), 1/sqrt(H))}, from a
     * seeded generator: the same seed gives the same parameters on every backend.
     */
    public void initialize(long seed) {
        enter();
        try {
            float bound = (float) (1.0 / Math.sqrt(spec.hiddenSize()));
            SplittableRandom random = new SplittableRandom(seed);
            FloatBuffer p = kernel.parameters();
            for (int i = 0; i < spec.parameterCount(); i++) {
                p.put(i, (float) ((random.nextDouble() * 2 - 1) * bound));
            }
            parametersWritten();
        } finally {
            exit();
        }
    }

    /**
     * A copy of the named parameter, row-major.
     *
     * @param name a PyTorch name such as {@code weight_ih_l0} or {@code bias_hh_l1_reverse}
     * @throws IllegalArgumentException if there is no such parameter (the message lists them)
     */
    public float[] parameter(String name) {
        return read(kernel.parameters(), entry(name));
    }

    /**
     * Overwrites the named parameter with {@code values} (row-major, PyTorch's shape).
     *
     * @throws IllegalArgumentException if there is no such parameter or the length is wrong
     */
    public void setParameter(String name, float[] values) {
        ParameterLayout.Entry e = entry(name);
        Objects.requireNonNull(values, "values must not be null");
        if (values.length != e.size()) {
            throw new IllegalArgumentException("values for " + e.name() + " must have " + e.rows() + "*" + e.cols()
                    + " = " + e.size() + " floats, got " + values.length);
        }
        enter();
        try {
            kernel.parameters().put(e.offset(), values);
            parametersWritten();
        } finally {
            exit();
        }
    }

    /** A copy of the accumulated gradient of the named parameter. */
    public float[] gradient(String name) {
        ParameterLayout.Entry e = entry(name);
        HostMirrors.reading(kernel.gradients());
        return read(kernel.gradients(), e);
    }

    /** A copy of the whole flat parameter buffer, in PyTorch's order ({@link RnnSpec#parameterLayout()}). */
    public float[] parameters() {
        return copy(kernel.parameters());
    }

    /**
     * Overwrites the whole flat parameter buffer.
     *
     * @throws IllegalArgumentException if {@code values.length != spec().parameterCount()}
     */
    public void setParameters(float[] values) {
        Objects.requireNonNull(values, "values must not be null");
        if (values.length != spec.parameterCount()) {
            throw new IllegalArgumentException("values must have parameterCount = " + spec.parameterCount()
                    + " floats, got " + values.length);
        }
        enter();
        try {
            kernel.parameters().put(0, values);
            parametersWritten();
        } finally {
            exit();
        }
    }

    /** A copy of the whole flat gradient buffer (same layout as {@link #parameters()}). */
    public float[] gradients() {
        HostMirrors.reading(kernel.gradients());
        return copy(kernel.gradients());
    }

    /**
     * The live parameter buffer, without a copy (a new view; position 0, limit
     * {@code parameterCount}). Writes change the model (while such a view exists, every forward in
     * a reduced {@link Precision} remakes the reduced weights from it, about one pass over the fp32
     * weights per call, and CPU inference in FP32 packs the recurrent weights inside every call
     * instead of once for as long as they stay the same; a network that is only used for
     * inference is better filled through {@link #setParameters}). Direct for native backends. After
     * {@link #close()} it still reads the last values safely (its memory is then released by the
     * garbage collector, not by {@code close()}).
     *
     * <p>On the CUDA backend the parameters are uploaded to the GPU only when they changed: through
     * this class's setters, this method (the caller may write), the optimizers and gradient
     * clipping of {@code dev.rnn4j.train}. After writing through a view you keep, call
     * {@link #parametersChanged()}.
     */
    public FloatBuffer parameterBuffer() {
        ensureOpen();
        kernel.shareBuffers();
        parametersWritten(); // the caller may write
        parametersShared = true;
        return kernel.parameters().duplicate();
    }

    /**
     * The live gradient buffer, without a copy; see {@link #parameterBuffer()}. On the CUDA backend
     * the gradients stay on the GPU until they are read: this method brings them to the host (as
     * do {@link #gradients()}, {@link #gradient(String)}, the optimizers and gradient clipping), so
     * read a view you keep after calling it again.
     */
    public FloatBuffer gradientBuffer() {
        ensureOpen();
        kernel.shareBuffers();
        FloatBuffer g = kernel.gradients();
        HostMirrors.reading(g);
        HostMirrors.written(g); // the caller may write
        return g.duplicate();
    }

    /**
     * Says that the parameters were written through a view of {@link #parameterBuffer()} kept from
     * earlier, so that the next call uses them (the CUDA backend uploads them only when they changed;
     * other backends compute on the buffer itself).
     */
    public void parametersChanged() {
        ensureOpen();
        parametersWritten();
    }

    /** The parameters were written: the device copy (CUDA) and the reduced weights (BF16, INT8) are stale. */
    private void parametersWritten() {
        HostMirrors.written(kernel.parameters());
        kernel.parametersChanged();
    }

    /** Sets every accumulated gradient to zero. */
    public void zeroGradients() {
        enter();
        try {
            FloatBuffer g = kernel.gradients();
            for (int i = 0; i < spec.parameterCount(); i++) g.put(i, 0f);
            HostMirrors.zeroed(g);
        } finally {
            exit();
        }
    }

    /**
     * When on, every forward checks {@code x}, {@code h0}, {@code c0} and the parameters, and every
     * backward checks {@code dy}, {@code dhN}, {@code dcN}, for NaN and infinity, and throws an
     * {@link IllegalArgumentException} naming the tensor and the index before computing. Off by
     * default: non-finite values then propagate, as in PyTorch.
     */
    public void setFiniteCheck(boolean on) {
        ensureOpen();
        this.finiteCheck = on;
    }

    // ---- Precision ---------------------------------------------------------------------------

    /**
     * Sets the arithmetic of the following {@link Mode#INFERENCE} forwards (streams included):
     * {@link Precision#FP32} (the default), {@link Precision#BF16} or {@link Precision#INT8}. The
     * fp32 parameters stay the master copy and are never changed by it; the reduced weights are
     * made from them at the next forward, and remade whenever they change. Training forwards and
     * backward need FP32.
     *
     * @throws NullPointerException if {@code precision} is null
     * @throws IllegalArgumentException if this backend does not run {@code precision} (CUDA runs
     *     FP32 only), or INT8 rows are too long for exact int32 sums
     */
    public void setPrecision(Precision precision) {
        Objects.requireNonNull(precision, "precision must not be null");
        enter();
        try {
            if (!kernel.supports(precision)) {
                throw new IllegalArgumentException("backend " + backend + " runs Precision.FP32 only, not Precision."
                        + precision + " (reduced-precision inference runs on the CPU and JAVA backends)");
            }
            precision.check(spec);
            kernel.setPrecision(precision);
            this.precision = precision;
        } finally {
            exit();
        }
    }

    /** The precision of inference forwards; {@link Precision#FP32} unless {@link #setPrecision} changed it. */
    public Precision precision() {
        return precision;
    }

    // ---- Forward -----------------------------------------------------------------------------

    /**
     * Inference over a batch of whole sequences from zero initial states.
     *
     * @param x input {@code [T, N, I]} ({@code [N, T, I]} if batch-first); not modified
     */
    public ForwardResult forward(float[] x, Batch batch) {
        return forward(Mode.INFERENCE, batch, x, null, null);
    }

    /**
     * Forward pass; returns new arrays.
     *
     * @param mode {@link Mode#TRAINING} to allow a following {@link #backward}
     * @param batch steps, batch size and optional lengths
     * @param x input {@code [T, N, I]} ({@code [N, T, I]} if batch-first); not modified
     * @param h0 initial hidden state {@code [L*D, N, Ho]}, or null for zeros; not modified
     * @param c0 initial cell state {@code [L*D, N, H]} (LSTM), or null for zeros; not modified
     */
    public ForwardResult forward(Mode mode, Batch batch, float[] x, float[] h0, float[] c0) {
        return forwardArrays(mode, batch, x, h0, c0, false, 0L);
    }

    /**
     * Forward pass with the seed of the dropout masks given; returns new arrays. With
     * {@link RnnSpec#dropout()} above 0, more than one layer and {@link Mode#TRAINING}, the outputs of
     * every layer but the last are dropped by the masks of {@link Philox#dropoutKeep} under
     * {@code dropoutSeed}: the same seed gives bitwise the same masks on every backend and thread
     * count, and the following {@link #backward} applies them again. Otherwise the seed is unused.
     * The overloads without a seed use 0, 1, 2, ... in the order of this network's training forwards
     * that were given none.
     *
     * @see #forward(Mode, Batch, float[], float[], float[])
     */
    public ForwardResult forward(Mode mode, Batch batch, float[] x, float[] h0, float[] c0, long dropoutSeed) {
        return forwardArrays(mode, batch, x, h0, c0, true, dropoutSeed);
    }

    private ForwardResult forwardArrays(Mode mode, Batch batch, float[] x, float[] h0, float[] c0, boolean seeded,
            long dropoutSeed) {
        Objects.requireNonNull(batch, "batch must not be null");
        enter();
        try {
            Shapes s = shapes(batch);
            checkArray("x", x, s, Tensor.X, true);
            checkArray("h0", h0, s, Tensor.H, false);
            checkArray("c0", c0, s, Tensor.C, false);
            float[] y = new float[s.y];
            float[] hN = new float[s.h];
            float[] cN = spec.cell().hasCellState() ? new float[s.c] : null;
            forwardBuffers(mode, batch, wrap(x), wrap(h0), wrap(c0), FloatBuffer.wrap(y), FloatBuffer.wrap(hN),
                    wrap(cN), seeded, dropoutSeed);
            return new ForwardResult(y, hN, cN);
        } finally {
            exit();
        }
    }

    /**
     * Forward pass into caller-owned buffers; allocates nothing. Direct buffers are used in place by
     * the native backends. {@code hN} may be exactly {@code h0} (the same floats, through any view), and
     * {@code cN} exactly {@code c0} (the state is read before it is overwritten); no other output may
     * share memory with an input or another output. Only each tensor's floats are written, however
     * much room a buffer has.
     *
     * @param x input {@code [T, N, I]} ({@code [N, T, I]} if batch-first), required
     * @param h0 {@code [L*D, N, Ho]} or null (zeros)
     * @param c0 {@code [L*D, N, H]} or null (zeros); LSTM only, must be null otherwise
     * @param y output {@code [T, N, D*Ho]} ({@code [N, T, D*Ho]} if batch-first), required
     * @param hN final hidden state {@code [L*D, N, Ho]}, or null if not wanted
     * @param cN final cell state {@code [L*D, N, H]}, or null; LSTM only
     */
    public void forward(Mode mode, Batch batch, FloatBuffer x, FloatBuffer h0, FloatBuffer c0, FloatBuffer y,
            FloatBuffer hN, FloatBuffer cN) {
        forwardBuffers(mode, batch, x, h0, c0, y, hN, cN, false, 0L);
    }

    /**
     * Forward pass into caller-owned buffers with the seed of the dropout masks given; see
     * {@link #forward(Mode, Batch, float[], float[], float[], long)} for the seed and
     * {@link #forward(Mode, Batch, FloatBuffer, FloatBuffer, FloatBuffer, FloatBuffer, FloatBuffer, FloatBuffer)}
     * for the buffers.
     */
    public void forward(Mode mode, Batch batch, FloatBuffer x, FloatBuffer h0, FloatBuffer c0, FloatBuffer y,
            FloatBuffer hN, FloatBuffer cN, long dropoutSeed) {
        forwardBuffers(mode, batch, x, h0, c0, y, hN, cN, true, dropoutSeed);
    }

    private void forwardBuffers(Mode mode, Batch batch, FloatBuffer x, FloatBuffer h0, FloatBuffer c0, FloatBuffer y,
            FloatBuffer hN, FloatBuffer cN, boolean seeded, long dropoutSeed) {
        Objects.requireNonNull(mode, "mode must not be null");
        Objects.requireNonNull(batch, "batch must not be null");
        enter(); // first, so that no other thread can change the state the checks rely on
        try {
            if (mode == Mode.TRAINING && precision != Precision.FP32) {
                throw new IllegalStateException("a Mode.TRAINING forward needs Precision.FP32, but this Rnn infers in"
                        + " Precision." + precision + " (setPrecision(Precision.FP32) to train)");
            }
            Shapes s = shapes(batch);
            checkBuffer("x", x, s, Tensor.X, true);
            checkBuffer("h0", h0, s, Tensor.H, false);
            checkCellState("c0", c0);
            checkBuffer("c0", c0, s, Tensor.C, false);
            checkOutput("y", y, s, Tensor.Y, true);
            checkOutput("hN", hN, s, Tensor.H, false);
            checkCellState("cN", cN);
            checkOutput("cN", cN, s, Tensor.C, false);
            // One aliasing rule for every backend, judged on memory: an output overlaps no input and
            // no other output, except that hN may be exactly h0 and cN exactly c0 (state in place).
            disjoint("y", y, s.y, "x", x, s.x);
            disjoint("y", y, s.y, "h0", h0, s.h);
            disjoint("y", y, s.y, "c0", c0, s.c);
            disjoint("hN", hN, s.h, "x", x, s.x);
            if (!Aliasing.sameStart(hN, h0)) disjoint("hN", hN, s.h, "h0", h0, s.h);
            disjoint("hN", hN, s.h, "c0", c0, s.c);
            disjoint("cN", cN, s.c, "x", x, s.x);
            disjoint("cN", cN, s.c, "h0", h0, s.h);
            if (!Aliasing.sameStart(cN, c0)) disjoint("cN", cN, s.c, "c0", c0, s.c);
            disjoint("y", y, s.y, "hN", hN, s.h);
            disjoint("y", y, s.y, "cN", cN, s.c);
            disjoint("hN", hN, s.h, "cN", cN, s.c);
            if (finiteCheck) {
                requireFinite("x", x, s.x);
                requireFinite("h0", h0, s.h);
                requireFinite("c0", c0, s.c);
                requireFinite("parameters", kernel.parameters(), spec.parameterCount());
            }
            trainingBatch = null; // the kernel's recorded activations are about to be replaced
            noTrainingForward = "the last forward failed (it threw), so nothing was recorded";
            if (parametersShared) kernel.parametersChanged(); // a live view may have written them
            boolean training = mode == Mode.TRAINING;
            long seed = seeded ? dropoutSeed : training ? automaticSeed++ : 0L;
            kernel.forward(batch.steps(), batch.size(), batch.lengthsUnsafe(), training, x, h0, c0, y, hN, cN, seed);
            if (mode == Mode.TRAINING) trainingBatch = batch;
            else noTrainingForward = "the last forward was in Mode.INFERENCE, which replaced any recorded one";
        } finally {
            exit();
        }
    }

    // ---- Backward ----------------------------------------------------------------------------

    /**
     * Backpropagation through time for the last {@link Mode#TRAINING} forward: returns {@code dx},
     * {@code dh0}, {@code dc0} and accumulates (+=) the gradient of every parameter. The gradients
     * are those of {@code sum(y*dy) + sum(hN*dhN) + sum(cN*dcN)}. May be called again (the parameter
     * gradients then add up again).
     *
     * @param dy {@code [T, N, D*Ho]} (batch-first {@code [N, T, D*Ho]}) or null for zeros; padded steps ignored
     * @param dhN {@code [L*D, N, Ho]} or null for zeros
     * @param dcN {@code [L*D, N, H]} or null for zeros; LSTM only
     * @throws IllegalStateException if the last forward was not a training forward
     */
    public BackwardResult backward(float[] dy, float[] dhN, float[] dcN) {
        enter();
        try {
            Shapes s = shapes(requireTrainingBatch());
            checkArray("dy", dy, s, Tensor.Y, false);
            checkArray("dhN", dhN, s, Tensor.H, false);
            checkArray("dcN", dcN, s, Tensor.C, false);
            float[] dx = new float[s.x];
            float[] dh0 = new float[s.h];
            float[] dc0 = spec.cell().hasCellState() ? new float[s.c] : null;
            backward(wrap(dy), wrap(dhN), wrap(dcN), FloatBuffer.wrap(dx), FloatBuffer.wrap(dh0), wrap(dc0));
            return new BackwardResult(dx, dh0, dc0);
        } finally {
            exit();
        }
    }

    /**
     * Backward into caller-owned buffers; allocates nothing. See {@link #backward(float[], float[], float[])}.
     *
     * @param dx {@code [T, N, I]} (batch-first {@code [N, T, I]}) or null if not wanted; overwritten
     * @param dh0 {@code [L*D, N, Ho]} or null; overwritten
     * @param dc0 {@code [L*D, N, H]} or null; overwritten; LSTM only
     */
    public void backward(FloatBuffer dy, FloatBuffer dhN, FloatBuffer dcN, FloatBuffer dx, FloatBuffer dh0,
            FloatBuffer dc0) {
        enter(); // first, so that no other thread can replace the recorded forward during the checks
        try {
            Batch recorded = trainingBatch;
            if (recorded == null) throw noTrainingForward(noTrainingForward);
            Shapes s = shapes(recorded);
            checkBuffer("dy", dy, s, Tensor.Y, false);
            checkBuffer("dhN", dhN, s, Tensor.H, false);
            checkCellState("dcN", dcN);
            checkBuffer("dcN", dcN, s, Tensor.C, false);
            checkOutput("dx", dx, s, Tensor.X, false);
            checkOutput("dh0", dh0, s, Tensor.H, false);
            checkCellState("dc0", dc0);
            checkOutput("dc0", dc0, s, Tensor.C, false);
            disjoint("dx", dx, s.x, "dy", dy, s.y);
            disjoint("dx", dx, s.x, "dhN", dhN, s.h);
            disjoint("dx", dx, s.x, "dcN", dcN, s.c);
            disjoint("dh0", dh0, s.h, "dy", dy, s.y);
            disjoint("dh0", dh0, s.h, "dhN", dhN, s.h);
            disjoint("dh0", dh0, s.h, "dcN", dcN, s.c);
            disjoint("dc0", dc0, s.c, "dy", dy, s.y);
            disjoint("dc0", dc0, s.c, "dhN", dhN, s.h);
            disjoint("dc0", dc0, s.c, "dcN", dcN, s.c);
            disjoint("dx", dx, s.x, "dh0", dh0, s.h);
            disjoint("dx", dx, s.x, "dc0", dc0, s.c);
            disjoint("dh0", dh0, s.h, "dc0", dc0, s.c);
            if (finiteCheck) {
                requireFinite("dy", dy, s.y);
                requireFinite("dhN", dhN, s.h);
                requireFinite("dcN", dcN, s.c);
            }
            kernel.backward(dy, dhN, dcN, dx, dh0, dc0);
        } finally {
            exit();
        }
    }

    // ---- Streaming ---------------------------------------------------------------------------

    /**
     * A stream of {@code batchSize} sequences for online inference: each {@link RnnStream#step}
     * call processes the next steps and carries the state, giving (to a few ulps) the outputs of one forward
     * over the whole sequences. Unidirectional specs only.
     *
     * @throws IllegalStateException if the spec is bidirectional (the reverse direction needs the whole sequence)
     */
    public RnnStream stream(int batchSize) {
        ensureOpen();
        if (spec.bidirectional()) {
            throw new IllegalStateException("streaming needs a unidirectional spec: the reverse direction of "
                    + spec + " needs the whole sequence");
        }
        Checks.positive("batchSize", batchSize);
        return new RnnStream(this, batchSize);
    }

    // ---- Lifecycle ---------------------------------------------------------------------------

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Frees the native memory (parameters, gradients, workspaces) now. Idempotent. An {@code Rnn}
     * dropped without it is freed once the garbage collector finds it unreachable, which the JVM's
     * direct-memory limit ({@code -XX:MaxDirectMemorySize}, by default the heap's maximum) forces.
     */
    @Override
    public void close() {
        if (closed) return;
        Thread self = Thread.currentThread();
        if (owner.get() != self && !owner.compareAndSet(null, self)) {
            throw new IllegalStateException("close() called while another thread is using this Rnn");
        }
        depth++;
        try {
            if (!closed) {
                closed = true;
                cleanable.clean(); // kernel.close(), once
            }
        } finally {
            exit();
        }
    }

    @Override
    public String toString() {
        return "Rnn(" + spec + " on " + backend + (closed ? ", closed" : "") + ")";
    }

    // ---- Internals ---------------------------------------------------------------------------

    /** What the cleaner runs: it must not refer to the Rnn, or the Rnn could never become unreachable. */
    private static final class Release implements Runnable {
        private final RnnKernel kernel;
        private final long bytes;

        Release(RnnKernel kernel, long bytes) {
            this.kernel = kernel;
            this.bytes = bytes;
        }

        @Override
        public void run() {
            kernel.close();
            long open = OPEN_BYTES.addAndGet(-bytes);
            long threshold = gcThreshold.get();
            if (open < threshold / 4) gcThreshold.compareAndSet(threshold, Math.max(FIRST_GC_THRESHOLD, 2 * open));
        }
    }

    private static void collectForgottenIfNeeded(long bytes) {
        long open = OPEN_BYTES.addAndGet(bytes);
        long threshold = gcThreshold.get();
        if (open > threshold && gcThreshold.compareAndSet(threshold, Math.max(FIRST_GC_THRESHOLD, 2 * open))) {
            System.gc(); // the cleaner then frees the networks nobody can reach
        }
    }

    private void ensureOpen() {
        if (closed) throw new IllegalStateException("this Rnn is closed: " + spec);
    }

    /**
     * Takes this Rnn for the calling thread (re-entrant: the float[] methods call the buffer ones),
     * or fails fast if another thread holds it. Everything that reads or changes state runs between
     * enter() and exit(), so a second thread can never see a half-made change.
     */
    void enter() {
        ensureOpen();
        Thread self = Thread.currentThread();
        if (owner.get() != self && !owner.compareAndSet(null, self)) {
            throw new IllegalStateException("this Rnn is being used by another thread; an Rnn is for one thread"
                    + " at a time (create one per thread)");
        }
        depth++;
        if (closed) {
            exit();
            throw new IllegalStateException("this Rnn is closed: " + spec);
        }
    }

    void exit() {
        if (--depth == 0) owner.set(null);
    }

    private Batch requireTrainingBatch() {
        ensureOpen();
        Batch recorded = trainingBatch;
        if (recorded == null) throw noTrainingForward(noTrainingForward);
        return recorded;
    }

    private static IllegalStateException noTrainingForward(String why) {
        return new IllegalStateException("backward needs a successful forward in Mode.TRAINING first: " + why);
    }

    private ParameterLayout.Entry entry(String name) {
        Objects.requireNonNull(name, "name must not be null");
        ensureOpen();
        return spec.parameterLayout().entry(name);
    }

    private float[] read(FloatBuffer buffer, ParameterLayout.Entry e) {
        enter();
        try {
            float[] out = new float[e.size()];
            buffer.get(e.offset(), out);
            return out;
        } finally {
            exit();
        }
    }

    private float[] copy(FloatBuffer buffer) {
        enter();
        try {
            float[] out = new float[spec.parameterCount()];
            buffer.get(0, out);
            return out;
        } finally {
            exit();
        }
    }

    private void checkCellState(String name, FloatBuffer b) {
        if (b != null && !spec.cell().hasCellState()) {
            throw new IllegalArgumentException(name + " must be null: " + spec.cell() + " has no cell state");
        }
    }

    private static FloatBuffer wrap(float[] a) {
        return a == null ? null : FloatBuffer.wrap(a);
    }

    /** Arrays must match their shape exactly: a wrong length is a bug, not spare room. */
    private void checkArray(String name, float[] a, Shapes s, Tensor t, boolean required) {
        if (a == null) {
            if (required) throw new NullPointerException(name + " must not be null");
            return;
        }
        if (t == Tensor.C && !spec.cell().hasCellState()) {
            throw new IllegalArgumentException(name + " must be null: " + spec.cell() + " has no cell state");
        }
        if (a.length != s.count(t)) {
            throw new IllegalArgumentException(name + " must have " + s.shape(t) + " = " + s.count(t) + " floats, got "
                    + a.length);
        }
    }

    /** Checks a buffer argument; builds no string unless it fails (this runs on every call). */
    private static void checkBuffer(String name, FloatBuffer b, Shapes s, Tensor t, boolean required) {
        if (b == null) {
            if (required) throw new NullPointerException(name + " must not be null");
            return;
        }
        if (b.isDirect() && b.order() != ByteOrder.nativeOrder()) {
            throw new IllegalArgumentException(name + " is a direct buffer in " + b.order() + " byte order; native"
                    + " code needs " + ByteOrder.nativeOrder() + " (ByteBuffer.order(ByteOrder.nativeOrder()))");
        }
        if (b.remaining() < s.count(t)) {
            throw new IllegalArgumentException(name + " must hold " + s.shape(t) + " = " + s.count(t)
                    + " floats, but has " + b.remaining() + " remaining");
        }
    }

    /** An output: checked like an input, and writable. */
    private static void checkOutput(String name, FloatBuffer b, Shapes s, Tensor t, boolean required) {
        checkBuffer(name, b, s, t, required);
        if (b != null && b.isReadOnly()) throw new IllegalArgumentException(name + " is read-only, but it is an output");
    }

    /** Rejects an output whose tensor shares memory with another tensor of the call (nulls ignored). */
    private static void disjoint(String output, FloatBuffer out, int outFloats, String other, FloatBuffer b, int bFloats) {
        if (!Aliasing.overlap(out, outFloats, b, bFloats)) return;
        throw new IllegalArgumentException(output + " (" + outFloats + " floats) and " + other + " (" + bFloats
                + " floats) share memory: an output must not overlap an input or another output, whatever views"
                + " they come through (only hN may be exactly h0, and cN exactly c0)");
    }

    private static void requireFinite(String name, FloatBuffer b, int floats) {
        if (b == null) return;
        int p = b.position();
        for (int i = 0; i < floats; i++) {
            float v = b.get(p + i);
            if (!Float.isFinite(v)) {
                throw new IllegalArgumentException(name + "[" + i + "] is " + v + " (finite check is on)");
            }
        }
    }

    /** The tensors of a call, by shape. */
    enum Tensor { X, Y, H, C }

    /** The shapes of the last batch seen: repeated calls with the same {@link Batch} allocate nothing. */
    private Shapes shapes(Batch batch) {
        Shapes s = lastShapes;
        if (s == null || s.batch != batch) {
            s = new Shapes(spec, batch);
            lastShapes = s;
        }
        return s;
    }

    /** Element counts of every tensor of one call, overflow-checked; shape strings for messages. */
    static final class Shapes {
        final RnnSpec spec;
        final Batch batch;
        final int x, y, h, c;

        Shapes(RnnSpec spec, Batch batch) {
            this.spec = spec;
            this.batch = batch;
            int t = batch.steps(), n = batch.size();
            x = Checks.product("x", t, n, spec.inputSize());
            y = Checks.product("y", t, n, spec.outputFeatures());
            h = Checks.product("h", spec.stateRows(), n, spec.outputSize());
            c = spec.cell().hasCellState() ? Checks.product("c", spec.stateRows(), n, spec.hiddenSize()) : 0;
        }

        int count(Tensor t) {
            switch (t) {
                case X: return x;
                case Y: return y;
                case H: return h;
                default: return c;
            }
        }

        String shape(Tensor t) {
            switch (t) {
                case X: return seq(spec.inputSize());
                case Y: return seq(spec.outputFeatures());
                case H: return Checks.shape(spec.stateRows(), batch.size(), spec.outputSize());
                default: return Checks.shape(spec.stateRows(), batch.size(), spec.hiddenSize());
            }
        }

        private String seq(int features) {
            return spec.batchFirst() ? "[N, T, " + features + "] " + Checks.shape(batch.size(), batch.steps(), features)
                    : "[T, N, " + features + "] " + Checks.shape(batch.steps(), batch.size(), features);
        }
    }
}
