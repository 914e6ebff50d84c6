package dev.rnn4j.internal;

import java.nio.FloatBuffer;
import org.bytedeco.javacpp.FloatPointer;

/**
 * Grow-only native memory for one tensor: where a backend stages a heap buffer's floats for a
 * native call. Allocated when a call first needs more room, then reused.
 */
public final class NativeFloats implements AutoCloseable {
    private FloatPointer memory = new FloatPointer(0L);
    private FloatBuffer whole;

    /** A direct buffer (position 0) of at least {@code floats} floats; its contents are left as they were. */
    public FloatBuffer view(long floats) {
        if (memory.capacity() < floats) {
            memory.close();
            memory = new FloatPointer(floats);
            whole = memory.asBuffer();
        }
        return whole;
    }

    @Override
    public void close() {
        memory.close();
    }
}
