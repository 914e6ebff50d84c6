package dev.rnn4j.cuda;

import java.lang.ref.Cleaner;
import java.nio.FloatBuffer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;

/**
 * A block of GPU memory (cudaMalloc) with host-device copies. {@link #close()} frees it
 * deterministically; a {@link Cleaner} frees it if it becomes unreachable unclosed (a safety net,
 * not the plan).
 *
 * <p>Copies: {@link #copyFrom(FloatBuffer)} and {@link #copyTo(FloatBuffer)} wait until the copy
 * is done (pageable host memory can be reused at once). A direct buffer is copied straight from
 * or to its memory; a heap buffer or a {@code float[]} goes through one extra copy into temporary
 * native memory. Use {@link #address()} to pass the memory to {@link CudaRnn} or to other CUDA code.
 */
public final class DeviceBuffer implements AutoCloseable {
    private static final Cleaner CLEANER = Cleaner.create();

    private final long bytes;
    private final State state;
    private final Cleaner.Cleanable cleanable;

    private static final class State implements Runnable {
        volatile long address;

        @Override
        public void run() {
            long a = address;
            address = 0;
            if (a != 0) Rnn4jCuda.rnn4j_cuda_free(a);
        }
    }

    private DeviceBuffer(long bytes) {
        CudaSupport.requireAvailable();
        if (bytes < 1) throw new IllegalArgumentException("bytes must be >= 1, got " + bytes);
        this.bytes = bytes;
        this.state = new State();
        try (LongPointer p = new LongPointer(1)) {
            CudaSupport.check(Rnn4jCuda.rnn4j_cuda_malloc(p, bytes), "rnn4j_cuda_malloc(" + bytes + ")");
            state.address = p.get();
        }
        this.cleanable = CLEANER.register(this, state);
    }

    /** Allocates {@code bytes >= 1} bytes of device memory (contents undefined). */
    public static DeviceBuffer allocate(long bytes) {
        return new DeviceBuffer(bytes);
    }

    /** Allocates room for {@code count >= 1} floats (contents undefined). */
    public static DeviceBuffer ofFloats(long count) {
        if (count < 1 || count > Long.MAX_VALUE / 4) throw new IllegalArgumentException("count must be >= 1, got " + count);
        return new DeviceBuffer(count * 4);
    }

    /** The device address, for {@link CudaRnn} or other CUDA code. */
    public long address() {
        long a = state.address;
        if (a == 0) throw new IllegalStateException("this DeviceBuffer is closed");
        return a;
    }

    /** Size in bytes. */
    public long bytes() {
        return bytes;
    }

    /** Copies {@code src.remaining()} floats from {@code src}'s position to the start of this buffer. Not modified: src. */
    public void copyFrom(FloatBuffer src) {
        copyFrom(src, 0L);
    }

    /** Copies {@code src.remaining()} floats from {@code src} to this buffer at float offset {@code at}. */
    public void copyFrom(FloatBuffer src, long at) {
        long n = src.remaining();
        check(at, n, "copyFrom");
        if (n == 0) return;
        if (src.isDirect()) {
            CudaSupport.check(Rnn4jCuda.rnn4j_cuda_memcpy_htod(address() + 4 * at, src, 4 * n, 0L),
                    "rnn4j_cuda_memcpy_htod");
        } else {
            try (FloatPointer tmp = new FloatPointer(n)) {
                FloatBuffer t = tmp.asBuffer();
                t.put(0, src, src.position(), (int) n);
                CudaSupport.check(Rnn4jCuda.rnn4j_cuda_memcpy_htod(address() + 4 * at, t, 4 * n, 0L),
                        "rnn4j_cuda_memcpy_htod");
            }
        }
    }

    /** Copies {@code length} floats of {@code src} from {@code offset} to the start of this buffer. */
    public void copyFrom(float[] src, int offset, int length) {
        copyFrom(FloatBuffer.wrap(src, offset, length), 0L);
    }

    /** Copies {@code dst.remaining()} floats from the start of this buffer into {@code dst} at its position. Modified: dst. */
    public void copyTo(FloatBuffer dst) {
        copyTo(dst, 0L);
    }

    /** Copies {@code dst.remaining()} floats from float offset {@code at} of this buffer into {@code dst}. */
    public void copyTo(FloatBuffer dst, long at) {
        long n = dst.remaining();
        check(at, n, "copyTo");
        if (n == 0) return;
        if (dst.isDirect()) {
            CudaSupport.check(Rnn4jCuda.rnn4j_cuda_memcpy_dtoh(dst, address() + 4 * at, 4 * n, 0L),
                    "rnn4j_cuda_memcpy_dtoh");
        } else {
            try (FloatPointer tmp = new FloatPointer(n)) {
                FloatBuffer t = tmp.asBuffer();
                CudaSupport.check(Rnn4jCuda.rnn4j_cuda_memcpy_dtoh(t, address() + 4 * at, 4 * n, 0L),
                        "rnn4j_cuda_memcpy_dtoh");
                dst.put(dst.position(), t, 0, (int) n);
            }
        }
    }

    /** Copies {@code length} floats from the start of this buffer into {@code dst} at {@code offset}. */
    public void copyTo(float[] dst, int offset, int length) {
        copyTo(FloatBuffer.wrap(dst, offset, length), 0L);
    }

    /** Sets every byte to zero (queued on the library's stream of this thread, then waited for). */
    public void zero() {
        CudaSupport.check(Rnn4jCuda.rnn4j_cuda_memset(address(), 0, bytes, 0L), "rnn4j_cuda_memset");
        CudaSupport.check(Rnn4jCuda.rnn4j_cuda_stream_sync(0L), "rnn4j_cuda_stream_sync");
    }

    private void check(long at, long floats, String what) {
        if (at < 0 || floats < 0 || 4 * (at + floats) > bytes) {
            throw new IllegalArgumentException(what + ": " + floats + " floats at float offset " + at
                    + " do not fit in a device buffer of " + bytes + " bytes");
        }
    }

    /** Frees the device memory; idempotent. */
    @Override
    public void close() {
        cleanable.clean();
    }
}
