// Reduced-precision inference (see lowp.hpp).
#include "lowp.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "bf16_gemm.hpp"
#include "gemm.hpp"
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
    int32_t pad;
    rnn4j_desc desc;
    int64_t bytes;
};

inline int64_t up64(int64_t v) { return (v + 63) & ~int64_t(63); }

char *aligned(const void *p) {
    const uintptr_t a = reinterpret_cast<uintptr_t>(p);
    return reinterpret_cast<char *>((a + 63) & ~uintptr_t(63));
}

// Where each matrix lies in the block (offsets from its aligned base), in one walk: header, the
// rounded fp32 copy (BF16), then per layer, direction and matrix the values (and INT8 scales and
// row sums). f(k, dir, which, rows, cols, ld, at_w, at_scale, at_sum); returns the end.
template <class F>
int64_t walk(const Dims &d, int precision, F &&f) {
    int64_t at = up64(sizeof(Header));
    if (precision == RNN4J_BF16) at += up64(param_count(d) * (int64_t)sizeof(float));
    for (int k = 0; k < d.L; ++k)
        for (int dir = 0; dir < d.D; ++dir)
            for (int which = IH; which <= HR; ++which) {
                if (which == HR && !d.P) continue;
                const int rows = which == HR ? d.P : d.GH;
                const int cols = which == IH ? d.Ik(k) : which == HH ? d.Ho : d.H;
                if (precision == RNN4J_BF16) {
                    f(k, dir, which, rows, cols, cols, at, (int64_t)-1, (int64_t)-1);
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

// C[n, rows] (+)= A[n, cols] m^T in m's scheme, the weight rows shared out among the threads
// (each output is computed whole by one thread: the result does not depend on the split).
void mul(const Run &run, const QMat &m, int n, const float *A, int lda, float *C, int ldc, bool accumulate) {
    if (run.precision == RNN4J_INT8) int8::quantize_rows(n, m.cols, A, lda, run.q, m.ld, run.qscale, run.qzp);
    const int64_t work = (int64_t)n * m.rows * m.cols;
    const int parts = work < (1 << 17) ? 1 : std::min(threads::count(), std::max(1, m.rows / 64));
    auto bound = [&](int tid, int np) {  // a multiple of 16 rows (a bf16 block, four int8 blocks)
        return tid == np ? m.rows : (int)((int64_t)m.rows * tid / np) & ~(bf16::BLOCK - 1);
    };
    auto job = [&](int tid, int np) {
        const int r0 = bound(tid, np), r1 = bound(tid + 1, np);
        if (r1 <= r0) return;
        if (run.precision == RNN4J_INT8)
            int8::gemm(n, r0, r1, m.ld, run.q, m.ld, run.qscale, run.qzp, static_cast<const int8_t *>(m.w), m.scale,
                       m.sum, C, ldc, accumulate);
        else
            bf16::gemm(n, r0, r1, m.cols, A, lda, static_cast<const uint16_t *>(m.w), C, ldc, accumulate);
    };
    if (parts < 2)
        job(0, 1);
    else
        threads::run(parts, job);
}

}  // namespace

int64_t block_bytes(const Dims &d, int precision) {
    return walk(d, precision, [](int, int, int, int, int, int, int64_t, int64_t, int64_t) {}) + 64;
}

void quantize(const Dims &d, const rnn4j_desc &desc, int precision, const float *params, void *block) {
    char *base = aligned(block);
    Header *h = reinterpret_cast<Header *>(base);
    h->magic = 0;  // invalid while being written
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
    if (precision == RNN4J_BF16) {
        // The fp32 copy: biases as they are, weights the widened bf16 values.
        float *copy = reinterpret_cast<float *>(base + up64(sizeof(Header)));
        std::memcpy(copy, params, sizeof(float) * param_count(d));
        for (int k = 0; k < d.L; ++k)
            for (int dir = 0; dir < d.D; ++dir)
                for (int which = IH; which <= HR; ++which) {
                    if (which == HR && !d.P) continue;
                    float *wts = const_cast<float *>(weights_of(d, copy, k, dir, which));
                    const int64_t count = (int64_t)(which == HR ? d.P : d.GH) * (which == IH ? d.Ik(k) : which == HH ? d.Ho : d.H);
                    for (int64_t i = 0; i < count; ++i) wts[i] = bf16::widen(bf16::round(wts[i]));
                }
    }
    h->precision = precision;
    h->pad = 0;
    h->desc = desc;
    h->bytes = end + 64;
    h->magic = BLOCK_MAGIC;
}

void check_block(const rnn4j_desc &desc, int precision, const void *block, int64_t bytes) {
    if (!block) throw ArgumentError("quantized is NULL (fill it with rnn4j_quantize)");
    if (bytes < (int64_t)sizeof(Header) + 64)
        throw ArgumentError("quantized_bytes is too small to hold quantized weights (rnn4j_quantized_size)");
    const Header *h = reinterpret_cast<const Header *>(aligned(block));
    if (h->magic != BLOCK_MAGIC) throw StateError("quantized holds no quantized weights (run rnn4j_quantize first)");
    if (h->precision != precision) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "quantized holds weights of precision %d, not %d (run rnn4j_quantize again)",
                      h->precision, precision);
        throw StateError(buf);
    }
    if (std::memcmp(&h->desc, &desc, sizeof desc) != 0)
        throw ArgumentError("desc differs from the one the quantized weights were made for");
    if (bytes < h->bytes) {
        char buf[160];
        std::snprintf(buf, sizeof buf, "quantized_bytes = %lld is smaller than the block's %lld bytes", (long long)bytes,
                      (long long)h->bytes);
        throw ArgumentError(buf);
    }
}

bool bf16_small(int N) { return N <= 8; }

const float *rounded_params(const void *block) {
    return reinterpret_cast<const float *>(aligned(block) + up64(sizeof(Header)));
}

int64_t scratch_bytes(const Dims &d, int T, int N) {
    const int widest = int8::padded(std::max(std::max(d.I, d.D * d.Ho), d.H));
    const int64_t rows = (int64_t)T * N;
    return up64(rows * widest) + 2 * up64(rows * 4) + 64;
}

void place_scratch(Run &run, const Dims &d, int T, int N, char *base, int64_t at) {
    const int widest = int8::padded(std::max(std::max(d.I, d.D * d.Ho), d.H));
    const int64_t rows = (int64_t)T * N;
    at = up64(at);
    run.q = reinterpret_cast<uint8_t *>(base + at);
    at += up64(rows * widest);
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

void forward_direction(const Dims &d, const Run &run, const Direction &f) {
    const int GH = d.GH, H = d.H, Ho = d.Ho, Ik = d.Ik(f.k), ldo = d.D * Ho;
    const QMat ih = run.mat(d, f.k, f.dir, IH), hh = run.mat(d, f.k, f.dir, HH);
    const QMat hr = d.P ? run.mat(d, f.k, f.dir, HR) : QMat();
    // The input projection of every row at once. BF16 over many rows is a compute-bound GEMM: the
    // tuned fp32 one on the rounded copy gives the same products.
    if (run.precision == RNN4J_BF16 && f.R > 8)
        gemm::nt(f.R, GH, Ik, f.in, Ik, weights_of(d, rounded_params(run.block), f.k, f.dir, IH), Ik, 0.0f, f.pre,
                 GH);
    else
        mul(run, ih, f.R, f.in, Ik, f.pre, GH, false);
    for (int s = 0; s < f.Teff; ++s) {
        const int t = f.dir == 0 ? s : f.Teff - 1 - s;
        const int n = f.nt[t];
        const int64_t o = f.off[t];
        float *pre_t = f.pre + o * GH;
        // h W_hh^T; GRU keeps it apart for r * (.)
        if (d.gru())
            mul(run, hh, n, f.S, Ho, f.scr, GH, false);
        else
            mul(run, hh, n, f.S, Ho, pre_t, GH, true);
        pointwise::FwdStep st = pointwise::fwd_step(n, H, Ho, d.relu(), pre_t, d.gru() ? f.scr : nullptr, f.b_ih,
                                                    f.b_hh, f.S, f.C, f.out + o * ldo + f.dir * Ho, ldo);
        if (d.P) st.m = f.scr;
        if (d.lstm())
            pointwise::fwd_lstm(st);
        else if (d.gru())
            pointwise::fwd_gru(st);
        else
            pointwise::fwd_rnn(st);
        if (d.P) {  // h = m W_hr^T, into the output rows, then into the state
            mul(run, hr, n, st.m, H, st.y, ldo, false);
            for (int j = 0; j < n; ++j) std::memcpy(f.S + (int64_t)j * Ho, st.y + (int64_t)j * ldo, sizeof(float) * Ho);
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
