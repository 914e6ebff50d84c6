package dev.rnn4j.bench;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.SplittableRandom;

/** Direct, native-order float buffers: the zero-copy way into rnn4j's native backends. */
final class Buffers {
    private Buffers() {}

    /** A zeroed direct buffer of {@code floats} floats. */
    static FloatBuffer direct(long floats) {
        if (floats > Integer.MAX_VALUE / 4) throw new IllegalArgumentException("too large: " + floats + " floats");
        return ByteBuffer.allocateDirect((int) floats * 4).order(ByteOrder.nativeOrder()).asFloatBuffer();
    }

    /** A direct buffer filled with uniform values in (-1, 1) from {@code seed}. */
    static FloatBuffer random(long floats, long seed) {
        FloatBuffer b = direct(floats);
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < b.capacity(); i++) b.put(i, (float) (r.nextDouble() * 2 - 1));
        return b;
    }

    /** A heap array filled like {@link #random}. */
    static float[] randomArray(int floats, long seed) {
        float[] a = new float[floats];
        SplittableRandom r = new SplittableRandom(seed);
        for (int i = 0; i < floats; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
        return a;
    }

    static float[] toArray(FloatBuffer b) {
        float[] a = new float[b.capacity()];
        b.get(0, a);
        return a;
    }
}
