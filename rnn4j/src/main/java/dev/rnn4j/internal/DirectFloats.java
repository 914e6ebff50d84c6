package dev.rnn4j.internal;

import java.lang.reflect.Field;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * A direct float buffer (native order, zeroed) whose memory is freed deterministically by
 * {@link #free()}, unless a live view of it was handed out ({@link #share()}): then freeing it would
 * let that view read freed memory and crash the JVM, so the garbage collector frees it once the last
 * view is unreachable. Backends keep parameters and gradients here.
 */
public final class DirectFloats {
    private static final sun.misc.Unsafe UNSAFE = unsafe();

    private final ByteBuffer bytes;
    private final FloatBuffer floats;
    private boolean shared;
    private boolean freed;

    /** Allocates {@code count} zeroed floats (at least one, so the address is never null). */
    public DirectFloats(int count) {
        bytes = ByteBuffer.allocateDirect(4 * Math.max(1, count)).order(ByteOrder.nativeOrder());
        floats = bytes.asFloatBuffer().limit(count);
    }

    /** The buffer: position 0, limit {@code count}. */
    public FloatBuffer buffer() {
        return floats;
    }

    /** Marks the memory as visible outside its owner: {@link #free()} then leaves it to the GC. */
    public void share() {
        shared = true;
    }

    /** Frees the memory now if no view was shared; idempotent. The buffer must not be used afterwards. */
    public void free() {
        if (freed || shared || UNSAFE == null) return;
        freed = true;
        UNSAFE.invokeCleaner(bytes);
    }

    private static sun.misc.Unsafe unsafe() {
        try {
            Field f = sun.misc.Unsafe.class.getDeclaredField("theUnsafe");
            f.setAccessible(true);
            return (sun.misc.Unsafe) f.get(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null; // no deterministic free on this JVM: the garbage collector frees the memory
        }
    }
}
