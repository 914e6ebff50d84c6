package dev.rnn4j.train;

/**
 * Optional OpenBLAS {@code sgemm} (the JavaCPP preset rnn4j already depends on) for {@link Linear}.
 * Used when it loads, unless {@code -Drnn4j.native=false} (which also turns off rnn4j's native
 * backends); otherwise {@link Linear} computes with plain Java loops. Both give the same results
 * up to fp32 rounding.
 */
final class Blas {
    private Blas() {}

    static final boolean AVAILABLE = probe();

    private static boolean probe() {
        if ("false".equalsIgnoreCase(System.getProperty("rnn4j.native"))) return false;
        try {
            org.bytedeco.javacpp.Loader.load(org.bytedeco.openblas.global.openblas_nolapack.class);
            return true;
        } catch (Throwable t) {
            return false;
        }
    }

    /** Row-major {@code C[m,n] = alpha * op(A) op(B) + beta * C}. */
    static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha, float[] a, int lda, float[] b,
            int ldb, float beta, float[] c, int ldc) {
        org.bytedeco.openblas.global.openblas_nolapack.cblas_sgemm(
                org.bytedeco.openblas.global.openblas_nolapack.CblasRowMajor,
                transA ? org.bytedeco.openblas.global.openblas_nolapack.CblasTrans : org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans,
                transB ? org.bytedeco.openblas.global.openblas_nolapack.CblasTrans : org.bytedeco.openblas.global.openblas_nolapack.CblasNoTrans,
                m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
}
