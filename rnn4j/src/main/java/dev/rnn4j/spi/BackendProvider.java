package dev.rnn4j.spi;

import dev.rnn4j.RnnSpec;

/**
 * One backend, as {@link dev.rnn4j.Backend} finds it: each implementation registers itself in
 * {@code META-INF/services/dev.rnn4j.spi.BackendProvider} and is looked up by {@link #name()}, so
 * the API package names no backend and a new one needs no switch. Not for application code.
 *
 * <p>Providers are created once per class loader and must be cheap to construct: probing (loading
 * native libraries, asking for devices) happens on the first call of {@link #unavailableReason()}.
 */
public interface BackendProvider {

    /** The {@link dev.rnn4j.Backend} constant this provider implements: {@code JAVA}, {@code CPU}, {@code CUDA}. */
    String name();

    /** Why this backend cannot be used in this process (with the cause), or null if it can. */
    String unavailableReason();

    /** What this backend runs on (library versions, device); called only when it is available. */
    String describe();

    /** A kernel for {@code spec} with zero parameters and gradients; called only when available. */
    RnnKernel newKernel(RnnSpec spec);

    /** Sets the process-wide thread count of this backend's kernels; ignored by backends without one. */
    default void setThreads(int threads) {}

    /** The process-wide thread count of this backend's kernels (1 where the host side is one thread). */
    default int threads() {
        return 1;
    }
}
