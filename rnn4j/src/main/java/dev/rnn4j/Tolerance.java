package dev.rnn4j;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/**
 * The tolerance every backend is tested to against the double-precision reference (docs/DESIGN.md
 * §6): a tensor passes when every element has
 * {@code |got - ref| <= RTOL*|ref| + ATOL*max(max|ref|, FLOOR)}, the absolute part scaling with
 * the tensor since accumulation errors grow with its magnitude. One definition
 * ({@code native/common/tolerance.properties}, in this jar as {@code dev/rnn4j/tolerance.properties}),
 * read by the native tests, the Java tests, {@code rnn4j check} and the benchmarks.
 */
public final class Tolerance {
    /** Relative part: 1e-4. */
    public static final double RTOL;
    /** Absolute part, times {@code max(max|ref|, FLOOR)}: 1e-5. */
    public static final double ATOL;
    /** The least {@code max|ref|} the absolute part is scaled by: 1e-3. */
    public static final double FLOOR;

    static {
        Properties p = new Properties();
        try (InputStream in = Tolerance.class.getResourceAsStream("tolerance.properties")) {
            if (in == null) throw new IllegalStateException("dev/rnn4j/tolerance.properties is missing from the jar");
            p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        RTOL = Double.parseDouble(p.getProperty("rtol"));
        ATOL = Double.parseDouble(p.getProperty("atol"));
        FLOOR = Double.parseDouble(p.getProperty("floor"));
    }

    private Tolerance() {}

    /** The absolute part of the allowance for a tensor whose largest |element| is {@code maxAbsRef}. */
    public static double absolute(double maxAbsRef) {
        return ATOL * Math.max(maxAbsRef, FLOOR);
    }

    /**
     * How far one element is from its allowance: {@code |got - ref| / (RTOL*|ref| + absolute)};
     * above 1 fails, NaN counts as infinite.
     */
    public static double ratio(double got, double ref, double absolute) {
        double diff = Math.abs(got - ref);
        return Double.isNaN(diff) ? Double.POSITIVE_INFINITY : diff / (RTOL * Math.abs(ref) + absolute);
    }

    /** The worst {@link #ratio} over a tensor (0 for an empty one); at most 1 passes. */
    public static double worstRatio(float[] got, float[] ref) {
        if (got.length != ref.length) throw new IllegalArgumentException("length " + got.length + " != " + ref.length);
        double maxRef = 0;
        for (float r : ref) maxRef = Math.max(maxRef, Math.abs(r));
        double abs = absolute(maxRef), worst = 0;
        for (int i = 0; i < got.length; i++) worst = Math.max(worst, ratio(got[i], ref[i], abs));
        return worst;
    }
}
