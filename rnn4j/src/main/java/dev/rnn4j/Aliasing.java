package dev.rnn4j;

import java.nio.FloatBuffer;
import org.bytedeco.javacpp.Pointer;

/**
 * Whether tensors share memory, judged on the floats they cover, not on buffer objects: two views
 * of one array (or of one direct memory) that cover the same floats overlap, two disjoint slices do
 * not, and heap and direct memory never do. This is the rule {@link Rnn} applies to every call on
 * every backend, and {@link dev.rnn4j.train.Optimizer} to what it registers. Allocates nothing.
 *
 * <p>A read-only heap view hides its array, so it never counts as overlapping; that is harmless
 * because only inputs may be read-only, and every backend copies heap inputs before it writes an
 * output.
 */
public final class Aliasing {
    private Aliasing() {}

    /** Whether the first {@code na} floats of {@code a} and the first {@code nb} of {@code b} share memory. */
    public static boolean overlap(FloatBuffer a, long na, FloatBuffer b, long nb) {
        if (a == null || b == null || na == 0 || nb == 0) return false;
        long a0, b0;
        if (a.isDirect() && b.isDirect()) {
            a0 = Address.of(a) + 4L * a.position();
            b0 = Address.of(b) + 4L * b.position();
            na *= 4;
            nb *= 4;
        } else if (a.hasArray() && b.hasArray() && a.array() == b.array()) {
            a0 = a.arrayOffset() + (long) a.position();
            b0 = b.arrayOffset() + (long) b.position();
        } else {
            return a == b;
        }
        return a0 < b0 + nb && b0 < a0 + na;
    }

    /** Whether {@code a} and {@code b} start at the same float of the same memory (or are both null). */
    public static boolean sameStart(FloatBuffer a, FloatBuffer b) {
        if (a == b) return true;
        if (a == null || b == null) return false;
        if (a.isDirect() && b.isDirect()) {
            return Address.of(a) + 4L * a.position() == Address.of(b) + 4L * b.position();
        }
        return a.hasArray() && b.hasArray() && a.array() == b.array()
                && a.arrayOffset() + a.position() == b.arrayOffset() + b.position();
    }

    /** The address of a direct buffer, through JavaCPP (Java has no public API for it). */
    private static final class Address extends Pointer {
        static long of(java.nio.Buffer b) {
            return getDirectBufferAddress(b);
        }
    }
}
