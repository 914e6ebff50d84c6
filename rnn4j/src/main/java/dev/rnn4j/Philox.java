package dev.rnn4j;

/**
 * The counter-based generator behind rnn4j's dropout masks: Philox4x32-10 (Salmon et al., "Parallel
 * random numbers: as easy as 1, 2, 3", SC 2011; the constants of Random123), and the keep rule of
 * {@link #dropoutKeep}. Written once here and once in {@code native/common/philox.h} (used by the
 * CPU and CUDA kernels); both are tested to give the same bits on a table of keys, so a seed gives
 * the same mask on every backend and every thread count: each mask bit is a pure function of its
 * position, never of the order in which positions are visited.
 *
 * <p>Position of a mask bit: the output of layer {@code k} (only {@code k < L-1} are dropped),
 * direction {@code d}, time step {@code t}, batch row {@code b} (the caller's order) and unit
 * {@code u} ({@code 0 <= u < Ho}, within the direction's half of {@code y}). Counter
 * {@code (u >>> 2, b, t, 2k + d)}, key {@code (seed low 32 bits, seed high 32 bits)}; word
 * {@code u & 3} of the output, read as unsigned, is compared with {@code floor(p * 2^32)}: the unit
 * is kept when it is not smaller, so with probability {@code 1 - p} (to 2^-32).
 */
public final class Philox {
    private static final int M0 = 0xD2511F53, M1 = 0xCD9E8D57;
    private static final int W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    private Philox() {}

    /**
     * Philox4x32 with 10 rounds: {@code out} gets the 4 words for counter {@code ctr} under key
     * {@code (k0, k1)}. {@code ctr} is not modified; {@code out} may be {@code ctr}.
     */
    public static void philox4x32(int[] ctr, int k0, int k1, int[] out) {
        int c0 = ctr[0], c1 = ctr[1], c2 = ctr[2], c3 = ctr[3];
        for (int round = 0; round < 10; round++) {
            if (round > 0) {
                k0 += W0;
                k1 += W1;
            }
            long p0 = (M0 & 0xFFFFFFFFL) * (c0 & 0xFFFFFFFFL);
            long p1 = (M1 & 0xFFFFFFFFL) * (c2 & 0xFFFFFFFFL);
            int n0 = (int) (p1 >>> 32) ^ c1 ^ k0;
            int n2 = (int) (p0 >>> 32) ^ c3 ^ k1;
            c0 = n0;
            c1 = (int) p1;
            c2 = n2;
            c3 = (int) p0;
        }
        out[0] = c0;
        out[1] = c1;
        out[2] = c2;
        out[3] = c3;
    }

    /** {@code floor(p * 2^32)}: a unit is kept when its 32 random bits, unsigned, are at least this. */
    public static long dropThreshold(float p) {
        return (long) ((double) p * 4294967296.0);
    }

    /**
     * Whether dropout with probability {@code p} and {@code seed} keeps the unit at this position
     * (see the class comment for the position and the rule).
     */
    public static boolean dropoutKeep(long seed, float p, int layer, int direction, int step, int row, int unit) {
        int[] w = {unit >>> 2, row, step, 2 * layer + direction};
        philox4x32(w, (int) seed, (int) (seed >>> 32), w);
        return (w[unit & 3] & 0xFFFFFFFFL) >= dropThreshold(p);
    }
}
