// rnn4j's own fp32 GEMM (see sgemm.hpp). One template, instantiated per instruction set inside a
// function compiled for it (target attribute), so AVX-512 code exists only behind the CPUID check
// of isa.cpp and the library still runs on AVX2-only and older CPUs.
#include "sgemm.hpp"

#include "rowdot.hpp"
#include "simd.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <type_traits>
#include <utility>

#pragma GCC diagnostic ignored "-Wpsabi"  // vectors never cross a non-inlined call

#define RNN4J_INLINE inline __attribute__((always_inline))

namespace rnn4j {
namespace sgemm {

namespace {

typedef float V4 __attribute__((vector_size(16)));
typedef float V8 __attribute__((vector_size(32)));
typedef float V16 __attribute__((vector_size(64)));

// Cache blocking shared by all paths: KC x NR panels of B (32 KB at NR = 32) stay in L1 while a
// MC x KC block of A (144 KB) streams from L2; a KC x NC block of B (1 MB) stays in L2/L3.
#ifndef RNN4J_SGEMM_KC  // overridable for tuning builds of gemm_bench only
#define RNN4J_SGEMM_KC 256
#define RNN4J_SGEMM_MC 144
#define RNN4J_SGEMM_NC 1024
#endif
constexpr int KC = RNN4J_SGEMM_KC, MC = RNN4J_SGEMM_MC, NC = RNN4J_SGEMM_NC;

// Per-thread packing buffers, allocated on a thread's first call and kept: the kernels run on
// rnn4j's persistent pool threads and on the callers' threads.
struct Buffers {
    float *a = nullptr, *b = nullptr;
    bool ensure() {
        if (!a) a = static_cast<float *>(std::aligned_alloc(64, sizeof(float) * MC * KC));
        if (!b) b = static_cast<float *>(std::aligned_alloc(64, sizeof(float) * KC * NC));
        return a && b;
    }
    ~Buffers() {
        std::free(a);
        std::free(b);
    }
};
thread_local Buffers buffers;

struct Args {
    bool ta, tb;
    int M, N, K;
    float alpha;
    const float *A;
    int lda;
    const float *B;
    int ldb;
    float beta;
    float *C;
    int ldc;
    // W prepacked by pack_w (op(B) = W^T, never packed in the call): the panels of KC block pc begin
    // at wp + pc * wp_ld; this product's column 0 is the packed matrix's column wp_col0.
    const float *wp = nullptr;
    long wp_ld = 0;
    int wp_col0 = 0;
};

// op(A)[i0 .. i0+mc, p0 .. p0+kc] -> panels of MR rows, each [kc][MR], rows past mc zero.
// Blocked: the 16-k transposing loops below (the AVX paths); the generic path (SSE2 / NEON) keeps the
// element loops, which ran up to 1.4x faster there (gemm_bench, generic column).
template <int MR, bool Blocked>
RNN4J_INLINE void pack_a(const Args &g, int i0, int mc, int p0, int kc, float *dst) {
    if (g.ta) {  // op(A)(i, k) = A[k, i]: row k of A holds all mc rows' k-th values, read once
        // (panel by panel, the kc rows of one panel lie lda apart: at lda = 1024 they fall in the
        // same L1 set and each panel fetched every line again: the tn GEMM of dW ran at 0.8x).
        for (int k = 0; k < kc; ++k) {
            const float *src = g.A + (long)(p0 + k) * g.lda + i0;
            for (int ir = 0; ir < mc; ir += MR) {
                const int mr = std::min(MR, mc - ir);
                float *d = dst + (long)ir * kc + (long)k * MR;
                if (mr == MR) {
                    __builtin_memcpy(d, src + ir, sizeof(float) * MR);
                } else {
                    for (int i = 0; i < mr; ++i) d[i] = src[ir + i];
                    for (int i = mr; i < MR; ++i) d[i] = 0.0f;
                }
            }
        }
        return;
    }
    for (int ir = 0; ir < mc; ir += MR) {
        const int mr = std::min(MR, mc - ir);
        float *d = dst + (long)ir * kc;
        if (!Blocked) {
            for (int i = 0; i < mr; ++i) {
                const float *src = g.A + (long)(i0 + ir + i) * g.lda + p0;
                for (int k = 0; k < kc; ++k) d[k * MR + i] = src[k];
            }
            for (int i = mr; i < MR; ++i)
                for (int k = 0; k < kc; ++k) d[k * MR + i] = 0.0f;
        } else {  // a transpose, in blocks of 16 k: whole-line reads of each row, contiguous writes
            const float *src = g.A + (long)(i0 + ir) * g.lda + p0;
            int k0 = 0;
            for (; k0 + 16 <= kc; k0 += 16) {
                float t[MR][16];
                for (int i = 0; i < mr; ++i) __builtin_memcpy(t[i], src + (long)i * g.lda + k0, sizeof t[i]);
                for (int i = mr; i < MR; ++i)
                    for (int k = 0; k < 16; ++k) t[i][k] = 0.0f;
                for (int k = 0; k < 16; ++k)
                    for (int i = 0; i < MR; ++i) d[(k0 + k) * MR + i] = t[i][k];
            }
            for (int k = k0; k < kc; ++k) {
                for (int i = 0; i < mr; ++i) d[k * MR + i] = src[(long)i * g.lda + k];
                for (int i = mr; i < MR; ++i) d[k * MR + i] = 0.0f;
            }
        }
    }
}

// op(B)[p0 .. p0+kc, j0 .. j0+nc] -> panels of NR columns, each [kc][NR], columns past nc zero.
template <int NR, bool Blocked, bool Shuffled = false>
RNN4J_INLINE void pack_b(const Args &g, int p0, int kc, int j0, int nc, float *dst) {
    for (int jr = 0; jr < nc; jr += NR) {
        const int nr = std::min(NR, nc - jr);
        float *d = dst + (long)jr * kc;
        if (g.tb && !Blocked) {  // op(B)(k, j) = B[j, k]: the weights W [out, in] of x W^T
            for (int j = 0; j < nr; ++j) {
                const float *src = g.B + (long)(j0 + jr + j) * g.ldb + p0;
                for (int k = 0; k < kc; ++k) d[k * NR + j] = src[k];
            }
            for (int j = nr; j < NR; ++j)
                for (int k = 0; k < kc; ++k) d[k * NR + j] = 0.0f;
        } else if (g.tb) {  // the same, transposed as A in pack_a
            const float *src = g.B + (long)(j0 + jr) * g.ldb + p0;
            int k0 = 0;
            if constexpr (Shuffled)
                if (nr == NR)
                    for (; k0 + 16 <= kc; k0 += 16)
                        for (int j = 0; j < NR; j += 16) simd::transpose<V16>(src + (long)j * g.ldb + k0, g.ldb, d + (long)k0 * NR + j, NR);
            for (; k0 + 16 <= kc; k0 += 16) {
                float t[NR][16];
                for (int j = 0; j < nr; ++j) __builtin_memcpy(t[j], src + (long)j * g.ldb + k0, sizeof t[j]);
                for (int j = nr; j < NR; ++j)
                    for (int k = 0; k < 16; ++k) t[j][k] = 0.0f;
                for (int k = 0; k < 16; ++k)
                    for (int j = 0; j < NR; ++j) d[(k0 + k) * NR + j] = t[j][k];
            }
            for (int k = k0; k < kc; ++k) {
                for (int j = 0; j < nr; ++j) d[k * NR + j] = src[(long)j * g.ldb + k];
                for (int j = nr; j < NR; ++j) d[k * NR + j] = 0.0f;
            }
        } else {
            for (int k = 0; k < kc; ++k) {
                const float *src = g.B + (long)(p0 + k) * g.ldb + j0 + jr;
                for (int j = 0; j < nr; ++j) d[k * NR + j] = src[j];
                for (int j = nr; j < NR; ++j) d[k * NR + j] = 0.0f;
            }
        }
    }
}

// acc = rows [0, R) of a-panel [kc][MR] x b-panel [kc][NR], then C (ldc) = alpha acc + coef C (coef 0:
// C not read). The accumulators are R x NV vectors of the path's own width, so they stay in registers.
// R < MR: the last row tile of a block, computed with R rows (a 1-row tile costs 1/MR of a full one:
// at M = 25, a batch-1 input projection, the padded third tile of 12 was 30 % of the work). Each
// element's sum runs the same FMAs in the same order whatever R, so results do not change.
template <class V, int MR, int NV, int R = MR>
RNN4J_INLINE void micro(int kc, const float *__restrict a, const float *__restrict b, float *C, long ldc, float alpha,
                        float coef) {
    constexpr int L = sizeof(V) / sizeof(float), NR = NV * L;
    V acc[R][NV];
    for (int i = 0; i < R; ++i)
        for (int v = 0; v < NV; ++v) acc[i][v] = V{};
    // C's tile is read (or written) only after the k loop: fetch its lines now, so that the misses
    // overlap the FMAs instead of stalling the write-back (C is a large [T*N, G*H] matrix).
    for (int i = 0; i < R; ++i)
        for (int v = 0; v < NV * L; v += 16) __builtin_prefetch(C + i * ldc + v, 1, 3);
    for (int k = 0; k < kc; ++k) {
        V bv[NV];
        for (int v = 0; v < NV; ++v) __builtin_memcpy(&bv[v], b + (long)k * NR + v * L, sizeof(V));
        for (int i = 0; i < R; ++i) {
            const float s = a[(long)k * MR + i];
            for (int v = 0; v < NV; ++v) acc[i][v] += s * bv[v];
        }
    }
    for (int i = 0; i < R; ++i)
        for (int v = 0; v < NV; ++v) {
            float *c = C + i * ldc + v * L;
            V r = alpha == 1.0f ? acc[i][v] : alpha * acc[i][v];
            if (coef != 0.0f) {
                V old;
                __builtin_memcpy(&old, c, sizeof(V));
                r += coef == 1.0f ? old : coef * old;
            }
            __builtin_memcpy(c, &r, sizeof(V));
        }
}

// micro<V, MR, NV, mr> for the mr valid rows of a tile (1 <= mr <= MR).
template <class V, int MR, int NV, int R = MR>
RNN4J_INLINE void micro_rows(int mr, int kc, const float *a, const float *b, float *C, long ldc, float alpha,
                             float coef) {
    if (mr == R)
        micro<V, MR, NV, R>(kc, a, b, C, ldc, alpha, coef);
    else if constexpr (R > 1)
        micro_rows<V, MR, NV, R - 1>(mr, kc, a, b, C, ldc, alpha, coef);
}

template <class V, int MR, int NV>
RNN4J_INLINE void gemm(const Args &g, float *abuf, float *bbuf) {
    constexpr int NR = NV * (int)(sizeof(V) / sizeof(float));
    constexpr int MCB = MC / MR * MR;  // whole row tiles per A block
    constexpr bool blocked = sizeof(V) >= 32;
    alignas(64) float edge[MR * NR];
    for (int jc = 0; jc < g.N; jc += NC) {
        const int nc = std::min(NC, g.N - jc);
        for (int pc = 0; pc < g.K; pc += KC) {
            const int kc = std::min(KC, g.K - pc);
            const float coef = pc == 0 ? g.beta : 1.0f;
            // A block's panel at column c lies c * kc floats in (panels of NR columns, [kc][NR] each).
            const float *bblock = g.wp ? g.wp + (long)pc * g.wp_ld + (long)(g.wp_col0 + jc) * kc : bbuf;
            if (!g.wp) pack_b<NR, blocked, sizeof(V) == 64>(g, pc, kc, jc, nc, bbuf);
            for (int ic = 0; ic < g.M; ic += MCB) {
                const int mc = std::min(MCB, g.M - ic);
                pack_a<MR, blocked>(g, ic, mc, pc, kc, abuf);
                for (int jr = 0; jr < nc; jr += NR) {
                    const int nr = std::min(NR, nc - jr);
                    const float *bp = bblock + (long)jr * kc;
                    for (int ir = 0; ir < mc; ir += MR) {
                        const int mr = std::min(MR, mc - ir);
                        const float *ap = abuf + (long)ir * kc;
                        float *c = g.C + (long)(ic + ir) * g.ldc + jc + jr;
                        if (nr == NR) {
                            micro_rows<V, MR, NV>(mr, kc, ap, bp, c, g.ldc, g.alpha, coef);
                        } else {  // the same code on a copy of the valid columns
                            if (coef != 0.0f)
                                for (int i = 0; i < mr; ++i) std::memcpy(edge + i * NR, c + (long)i * g.ldc, sizeof(float) * nr);
                            micro_rows<V, MR, NV>(mr, kc, ap, bp, edge, NR, g.alpha, coef);
                            for (int i = 0; i < mr; ++i) std::memcpy(c + (long)i * g.ldc, edge + i * NR, sizeof(float) * nr);
                        }
                    }
                }
            }
        }
    }
}

// Vectors of C per row of every path's register tile (gemm's NV): its panels of B are that many
// vectors wide, which pack_w, the gemm instantiations and panel_width() all take from here.
constexpr int TILE_VECTORS = 2;
static_assert(TILE_VECTORS * 16 == MAX_PANEL, "MAX_PANEL is the AVX-512 panel width");

// W [N, K] (op(B) = W^T) into the panels gemm<V, MR, NV> reads, every KC block one after the other,
// each [ceil(N / NR) panels][kc][NR]: what the call would pack, block by block, the same values.
template <class V>
RNN4J_INLINE void pack_w_body(int N, int K, const float *W, int ldw, float *dst) {
    constexpr int NR = TILE_VECTORS * (int)(sizeof(V) / sizeof(float));
    const Args g{false, true, 0, N, K, 1.0f, nullptr, 0, W, ldw, 0.0f, nullptr, 0};
    const long ld = (long)(N + NR - 1) / NR * NR;
    for (int pc = 0; pc < K; pc += KC)
        pack_b<NR, sizeof(V) >= 32, sizeof(V) == 64>(g, pc, std::min(KC, K - pc), 0, N, dst + (long)pc * ld);
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma"))) void pack_w_avx512(int N, int K, const float *W,
                                                                                           int ldw, float *dst) {
    pack_w_body<V16>(N, K, W, ldw, dst);
}
__attribute__((target("avx2,fma"))) void pack_w_avx2(int N, int K, const float *W, int ldw, float *dst) {
    pack_w_body<V8>(N, K, W, ldw, dst);
}
#endif
void pack_w_generic(int N, int K, const float *W, int ldw, float *dst) { pack_w_body<V4>(N, K, W, ldw, dst); }

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma"))) void gemm_avx512(const Args &g, float *a,
                                                                                         float *b) {
    gemm<V16, 12, TILE_VECTORS>(g, a, b);  // 24 zmm accumulators + 2 for B + 1 broadcast
}
__attribute__((target("avx2,fma"))) void gemm_avx2(const Args &g, float *a, float *b) {
    gemm<V8, 6, TILE_VECTORS>(g, a, b);  // 12 ymm accumulators + 2 + 1 of 16
}
#endif
void gemm_generic(const Args &g, float *a, float *b) {
    gemm<V4, 4, TILE_VECTORS>(g, a, b);  // 8 xmm accumulators (SSE2 / NEON: 16 registers)
}

// few_rows (see sgemm.hpp): RB rows of B per block, RA rows of A per tile (AVX-512: 4 x 4, 16
// accumulators of 32 registers; AVX2 and generic: 2 x 2). On AVX2 a 4 x 2 tile, 8 accumulators and
// 4 rows of A in 16 registers, was spilled by GCC: 16 GFLOP/s at M = 4..12 where 2 x 2 runs 47-56
// (gemm_bench, RNN4J_ISA=avx2, W 2048 x 512, Zen 5).
// out[a * RB + b] = A[a, :] . B[b, :] for a < na (<= RA), b < RB.
template <int RA, int RB, int NA = RA>
RNN4J_INLINE void few_rows_tile(int na, int K, const float *A, int lda, const float *B, int ldb, float *out) {
    if (na == NA)
        rowdot::rows<NA, RB>(B, ldb, K, A, lda, out, RB);
    else if constexpr (NA > 1)
        few_rows_tile<RA, RB, NA - 1>(na, K, A, lda, B, ldb, out);
}

template <int RA, int RB>
RNN4J_INLINE void few_rows_body(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float beta,
                                float *C, int ldc) {
    alignas(32) float out[RA * RB];
    auto block = [&](auto rb, int j0) __attribute__((always_inline)) {  // rb rows of B from j0, all of A
        constexpr int NB = decltype(rb)::value;
        for (int i0 = 0; i0 < M; i0 += RA) {
            const int na = std::min(RA, M - i0);
            few_rows_tile<RA, NB>(na, K, A + (long)i0 * lda, lda, B + (long)j0 * ldb, ldb, out);
            for (int a = 0; a < na; ++a)
                for (int b = 0; b < NB; ++b) {
                    float *c = C + (long)(i0 + a) * ldc + j0 + b;
                    *c = beta == 0.0f ? out[a * NB + b] : out[a * NB + b] + beta * *c;
                }
        }
    };
    int j0 = 0;
    for (; j0 + RB <= N; j0 += RB) block(std::integral_constant<int, RB>{}, j0);
    for (; j0 < N; ++j0) block(std::integral_constant<int, 1>{}, j0);  // the last N % RB rows of B (same sums)
}

#if defined(__x86_64__) || defined(__i386__)
__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx2,fma"))) void few_rows_avx512(
    int M, int N, int K, const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc) {
    few_rows_body<4, 4>(M, N, K, A, lda, B, ldb, beta, C, ldc);
}
__attribute__((target("avx2,fma"))) void few_rows_avx2(int M, int N, int K, const float *A, int lda, const float *B,
                                                      int ldb, float beta, float *C, int ldc) {
    few_rows_body<2, 2>(M, N, K, A, lda, B, ldb, beta, C, ldc);
}
#endif
void few_rows_generic(int M, int N, int K, const float *A, int lda, const float *B, int ldb, float beta, float *C,
                      int ldc) {
    few_rows_body<2, 2>(M, N, K, A, lda, B, ldb, beta, C, ldc);
}

}  // namespace

void few_rows(isa::Isa path, int M, int N, int K, const float *A, int lda, const float *B, int ldb, float beta,
              float *C, int ldc) {
    if (M <= 0 || N <= 0) return;
#if defined(__x86_64__) || defined(__i386__)
    if (path == isa::AVX512) return few_rows_avx512(M, N, K, A, lda, B, ldb, beta, C, ldc);
    if (path == isa::AVX2) return few_rows_avx2(M, N, K, A, lda, B, ldb, beta, C, ldc);
#else
    (void)path;
#endif
    few_rows_generic(M, N, K, A, lda, B, ldb, beta, C, ldc);
}

int panel_width(isa::Isa path) {
#if defined(__x86_64__) || defined(__i386__)
    if (path == isa::AVX512) return TILE_VECTORS * 16;
    if (path == isa::AVX2) return TILE_VECTORS * 8;
#else
    (void)path;
#endif
    return TILE_VECTORS * 4;
}

int64_t packed_w_floats(int N, int K) { return (int64_t)(N + MAX_PANEL - 1) / MAX_PANEL * MAX_PANEL * K; }

void pack_w(isa::Isa path, int N, int K, const float *W, int ldw, float *dst) {
#if defined(__x86_64__) || defined(__i386__)
    if (path == isa::AVX512) return pack_w_avx512(N, K, W, ldw, dst);
    if (path == isa::AVX2) return pack_w_avx2(N, K, W, ldw, dst);
#else
    (void)path;
#endif
    pack_w_generic(N, K, W, ldw, dst);
}

bool run(isa::Isa path, bool trans_a, bool trans_b, int M, int N, int K, float alpha, const float *A, int lda,
         const float *B, int ldb, float beta, float *C, int ldc, const PackedW *packed) {
    if (M <= 0 || N <= 0) return true;
    if (K <= 0) {  // C = beta C (0 * C would keep NaNs)
        for (int i = 0; i < M; ++i)
            for (int j = 0; j < N; ++j) C[(long)i * ldc + j] = beta == 0.0f ? 0.0f : beta * C[(long)i * ldc + j];
        return true;
    }
    if (!buffers.ensure()) return false;
    Args g{trans_a, trans_b, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc};
    if (packed) {  // op(B) = W^T from pack_w under this path, from column packed->col0 (a multiple of MAX_PANEL)
        const int nr = panel_width(path);
        g.wp = packed->panels;
        g.wp_ld = (long)(packed->N + nr - 1) / nr * nr;
        g.wp_col0 = packed->col0;
    }
#if defined(__x86_64__) || defined(__i386__)
    if (path == isa::AVX512) return gemm_avx512(g, buffers.a, buffers.b), true;
    if (path == isa::AVX2) return gemm_avx2(g, buffers.a, buffers.b), true;
#else
    (void)path;
#endif
    gemm_generic(g, buffers.a, buffers.b);
    return true;
}

}  // namespace sgemm
}  // namespace rnn4j
