package dev.rnn4j;

/** Argument checks whose messages name the argument and the numbers. */
final class Checks {
    private Checks() {}

    static int positive(String name, int value) {
        if (value <= 0) throw new IllegalArgumentException(name + " must be positive, got " + value);
        return value;
    }

    static int index(String name, int value, int bound) {
        if (value < 0 || value >= bound) {
            throw new IndexOutOfBoundsException(name + " must be in 0.." + (bound - 1) + ", got " + value);
        }
        return value;
    }

    /** The product as an int, or an exception naming what overflowed. */
    static int product(String what, int... factors) {
        long p = 1;
        for (int f : factors) {
            p *= f;
            if (p > Integer.MAX_VALUE) {
                throw new IllegalArgumentException(what + " has more than " + Integer.MAX_VALUE
                        + " elements: " + shape(factors) + " does not fit in one Java array or buffer");
            }
        }
        return (int) p;
    }

    static String shape(int... dims) {
        StringBuilder s = new StringBuilder("[");
        for (int i = 0; i < dims.length; i++) s.append(i == 0 ? "" : ", ").append(dims[i]);
        return s.append(']').toString();
    }
}
