package dev.rnn4j;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * Element-by-element comparison with the tolerance of docs/DESIGN.md §6 ({@link Tolerance}, the one
 * definition): {@code |got - ref| <= rtol*|ref| + atol*max(max|ref|, floor)} per tensor.
 */
public final class TensorAssert {
    public static final double RTOL = Tolerance.RTOL;
    public static final double ATOL = Tolerance.ATOL;

    private TensorAssert() {}

    /** The worst element of a comparison: where and by how much (as a fraction of its allowance). */
    public record Worst(int index, double got, double ref, double ratio) {
        public boolean passed() {
            return ratio <= 1.0;
        }

        @Override
        public String toString() {
            return "worst at [" + index + "]: got " + got + ", ref " + ref + ", |diff| " + Math.abs(got - ref)
                    + " = " + String.format("%.3g", ratio) + " x tolerance";
        }
    }

    /** The worst element; ratio > 1 means the tolerance was exceeded (NaN counts as failure). */
    public static Worst compare(float[] got, float[] ref, double rtol, double atol) {
        if (got.length != ref.length) throw new AssertionError("length " + got.length + " != " + ref.length);
        double maxRef = 0;
        for (float r : ref) maxRef = Math.max(maxRef, Math.abs(r));
        double scale = atol * Math.max(maxRef, Tolerance.FLOOR);
        Worst worst = new Worst(-1, 0, 0, 0);
        for (int i = 0; i < got.length; i++) {
            double diff = Math.abs((double) got[i] - ref[i]);
            double allowed = rtol * Math.abs(ref[i]) + scale;
            double ratio = Double.isNaN(diff) ? Double.POSITIVE_INFINITY : diff / allowed;
            if (ratio > worst.ratio() || worst.index() < 0) worst = new Worst(i, got[i], ref[i], ratio);
        }
        return worst;
    }

    /** Fails, printing the worst element, unless every element is within tolerance. */
    public static void assertClose(String what, float[] got, float[] ref) {
        if (got == null && ref == null) return;
        if (got == null || ref == null) fail(what + ": one of got/ref is null");
        Worst w = compare(got, ref, RTOL, ATOL);
        if (!w.passed()) fail(what + ": " + w);
    }
}
