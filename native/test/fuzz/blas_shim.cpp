// An instrumented stand-in for the three OpenBLAS entry points librnn4j uses, for the fuzz build
// only (scripts/fuzz.sh, default; --openblas links the real library instead).
//
// Why: OpenBLAS is not built with AddressSanitizer, so a GEMM that reads or writes outside a
// buffer (a wrong leading dimension, M, N or K) would go unnoticed. This plain triple loop is
// compiled with the sanitizers, touches exactly the elements BLAS's contract lets it touch, and
// aborts on arguments real BLAS would reject (xerbla), so ASan sees every operand access.
#include <cblas.h>

#include <cstdio>
#include <cstdlib>

namespace {
[[noreturn]] void bad(const char *what, long long v) {
    std::fprintf(stderr, "CONTRACT VIOLATION: cblas_sgemm called with %s = %lld\n", what, v);
    std::abort();
}
int threads = 1;
}  // namespace

extern "C" void cblas_sgemm(OPENBLAS_CONST enum CBLAS_ORDER order, OPENBLAS_CONST enum CBLAS_TRANSPOSE ta,
                            OPENBLAS_CONST enum CBLAS_TRANSPOSE tb, OPENBLAS_CONST blasint M, OPENBLAS_CONST blasint N,
                            OPENBLAS_CONST blasint K, OPENBLAS_CONST float alpha, OPENBLAS_CONST float *A,
                            OPENBLAS_CONST blasint lda, OPENBLAS_CONST float *B, OPENBLAS_CONST blasint ldb,
                            OPENBLAS_CONST float beta, float *C, OPENBLAS_CONST blasint ldc) {
    if (order != CblasRowMajor) bad("order", order);
    if (M < 0) bad("M", M);
    if (N < 0) bad("N", N);
    if (K < 0) bad("K", K);
    const bool tA = ta == CblasTrans, tB = tb == CblasTrans;
    // Row-major: A is M x K (or K x M transposed), B is K x N (or N x K), C is M x N.
    const long long colsA = tA ? M : K, colsB = tB ? K : N;
    if (lda < (colsA > 1 ? colsA : 1)) bad("lda", lda);
    if (ldb < (colsB > 1 ? colsB : 1)) bad("ldb", ldb);
    if (ldc < (N > 1 ? N : 1)) bad("ldc", ldc);
    if (M == 0 || N == 0) return;
    for (long long i = 0; i < M; ++i)
        for (long long j = 0; j < N; ++j) {
            double acc = 0;
            for (long long k = 0; k < K; ++k) {
                const float a = tA ? A[k * lda + i] : A[i * lda + k];
                const float b = tB ? B[j * ldb + k] : B[k * ldb + j];
                acc += (double)a * b;
            }
            float &c = C[i * ldc + j];
            c = beta == 0.0f ? (float)(alpha * acc) : (float)(alpha * acc + (double)beta * c);
        }
}

extern "C" char *openblas_get_config(void) { return const_cast<char *>("instrumented reference sgemm (fuzz build)"); }
extern "C" char *openblas_get_corename(void) { return const_cast<char *>("fuzz-shim"); }
extern "C" int openblas_get_num_threads(void) { return threads; }
extern "C" void openblas_set_num_threads(int n) { threads = n; }
// Per-thread count (rnn4j runs each GEMM part single-threaded): this sgemm is single-threaded anyway.
extern "C" int openblas_set_num_threads_local(int n) {
    (void)n;
    return 1;
}
