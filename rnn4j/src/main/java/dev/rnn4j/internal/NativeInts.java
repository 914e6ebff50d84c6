package dev.rnn4j.internal;

import org.bytedeco.javacpp.IntPointer;

/**
 * Grow-only native memory for a call's {@code lengths} (an {@code int32_t*} of the C APIs): allocated
 * when a batch first needs more room, then reused, so steady-state calls allocate nothing.
 */
public final class NativeInts implements AutoCloseable {
    private IntPointer memory = new IntPointer(1);

    /** The first {@code n} values of {@code values} in native memory, or null when {@code values} is null. */
    public IntPointer stage(int[] values, int n) {
        if (values == null) return null;
        if (memory.capacity() < n) {
            memory.close();
            memory = new IntPointer(n);
        }
        memory.put(values, 0, n);
        return memory;
    }

    @Override
    public void close() {
        memory.close();
    }

    /**
     * Why a native library did not load, for a backend's unavailable reason: {@code what} ("the
     * native library did not load on linux-x86_64"), then the throwable and each of its causes.
     */
    public static String loadFailure(String what, Throwable t) {
        StringBuilder why = new StringBuilder(what).append(": ").append(t);
        for (Throwable c = t.getCause(); c != null; c = c.getCause()) why.append("; caused by ").append(c);
        return why.toString();
    }
}
