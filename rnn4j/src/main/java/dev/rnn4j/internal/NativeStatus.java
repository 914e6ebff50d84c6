package dev.rnn4j.internal;

import java.util.function.Supplier;

/**
 * The status codes of the native libraries ({@code rnn4j.h}, {@code rnn4j_cuda.h}) and the ONE
 * mapping from a failed status to a Java exception, used by every native backend:
 * <ul>
 *   <li>{@link #ARGUMENT}: {@link IllegalArgumentException};
 *   <li>{@link #ALLOC}: {@link OutOfMemoryError} (host or device memory);
 *   <li>{@link #STATE}, {@link #INTERNAL}, {@link #CUDA} and anything else: {@link IllegalStateException}.
 * </ul>
 * The message names the function, the status and the library's last-error message.
 */
public final class NativeStatus {
    /** Success. */
    public static final int OK = 0;
    /** A size, pointer, length or descriptor field is invalid. */
    public static final int ARGUMENT = 1;
    /** For example backward on a workspace without a matching training forward. */
    public static final int STATE = 2;
    /** Out of (host or device) memory. */
    public static final int ALLOC = 3;
    /** A bug in the native library. */
    public static final int INTERNAL = 4;
    /** A CUDA runtime error (the CUDA library). */
    public static final int CUDA = 6;

    private NativeStatus() {}

    /**
     * Throws the exception for {@code status} unless it is {@link #OK}; {@code lastError} reads the
     * calling thread's native message (only on failure).
     */
    public static void check(int status, String function, Supplier<String> lastError) {
        if (status == OK) return;
        String message = function + " failed with status " + status + " (" + name(status) + "): " + lastError.get();
        switch (status) {
            case ARGUMENT:
                throw new IllegalArgumentException(message);
            case ALLOC:
                throw new OutOfMemoryError(message);
            default:
                throw new IllegalStateException(message);
        }
    }

    /** The status's name in the C headers ({@code RNN4J_ERR_ARGUMENT}, ...). */
    public static String name(int status) {
        switch (status) {
            case OK:
                return "RNN4J_OK";
            case ARGUMENT:
                return "RNN4J_ERR_ARGUMENT";
            case STATE:
                return "RNN4J_ERR_STATE";
            case ALLOC:
                return "RNN4J_ERR_ALLOC";
            case INTERNAL:
                return "RNN4J_ERR_INTERNAL";
            case CUDA:
                return "RNN4J_ERR_CUDA";
            default:
                return "unknown status";
        }
    }
}
