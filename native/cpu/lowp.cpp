// Reduced-precision inference (see lowp.hpp).
#include "lowp.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "bf16_gemm.hpp"
#include "int8_gemm.hpp"
#include "pointwise.hpp"
#include "status.hpp"
#include "threads.hpp"

namespace rnn4j {
namespace lowp {

namespace {

constexpr uint64_t BLOCK_MAGIC = 0x726e6e346a71775full;  // "rnn4jqw_"

struct Header {
    uint64_t magic;
    int32_t precision;
    int32_t pad;  // RNN4J_FP32: the instruction set that packed the block (prepack.hpp)
    rnn4j_desc desc;
    int64_t bytes;
};

inline int64_t up64(int64_t v) { return (v + 63) & ~int64_t(63); }

char *aligned(const void *p) {
    const uintptr_t a = reinterpret_cast<uintptr_t>(p);
    return reinterpret_cast<char *>((a + 63) & ~uintptr_t(63));
}

// Where each matrix lies in the block (offsets from its aligned base), in one walk: header, then
// per layer, direction and matrix the values (and INT8 scales and row sums).
// f(k, dir, which, rows, cols, ld, at_w, at_scale, at_sum); returns the end.
template <class F>
int64_t walk(const Dims &d, int precision, F &&f) {
    int64_t at = up64(sizeof(Header));
    for (int k = 0; k < d.L; ++k)
        for (int dir = 0; dir < d.D; ++dir)
            for (int which = IH; which <= HR; ++which) {
                if (which == HR && !d.P) continue;
                const int rows = which == HR ? d.P : d.GH;
                const int cols = which == IH ? d.Ik(k) : which == HH ? d.Ho : d.H;
                if (precision == RNN4J_BF16) {
                    f(k, dir, which, rows, cols, bf16::row_stride(cols), at, (int64_t)-1, (int64_t)-1);
                    at += up64(bf16::packed_bytes(rows, cols));
                } else {
                    const int ld = int8::padded(cols);
                    const int64_t w = at, s = w + up64(int8::packed_bytes(rows, cols)), sum = s + up64((int64_t)rows * 4);
                    f(k, dir, which, rows, cols, ld, w, s, sum);
                    at = sum + up64((int64_t)rows * 4);
                }
            }
    return at;
}

const float *weights_of(const Dims &d, const float *params, int k, int dir, int which) {
    const ParamOffsets p = param_offsets(d, k, dir);
    return params + (which == IH ? p.w_ih : which == HH ? p.w_hh : p.w_hr);
}

// Rows [i0, i1) of A rounded (BF16) or quantized (INT8) into the same rows of the run's scratch.
void prepare(const Run &run, const QMat &m, int i0, int i1, const float *A, int lda) {
    const float *a = A + (int64_t)i0 * lda;
    if (run.precision == RNN4J_INT8)
        int8::quantize_rows(i1 - i0, m.cols, a, lda, run.q + (int64_t)i0 * m.ld, m.ld, run.qscale + i0, run.qzp + i0);
    else
        bf16::round_rows(i1 - i0, m.cols, a, lda, run.a16 + (int64_t)i0 * m.ld, m.ld);
}

// C[i, r] (+)= the prepared rows i0 <= i < i1 times weight rows r0 <= r < r1 of m.
void product(const Run &run, const QMat &m, int i0, int i1, int r0, int r1, float *C, int ldc, bool accumulate) {
    float *c = C + (int64_t)i0 * ldc;
    if (run.precision == RNN4J_INT8)
        int8::gemm(i1 - i0, r0, r1, m.ld, run.q + (int64_t)i0 * m.ld, m.ld, run.qscale + i0, run.qzp + i0,
                   static_cast<const int8_t *>(m.w), m.scale, m.sum, c, ldc, accumulate);
    else
        bf16::gemm(i1 - i0, r0, r1, m.cols, run.a16 + (int64_t)i0 * m.ld, m.ld, static_cast<const uint16_t *>(m.w), c,
                   ldc, accumulate);
}

// C[n, rows] (+)= A[n, cols] m^T in m's scheme. Each output is computed whole by one thread with
// the same sum order, so the result does not depend on the split: at 16 rows or more each thread
// takes a range of A's rows (rounding or quantizing them itself) against all the weights;
// below, the activations are prepared once and each thread takes a fixed range of weight rows
// (the same range every step, so each core's cache keeps its part of W_hh).
void mul(const Run &run, const QMat &m, int n, const float *A, int lda, float *C, int ldc, bool accumulate) {
    const int64_t work = (int64_t)n * m.rows * m.cols;
    const int threads = work < (1 << 17) ? 1 : threads::count();
    if (threads > 1 && n >= 16) {
        auto job = [&](int tid, int np) {
            const int i0 = (int)((int64_t)n * tid / np), i1 = (int)((int64_t)n * (tid + 1) / np);
            if (i1 <= i0) return;
            prepare(run, m, i0, i1, A, lda);
            product(run, m, i0, i1, 0, m.rows, C, ldc, accumulate);
        };
        threads::run(std::min(threads, n / 8), job);
        return;
    }
    prepare(run, m, 0, n, A, lda);
    const int parts = std::min(threads, std::max(1, m.rows / 64));
    auto bound = [&](int tid, int np) {  // a multiple of 16 rows (a bf16 block, an int8 block)
        return tid == np ? m.rows : (int)((int64_t)m.rows * tid / np) & ~(bf16::BLOCK - 1);
    };
    auto job = [&](int tid, int np) {
        const int r0 = bound(tid, np), r1 = bound(tid + 1, np);
        if (r1 > r0) product(run, m, 0, n, r0, r1, C, ldc, accumulate);
    };
    if (parts < 2)
        job(0, 1);
    else
        threads::run(parts, job);
}

}  // namespace

int64_t block_bytes(const Dims &d, int precision) {
    if (precision == RNN4J_FP32) return up64(sizeof(Header)) + prepack::bytes(d) + 64;
    return walk(d, precision, [](int, int, int, int, int, int, int64_t, int64_t, int64_t) {}) + 64;
}

void quantize(const Dims &d, const rnn4j_desc &desc, int precision, const float *params, void *block) {
    char *base = aligned(block);
    Header *h = reinterpret_cast<Header *>(base);
    h->magic = 0;  // invalid while being written
    if (precision == RNN4J_FP32) {
        h->pad = prepack::fill(d, params, base + up64(sizeof(Header)));
        h->precision = precision;
        h->desc = desc;
        h->bytes = block_bytes(d, precision);
        h->magic = BLOCK_MAGIC;
        return;
    }
    const int64_t end = walk(d, precision, [&](int k, int dir, int which, int rows, int cols, int, int64_t w,
                                                int64_t s, int64_t sum) {
        const float *src = weights_of(d, params, k, dir, which);
        if (precision == RNN4J_BF16) {
            bf16::pack(rows, cols, src, cols, reinterpret_cast<uint16_t *>(base + w));
        } else {
            int8::quantize_weights(rows, cols, src, cols, reinterpret_cast<int8_t *>(base + w),
                                   reinterpret_cast<float *>(base + s), reinterpret_cast<int32_t *>(base + sum));
        }
    });
    h->precision = precision;
    h->pad = 0;
    h->desc = desc;
    h->bytes = end + 64;
    h->magic = BLOCK_MAGIC;
}

prepack::View prepacked(const void *block) {
    const char *base = aligned(block);
    prepack::View v;
    v.body = base + up64(sizeof(Header));
    v.packed_by = reinterpret_cast<const Header *>(base)->pad;
    return v;
}

void check_block(const rnn4j_desc &desc, int precision, const void *block, int64_t bytes) {
    if (!block) throw ArgumentError("quantized is NULL (fill it with rnn4j_quantize)");
    if (bytes < (int64_t)sizeof(Header) + 64)
        throw ArgumentError("quantized_bytes is too small to hold prepared weights (rnn4j_quantized_size)");
    const Header *h = reinterpret_cast<const Header *>(aligned(block));
    if (h->magic != BLOCK_MAGIC) throw StateError("quantized holds no prepared weights (run rnn4j_quantize first)");
    if (h->precision != precision) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "quantized holds weights of precision %d, not %d (run rnn4j_quantize again)",
                      h->precision, precision);
        throw StateError(buf);
    }
    if (!same_desc(h->desc, desc))  // the dropout seed is a training forward's, never the weights'
        throw ArgumentError("desc differs from the one the quantized weights were made for");
    if (bytes < h->bytes) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "quantized_bytes = %lld is smaller than the block's %lld bytes", (long long)bytes,
                      (long long)h->bytes);
        throw ArgumentError(buf);
    }
}

namespace {
// The widest activation row of (d) and the row stride of its prepared copy in the scratch.
int scratch_row(const Dims &d, int precision) {
    const int widest = std::max(std::max(d.I, d.D * d.Ho), d.H);
    return precision == RNN4J_INT8 ? int8::padded(widest) : bf16::row_stride(widest) * 2;
}
}  // namespace

int64_t scratch_bytes(const Dims &d, int T, int N, int precision) {
    const int64_t rows = (int64_t)T * N;
    return up64(rows * scratch_row(d, precision)) + 2 * up64(rows * 4) + 64;
}

void place_scratch(Run &run, const Dims &d, int T, int N, char *base, int64_t at) {
    const int64_t rows = (int64_t)T * N;
    at = up64(at);
    run.q = reinterpret_cast<uint8_t *>(base + at);
    run.a16 = reinterpret_cast<uint16_t *>(base + at);
    at += up64(rows * scratch_row(d, run.precision));
    run.qscale = reinterpret_cast<float *>(base + at);
    at += up64(rows * 4);
    run.qzp = reinterpret_cast<int32_t *>(base + at);
}

QMat Run::mat(const Dims &d, int k, int dir, Which which) const {
    QMat m;
    walk(d, precision, [&](int kk, int dd, int ww, int rows, int cols, int ld, int64_t w, int64_t s, int64_t sum) {
        if (kk != k || dd != dir || ww != which) return;
        m.rows = rows;
        m.cols = cols;
        m.ld = ld;
        m.w = block + w;
        if (s >= 0) m.scale = reinterpret_cast<const float *>(block + s);
        if (sum >= 0) m.sum = reinterpret_cast<const int32_t *>(block + sum);
    });
    return m;
}

void project(const Dims &d, const Run &run, const Direction &f) {
    mul(run, run.mat(d, f.k, f.dir, IH), f.R, f.in, d.Ik(f.k), f.pre, d.GH, false);
}

void steps(const Dims &d, const Run &run, const Direction &f, int r0, int r1) {
    const int GH = d.GH, H = d.H, Ho = d.Ho, ldo = d.D * Ho;
    const QMat hh = run.mat(d, f.k, f.dir, HH);
    const QMat hr = d.P ? run.mat(d, f.k, f.dir, HR) : QMat();
    // This range's rows of the state, the scratch and the prepared activations (scratch_row bytes
    // per row, as for the T * N rows of the input projection).
    // scr holds GRU's h W_hh^T (GH a row) or LSTMP's m (H a row), as the workspace layout sizes it.
    float *S = f.S + (int64_t)r0 * Ho, *C = f.C ? f.C + (int64_t)r0 * H : nullptr;
    float *scr = f.scr ? f.scr + (int64_t)r0 * (d.gru() ? GH : H) : nullptr;
    Run rows = run;
    const int64_t skip = (int64_t)r0 * scratch_row(d, run.precision);
    rows.q = run.q + skip;
    rows.a16 = reinterpret_cast<uint16_t *>(reinterpret_cast<char *>(run.a16) + skip);
    rows.qscale = run.qscale + r0;
    rows.qzp = run.qzp + r0;
    for (int s = 0; s < f.Teff; ++s) {
        const int t = f.dir == 0 ? s : f.Teff - 1 - s;
        const int n = std::min(f.nt[t], r1) - r0;  // live rows of this range at step t
        if (n <= 0) continue;
        const int64_t o = f.off[t] + r0;
        float *pre_t = f.pre + o * GH;
        // h W_hh^T; GRU keeps it apart for r * (.)
        if (d.gru())
            mul(rows, hh, n, S, Ho, scr, GH, false);
        else
            mul(rows, hh, n, S, Ho, pre_t, GH, true);
        pointwise::FwdStep st = pointwise::fwd_step(n, H, Ho, d.relu(), pre_t, d.gru() ? scr : nullptr, f.b_ih,
                                                    f.b_hh, S, C, f.out + o * ldo + f.dir * Ho, ldo);
        if (d.P) st.m = scr;
        if (d.lstm())
            pointwise::fwd_lstm(st);
        else if (d.gru())
            pointwise::fwd_gru(st);
        else
            pointwise::fwd_rnn(st);
        if (d.P) {  // h = m W_hr^T, into the output rows, then into the state
            mul(rows, hr, n, st.m, H, st.y, ldo, false);
            for (int j = 0; j < n; ++j) std::memcpy(S + (int64_t)j * Ho, st.y + (int64_t)j * ldo, sizeof(float) * Ho);
        }
    }
}

const char *describe() {
    static thread_local char line[160];
    std::snprintf(line, sizeof line, "reduced precision: bf16 %s, int8 %s", bf16::path(), int8::path());
    return line;
}

}  // namespace lowp
}  // namespace rnn4j
