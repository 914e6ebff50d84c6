package dev.rnn4j.io;

import java.util.Arrays;
import java.util.Objects;

/**
 * An fp32 tensor to write: a shape and its elements in row-major order.
 *
 * @param shape the dimensions, each at least 0 (an empty shape is a scalar)
 * @param data the elements; its length is the product of the dimensions
 */
public record Tensor(int[] shape, float[] data) {
    /**
     * @throws IllegalArgumentException if a dimension is negative or the length is not their product
     */
    public Tensor {
        Objects.requireNonNull(shape, "shape must not be null");
        Objects.requireNonNull(data, "data must not be null");
        long count = 1;
        for (int d : shape) {
            if (d < 0) throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has a negative dimension");
            count *= d;
        }
        if (count != data.length) {
            throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + count + " floats, data has "
                    + data.length);
        }
    }

    /** A vector. */
    public static Tensor of(float... data) {
        return new Tensor(new int[] {data.length}, data);
    }

    /** Equal shapes and bitwise-equal elements. */
    @Override
    public boolean equals(Object o) {
        return o instanceof Tensor t && Arrays.equals(shape, t.shape) && Arrays.equals(data, t.data);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(shape) + Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "Tensor" + Arrays.toString(shape);
    }
}
