package dev.rnn4j.train;

import dev.rnn4j.internal.HostMirrors;
import java.nio.FloatBuffer;
import java.util.List;

/**
 * Gradient clipping, as PyTorch's {@code clip_grad_norm_} and {@code clip_grad_value_}. Each
 * buffer is used from its position to its limit; its position is not changed.
 */
public final class GradientClipping {
    private GradientClipping() {}

    /** The global L2 norm of all the gradients together, {@code sqrt(sum of squares)}. */
    public static double globalNorm(List<FloatBuffer> gradients) {
        double sum = 0;
        for (FloatBuffer g : gradients) {
            HostMirrors.reading(g);
            int p = g.position(), end = g.limit();
            for (int i = p; i < end; i++) {
                double v = g.get(i);
                sum += v * v;
            }
        }
        return Math.sqrt(sum);
    }

    /**
     * If the global norm of all the gradients exceeds {@code maxNorm}, scales them all by
     * {@code maxNorm / norm}, so the direction is kept. Non-finite norms leave the gradients as they
     * are (the caller should look at the returned norm).
     *
     * @return the global norm before clipping
     * @throws IllegalArgumentException if {@code maxNorm} is not positive
     */
    public static double byGlobalNorm(double maxNorm, List<FloatBuffer> gradients) {
        if (!(maxNorm > 0)) throw new IllegalArgumentException("maxNorm must be positive, got " + maxNorm);
        double norm = globalNorm(gradients);
        if (norm > maxNorm && Double.isFinite(norm)) {
            float scale = (float) (maxNorm / (norm + 1e-6));
            for (FloatBuffer g : gradients) {
                int p = g.position(), end = g.limit();
                for (int i = p; i < end; i++) g.put(i, g.get(i) * scale);
                HostMirrors.written(g);
            }
        }
        return norm;
    }

    /** {@link #byGlobalNorm(double, List)} over the given buffers. */
    public static double byGlobalNorm(double maxNorm, FloatBuffer... gradients) {
        return byGlobalNorm(maxNorm, List.of(gradients));
    }

    /**
     * Clamps every gradient element into {@code [-limit, limit]}.
     *
     * @return how many elements were clamped
     * @throws IllegalArgumentException if {@code limit} is not positive
     */
    public static long byValue(double limit, List<FloatBuffer> gradients) {
        if (!(limit > 0)) throw new IllegalArgumentException("limit must be positive, got " + limit);
        float l = (float) limit;
        long clamped = 0;
        for (FloatBuffer g : gradients) {
            HostMirrors.reading(g);
            long before = clamped;
            int p = g.position(), end = g.limit();
            for (int i = p; i < end; i++) {
                float v = g.get(i);
                if (v > l) {
                    g.put(i, l);
                    clamped++;
                } else if (v < -l) {
                    g.put(i, -l);
                    clamped++;
                }
            }
            if (clamped != before) HostMirrors.written(g);
        }
        return clamped;
    }

    /** {@link #byValue(double, List)} over the given buffers. */
    public static long byValue(double limit, FloatBuffer... gradients) {
        return byValue(limit, List.of(gradients));
    }
}
