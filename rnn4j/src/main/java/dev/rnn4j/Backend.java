package dev.rnn4j;

import dev.rnn4j.spi.BackendProvider;
import dev.rnn4j.spi.RnnKernel;
import java.lang.System.Logger.Level;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * Where an {@link Rnn} computes.
 *
 * <ul>
 *   <li>{@link #JAVA}: the pure-Java reference ({@code dev.rnn4j.reference}); always available,
 *       slow, computed in double precision. It is the oracle every native backend is tested against.
 *   <li>{@link #CPU}: fused C++ kernels over OpenBLAS, loaded through JavaCPP from the jar.
 *   <li>{@link #CUDA}: CUDA kernels on an NVIDIA GPU.
 * </ul>
 *
 * {@link #best()} picks CUDA if usable, else CPU, else JAVA, unless the system property
 * {@value #PROPERTY} names one ({@code java}, {@code cpu} or {@code cuda}).
 *
 * <p>Each constant is implemented by the {@link BackendProvider} of the same name that registers
 * itself in {@code META-INF/services/dev.rnn4j.spi.BackendProvider} (found once, through
 * {@link ServiceLoader}); this package names no implementation. A constant without a provider on
 * the class path is unavailable, with that as its reason.
 */
public enum Backend {
    /** Pure Java reference. */
    JAVA,
    /** Native CPU kernels (C++ over OpenBLAS). */
    CPU,
    /** Native CUDA kernels. */
    CUDA;

    /** The system property that forces {@link #best()}'s choice: {@code java}, {@code cpu} or {@code cuda}. */
    public static final String PROPERTY = "rnn4j.backend";

    private static final System.Logger LOG = System.getLogger("dev.rnn4j");
    private static volatile Backend chosen;

    /** Whether this backend can be used in this process. Probes (and loads natives) once. */
    public boolean isAvailable() {
        return unavailableReason() == null;
    }

    /**
     * Why this backend cannot be used (for example the native library failed to load, with the
     * cause), or null if it can.
     */
    public String unavailableReason() {
        return Providers.reason(this);
    }

    /**
     * One line describing this backend: what it runs on, or why it is not available.
     */
    public String describe() {
        String reason = unavailableReason();
        if (reason != null) return name() + ": not available: " + reason;
        return name() + ": available: " + provider().describe();
    }

    /**
     * Sets the number of threads this backend's kernels use, process-wide (for CPU: rnn4j's own
     * pool, which also runs the OpenBLAS calls; OpenBLAS's own setting is left alone). Results are bitwise reproducible for a fixed thread count. JAVA is
     * single-threaded and ignores it; CUDA computes on the GPU and ignores it too (its host side is
     * the calling thread).
     *
     * @throws IllegalArgumentException if {@code threads} is not in 1..1024
     * @throws IllegalStateException if this backend is not available
     */
    public void setThreads(int threads) {
        if (threads < 1 || threads > 1024) throw new IllegalArgumentException("threads must be in 1..1024, got " + threads);
        requireAvailable();
        provider().setThreads(threads);
    }

    /** The number of threads this backend's kernels use (1 for JAVA). */
    public int threads() {
        requireAvailable();
        return provider().threads();
    }

    /**
     * The fastest available backend: CUDA if a GPU is usable, else CPU, else JAVA, or the one named
     * by the system property {@value #PROPERTY}. Logs one line (at INFO) saying which and why, the
     * first time.
     *
     * @throws IllegalStateException if the property names an unknown or unavailable backend
     */
    public static Backend best() {
        Backend b = chosen;
        if (b != null) return b;
        synchronized (Backend.class) {
            if (chosen != null) return chosen;
            String forced = System.getProperty(PROPERTY);
            String why;
            if (forced != null && !forced.isBlank()) {
                try {
                    b = Backend.valueOf(forced.trim().toUpperCase(Locale.ROOT));
                } catch (IllegalArgumentException e) {
                    throw new IllegalStateException("system property " + PROPERTY + "='" + forced
                            + "' is not a backend; use java, cpu or cuda");
                }
                b.requireAvailable();
                why = "forced by -D" + PROPERTY + "=" + forced;
            } else if (CUDA.isAvailable()) {
                b = CUDA;
                why = "a GPU is usable";
            } else if (CPU.isAvailable()) {
                b = CPU;
                why = "CUDA: " + CUDA.unavailableReason();
            } else {
                b = JAVA;
                why = "CPU: " + CPU.unavailableReason() + "; CUDA: " + CUDA.unavailableReason();
            }
            LOG.log(Level.INFO, "rnn4j backend " + b + " (" + why + ")");
            chosen = b;
            return b;
        }
    }

    void requireAvailable() {
        String reason = unavailableReason();
        if (reason != null) throw new IllegalStateException("backend " + this + " is not available: " + reason);
    }

    RnnKernel newKernel(RnnSpec spec) {
        requireAvailable();
        return provider().newKernel(spec);
    }

    private BackendProvider provider() {
        return Providers.BY_NAME.get(name());
    }

    /**
     * The registered providers, found once; each one's availability is probed (natives loaded) on
     * first use of that backend and remembered.
     */
    private static final class Providers {
        static final Map<String, BackendProvider> BY_NAME = load();
        private static final Map<Backend, String> REASONS = new HashMap<>();

        private static Map<String, BackendProvider> load() {
            Map<String, BackendProvider> m = new HashMap<>();
            for (BackendProvider p : ServiceLoader.load(BackendProvider.class, Backend.class.getClassLoader())) {
                m.putIfAbsent(p.name(), p);
            }
            return m;
        }

        static synchronized String reason(Backend b) {
            if (REASONS.containsKey(b)) return REASONS.get(b);
            BackendProvider p = BY_NAME.get(b.name());
            String r = p == null
                    ? "no provider for " + b.name() + " on the class path (META-INF/services/"
                            + BackendProvider.class.getName() + ")"
                    : p.unavailableReason();
            REASONS.put(b, r);
            return r;
        }
    }
}
