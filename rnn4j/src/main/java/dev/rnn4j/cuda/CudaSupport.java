package dev.rnn4j.cuda;

import dev.rnn4j.internal.NativeInts;
import dev.rnn4j.internal.NativeStatus;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.IntPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.LongPointer;

/**
 * Whether a GPU is usable, and why not. Probes once, on first use: loads {@link Rnn4jCuda} (any
 * {@link Throwable} is caught: a missing library for this platform, a build without nvcc, ...),
 * then asks the CUDA runtime for devices. The reason distinguishes "not built for this platform",
 * "no NVIDIA driver", "no device" and "driver too old for the runtime".
 *
 * <p>System properties: {@code -Drnn4j.native=false} disables every native backend,
 * {@code -Drnn4j.cuda=false} disables only CUDA.
 */
public final class CudaSupport {
    private static final String UNAVAILABLE = probe();

    private CudaSupport() {}

    /** Why no GPU is usable through rnn4j, or null if one is. */
    public static String unavailableReason() {
        return UNAVAILABLE;
    }

    /** Whether a GPU is usable. */
    public static boolean isAvailable() {
        return UNAVAILABLE == null;
    }

    /** Library version, build, and device 0 (name, compute capability, memory). Needs a usable GPU. */
    public static String describe() {
        requireAvailable();
        try (BytePointer name = new BytePointer(256); IntPointer major = new IntPointer(1);
                IntPointer minor = new IntPointer(1); IntPointer sms = new IntPointer(1);
                LongPointer total = new LongPointer(1); IntPointer drv = new IntPointer(1);
                IntPointer rt = new IntPointer(1)) {
            check(Rnn4jCuda.rnn4j_cuda_device_info(0, name, 256, major, minor, total, null, sms),
                    "rnn4j_cuda_device_info");
            check(Rnn4jCuda.rnn4j_cuda_versions(drv, rt), "rnn4j_cuda_versions");
            return "librnn4j_cuda " + Rnn4jCuda.rnn4j_cuda_version() + " (" + Rnn4jCuda.rnn4j_cuda_build_info()
                    + "); device 0: " + cString(name) + ", compute capability " + major.get() + "." + minor.get()
                    + ", " + sms.get() + " SMs, " + (total.get() >> 20) + " MiB; driver " + version(drv.get())
                    + ", runtime " + version(rt.get());
        }
    }

    static void requireAvailable() {
        if (UNAVAILABLE != null) throw new IllegalStateException("backend CUDA is not available: " + UNAVAILABLE);
    }

    /** Throws the exception of {@link NativeStatus} with the native message unless status is OK. */
    static void check(int status, String function) {
        NativeStatus.check(status, function, Rnn4jCuda::rnn4j_cuda_last_error);
    }

    /** The NUL-terminated string in a fixed-size buffer (getString() would keep the trailing NULs). */
    private static String cString(BytePointer p) {
        String s = p.getString();
        int end = s.indexOf('\0');
        return end >= 0 ? s.substring(0, end) : s;
    }

    private static String version(int v) {
        return v == 0 ? "none" : (v / 1000) + "." + (v % 1000) / 10;
    }

    private static String probe() {
        if ("false".equalsIgnoreCase(System.getProperty("rnn4j.native"))) {
            return "native backends are disabled by -Drnn4j.native=false";
        }
        if ("false".equalsIgnoreCase(System.getProperty("rnn4j.cuda"))) {
            return "the CUDA backend is disabled by -Drnn4j.cuda=false";
        }
        try {
            Loader.load(Rnn4jCuda.class);
        } catch (Throwable t) {
            return NativeInts.loadFailure("the CUDA library (librnn4j_cuda) is not built for, or did not load on, "
                    + Loader.getPlatform() + " (a jar built without nvcc has none)", t);
        }
        try (IntPointer count = new IntPointer(1); IntPointer reason = new IntPointer(1);
                BytePointer message = new BytePointer(512)) {
            int status = Rnn4jCuda.rnn4j_cuda_device_count(count, reason, message, 512);
            if (status != Rnn4jCuda.RNN4J_OK) {
                return "no usable GPU: the CUDA probe failed: " + Rnn4jCuda.rnn4j_cuda_last_error();
            }
            if (reason.get() != Rnn4jCuda.RNN4J_CUDA_USABLE || count.get() < 1) {
                String m = cString(message);
                return m.isEmpty() ? "no usable GPU (probe result " + reason.get() + ")" : m;
            }
            return null;
        } catch (Throwable t) {
            return "no usable GPU: the CUDA probe threw " + t;
        }
    }
}
