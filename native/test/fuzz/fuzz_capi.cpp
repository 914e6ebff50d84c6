// libFuzzer target for the C API (native/include/rnn4j/rnn4j.h), built by scripts/fuzz.sh with
// -fsanitize=fuzzer,address,undefined. Not part of the default CMake build.
//
// Each input decodes into a descriptor (often valid, sometimes with bad or extreme fields), T, N,
// and a short program of calls on one workspace: forward (inference / training / bad flag, with
// good, bad or absent lengths), backward_data, backward_weights, backward, the reduced-precision
// calls (quantized_size, quantize into a block of exactly the claimed size or a short one, or not
// at all, then forward_precision, also with another precision or descriptor than the block's; in
// fp32 with prepacked weights or without a block), the size queries, with NULL or present pointers, honest or too-small workspace sizes, misaligned workspaces and
// descriptors that differ from the recorded one. Every buffer is allocated with exactly the size
// the contract gives it (and the workspace with exactly the bytes claimed), so AddressSanitizer
// reports any read or write outside it.
//
// Besides "no crash, no sanitizer report", every call is checked against a model of the contract:
//   - the status is RNN4J_OK exactly when the model says the call is valid; otherwise it is an error
//     status with a non-empty rnn4j_last_error();
//   - on error nothing has been written: output canaries, the gradient buffer and the recorded
//     workspace state are unchanged;
//   - on success, padding rows of y and dx are 0, cN / dc0 are left alone for cells without a cell
//     state, param_count equals the count computed here in closed form.
// A violation prints what happened and calls abort(), which libFuzzer reports as a crash with the
// input saved.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <vector>

#include "rnn4j/rnn4j.h"

namespace {

// ---- Reading the input ----------------------------------------------------------------------

struct Input {
    const uint8_t *p;
    size_t n, i = 0;
    uint8_t u8() { return i < n ? p[i++] : 0; }
    uint32_t u32() {
        uint32_t v = 0;
        for (int k = 0; k < 4; ++k) v = (v << 8) | u8();
        return v;
    }
};

// A size field: usually small (1..small), sometimes an edge value.
int32_t size_field(Input &in, int small) {
    const uint8_t b = in.u8();
    if (b < 216) return 1 + b % small;
    switch (b % 10) {
        case 0: return 0;
        case 1: return -1;
        case 2: return std::numeric_limits<int32_t>::min();
        case 3: return std::numeric_limits<int32_t>::max();
        case 4: return 1 << 16;
        case 5: return 46341;  // its square just exceeds INT32_MAX
        case 6: return 1 << 30;
        case 7: return (int32_t)in.u32();
        case 8: return 3 * 65536;
        default: return small + 1 + in.u8() % 64;
    }
}

// A 0/1 flag, sometimes something else.
int32_t flag_field(uint8_t b, int bit) {
    if ((b & 0xC0) == 0xC0 && (b >> 3 & 7) == bit) return (b & 1) ? 2 : -1;
    return (b >> bit) & 1;
}

[[noreturn]] void violation(const char *what, int32_t status) {
    std::fprintf(stderr, "CONTRACT VIOLATION: %s (status %d, last error \"%s\")\n", what, status,
                 rnn4j_last_error());
    std::abort();
}

// ---- The model of the contract ----------------------------------------------------------------

struct Model {
    bool valid = false;
    int64_t G = 0, Ho = 0, D = 0;
};

Model model(const rnn4j_desc &s) {
    Model m;
    if (s.cell < 0 || s.cell > 3) return m;
    if (s.input_size < 1 || s.hidden_size < 1 || s.num_layers < 1) return m;
    if (s.bidirectional != 0 && s.bidirectional != 1) return m;
    if (s.bias != 0 && s.bias != 1) return m;
    if (s.batch_first != 0 && s.batch_first != 1) return m;
    if (s.proj_size != 0 && (s.cell != RNN4J_LSTM || s.proj_size < 1 || s.proj_size >= s.hidden_size)) return m;
    m.G = s.cell == RNN4J_LSTM ? 4 : s.cell == RNN4J_GRU ? 3 : 1;
    m.Ho = s.proj_size ? s.proj_size : s.hidden_size;
    m.D = s.bidirectional ? 2 : 1;
    if (m.G * s.hidden_size > INT32_MAX || m.D * m.Ho > INT32_MAX) return m;
    m.valid = true;
    return m;
}

// The parameter count in closed form (128-bit), or -1 if it does not fit in int64.
int64_t expected_params(const rnn4j_desc &s, const Model &m) {
    const __int128 GH = (__int128)m.G * s.hidden_size;
    const __int128 extra = (s.bias ? 2 * GH : 0) + (__int128)s.proj_size * s.hidden_size;
    const __int128 first = GH * s.input_size + GH * m.Ho + extra;
    const __int128 other = GH * (m.D * m.Ho) + GH * m.Ho + extra;
    const __int128 total = m.D * (first + (__int128)(s.num_layers - 1) * other);
    return total > INT64_MAX ? -1 : (int64_t)total;
}

// ---- Buffers of exact sizes --------------------------------------------------------------------

constexpr uint32_t CANARY = 0x7fc0beefu;  // a NaN pattern no kernel produces

struct Buf {
    float *p = nullptr;
    int64_t n = 0;
    Buf() = default;
    explicit Buf(int64_t count) : n(count) { p = static_cast<float *>(std::malloc(sizeof(float) * (count > 0 ? count : 1))); }
    Buf(const Buf &) = delete;
    Buf &operator=(const Buf &) = delete;
    Buf(Buf &&o) noexcept : p(o.p), n(o.n) { o.p = nullptr; }
    Buf &operator=(Buf &&o) noexcept {
        std::free(p);
        p = o.p;
        n = o.n;
        o.p = nullptr;
        return *this;
    }
    ~Buf() { std::free(p); }
    void canary() {
        for (int64_t i = 0; i < n; ++i) std::memcpy(p + i, &CANARY, 4);
    }
    bool untouched() const {
        for (int64_t i = 0; i < n; ++i)
            if (std::memcmp(p + i, &CANARY, 4) != 0) return false;
        return true;
    }
    void fill(uint64_t &rng, float scale) {
        for (int64_t i = 0; i < n; ++i) {
            rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
            p[i] = scale * ((float)(rng >> 40) / (float)(1 << 24) * 2.0f - 1.0f);
        }
    }
};

// Sizes of one call's tensors.
struct Sizes {
    int64_t x, y, h, c;
};
int64_t sat(__int128 v) { return v > INT64_MAX ? INT64_MAX : (int64_t)v; }
Sizes sizes(const rnn4j_desc &s, const Model &m, int64_t T, int64_t N) {
    const __int128 TN = (__int128)T * N, LDN = (__int128)s.num_layers * m.D * N;
    return {sat(TN * s.input_size), sat(TN * m.D * m.Ho), sat(LDN * m.Ho), sat(LDN * s.hidden_size)};
}

// What the last successful forward recorded in the workspace.
enum { REC_NONE, REC_INFER, REC_TRAIN, REC_BWD };
struct Recorded {
    int state = REC_NONE;
    int32_t T = 0, N = 0;
    std::vector<int32_t> lengths;  // empty: all T
    rnn4j_desc desc{};
};

bool same(const rnn4j_desc &a, const rnn4j_desc &b) { return std::memcmp(&a, &b, sizeof a) == 0; }

// Checks an error status: not OK, a known code, and a message.
void expect_error(int32_t st, const char *call) {
    if (st == RNN4J_OK) {
        std::fprintf(stderr, "%s: ", call);
        violation("an invalid call returned RNN4J_OK", st);
    }
    if (st < RNN4J_ERR_ARGUMENT || st > RNN4J_ERR_UNSUPPORTED) violation("unknown status code", st);
    const char *msg = rnn4j_last_error();
    if (!msg || !*msg) violation("error without a message", st);
}

void expect(bool valid, int32_t st, const char *call) {
    if (valid) {
        if (st != RNN4J_OK) {
            std::fprintf(stderr, "%s: ", call);
            violation("a valid call failed", st);
        }
    } else {
        expect_error(st, call);
    }
}

// Checks that rows t >= len_b of a [T, N, w] (or [N, T, w]) tensor are 0.
void expect_zero_padding(const Buf &b, const Recorded &r, int64_t w, bool bf, const char *what) {
    if (r.lengths.empty() || !b.p) return;
    for (int64_t n = 0; n < r.N; ++n)
        for (int64_t t = r.lengths[n]; t < r.T; ++t) {
            const float *row = b.p + (bf ? n * r.T + t : t * r.N + n) * w;
            for (int64_t u = 0; u < w; ++u)
                if (row[u] != 0.0f) {
                    uint32_t bits;
                    std::memcpy(&bits, row + u, 4);
                    std::fprintf(stderr, "%s[t=%lld, b=%lld, %lld] = %g (bits 0x%08x%s)\n", what, (long long)t, (long long)n,
                                 (long long)u, row[u], bits, bits == CANARY ? ", never written" : "");
                    violation("padding is not zero", 0);
                }
        }
}

// Memory limits for one input: larger valid sizes only exercise the checks.
constexpr int64_t MAX_FLOATS = 1 << 14;
constexpr int64_t MAX_WS = 1ll << 20;

struct Workspace {
    char *raw = nullptr;
    char *p = nullptr;
    int64_t bytes = 0;  // exactly what was allocated from p on
    ~Workspace() { std::free(raw); }
};

}  // namespace

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
    setenv("OPENBLAS_NUM_THREADS", "1", 0);
    return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    Input in{data, size};

    // Descriptor.
    rnn4j_desc desc{};
    const uint8_t c = in.u8();
    desc.cell = c < 240 ? c % 4 : (int8_t)c;
    desc.input_size = size_field(in, 9);
    desc.hidden_size = size_field(in, 9);
    desc.num_layers = size_field(in, 3);
    // Known slow path (reported, not a crash): rnn4j_param_count loops over the layers, and every
    // forward / backward recomputes each layer's parameter offsets by another loop over the layers
    // below it (O(L^2) per call). num_layers near INT32_MAX takes seconds per query, which libFuzzer
    // would report as a timeout; keep the extreme layer counts to 2^16 here.
    if (desc.num_layers > (1 << 16)) desc.num_layers = (1 << 16) + (desc.num_layers & 0xff);
    const uint8_t f = in.u8();
    desc.bidirectional = flag_field(f, 0);
    desc.bias = flag_field(f, 1);
    desc.batch_first = flag_field(f, 2);
    const uint8_t p = in.u8();
    if (p < 128) desc.proj_size = 0;
    else if (p < 224) desc.proj_size = desc.hidden_size > 1 ? 1 + p % (desc.hidden_size - 1) : 1;
    else desc.proj_size = size_field(in, 9);
    const int32_t T = size_field(in, 12);
    const int32_t N = size_field(in, 5);
    const uint8_t setup = in.u8();
    uint64_t rng = 0x9E3779B97F4A7C15ull ^ in.u32();

    const Model m = model(desc);
    const rnn4j_desc desc_copy = desc;

    // rnn4j_check_desc and rnn4j_param_count against the model.
    int32_t st = rnn4j_check_desc(setup & 1 ? nullptr : &desc);
    expect(!(setup & 1) && m.valid, st, "rnn4j_check_desc");
    int64_t count = -7;
    st = rnn4j_param_count(&desc, (setup & 2) ? nullptr : &count);
    const int64_t want_count = m.valid ? expected_params(desc, m) : -1;
    const bool count_ok = m.valid && !(setup & 2) && want_count >= 0;
    expect(count_ok, st, "rnn4j_param_count");
    if (count_ok && count != want_count) violation("rnn4j_param_count differs from the closed form", st);
    if (!count_ok && count != -7) violation("rnn4j_param_count wrote its output on error", st);
    if (m.valid && want_count < 0) return 0;  // valid, but no parameter buffer can exist
    if (!m.valid) {
        // Every other entry point must reject the descriptor before touching anything else.
        float dummy[1] = {0};
        char ws[256];
        int64_t bytes = -7;
        expect_error(rnn4j_workspace_size(&desc, T, N, 1, &bytes), "rnn4j_workspace_size");
        if (bytes != -7) violation("rnn4j_workspace_size wrote its output on error", 1);
        expect_error(rnn4j_forward(&desc, T, N, nullptr, 0, dummy, dummy, nullptr, nullptr, dummy, nullptr, nullptr,
                                   ws, sizeof ws),
                     "rnn4j_forward");
        expect_error(rnn4j_backward(&desc, dummy, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, dummy, ws,
                                    sizeof ws),
                     "rnn4j_backward");
        return 0;
    }

    // Workspace sizes for the base T, N.
    int64_t need[2] = {-1, -1};
    for (int tr = 0; tr < 2; ++tr) {
        st = rnn4j_workspace_size(&desc, T, N, tr, &need[tr]);
        const bool shape_ok = T >= 1 && N >= 1 && (int64_t)T * N <= INT32_MAX;
        if (!shape_ok) expect_error(st, "rnn4j_workspace_size");
        // Small shapes must succeed; huge ones may overflow int64 and be rejected.
        const bool all_small = (int64_t)T * N <= (1 << 20) && desc.input_size <= 4096 && desc.hidden_size <= 4096 &&
                               desc.num_layers <= 4096;
        if (shape_ok && all_small && st != RNN4J_OK) violation("rnn4j_workspace_size failed", st);
        if (st == RNN4J_OK && need[tr] <= 64) violation("workspace size implausibly small", st);
        if (st != RNN4J_OK) need[tr] = -1;
    }
    expect_error(rnn4j_workspace_size(&desc, T, N, 2 + (setup >> 7), &need[0]), "rnn4j_workspace_size(training=2)");
    expect_error(rnn4j_workspace_size(&desc, T, N, 0, nullptr), "rnn4j_workspace_size(bytes=NULL)");

    const Sizes sz = sizes(desc, m, T > 0 ? T : 0, N > 0 ? N : 0);
    const bool small = desc.num_layers <= 64 && need[0] > 0 && need[1] > 0 && need[1] <= MAX_WS && want_count <= MAX_FLOATS &&
                       sz.x <= MAX_FLOATS && sz.y <= MAX_FLOATS && sz.h <= MAX_FLOATS && sz.c <= MAX_FLOATS;
    if (!small) {
        // Too large to allocate here: a real (small) workspace must be refused before any tensor is
        // read. x, y and params point at one float; lengths is NULL.
        float dummy[1] = {0};
        Workspace w;
        w.raw = static_cast<char *>(std::malloc(4096));
        // (Only where 4096 bytes are truly too small: otherwise the call is valid and would read
        // tensors this harness did not allocate.)
        const int32_t tr = setup >> 6 & 1;
        const bool could_fit = need[tr] > 0 && need[tr] <= 4096;
        if (!could_fit) {
            st = rnn4j_forward(&desc, T, N, nullptr, tr, dummy, dummy, nullptr, nullptr, dummy, nullptr, nullptr, w.raw,
                               4096);
            expect_error(st, "rnn4j_forward (huge, small workspace)");
        }
        return 0;
    }

    // Parameters, gradients, workspace (exactly `bytes` from a possibly misaligned start).
    Buf params(want_count), grads(want_count);
    params.fill(rng, 1.0f / std::sqrt((float)desc.hidden_size));
    grads.fill(rng, 1.0f);
    Workspace w;
    const int64_t off = setup >> 2 & 31;  // 0..31 bytes of misalignment
    const int64_t ws_alloc = std::max(need[0], need[1]) + (setup & 4 ? 0 : 256);
    w.raw = static_cast<char *>(std::malloc(ws_alloc + off));
    w.p = w.raw + off;
    w.bytes = ws_alloc;
    // Fresh workspaces hold garbage, not zeros: a stale header must not look like a recorded forward.
    std::memset(w.p, (int)(setup * 37u & 0xff), std::min<int64_t>(w.bytes, 4096));
    Recorded rec;

    const int ops = 1 + in.u8() % 8;
    for (int op = 0; op < ops && in.i < in.n; ++op) {
        const uint8_t kind = in.u8() % 6;
        const uint8_t a = in.u8(), b = in.u8(), wsel = in.u8();
        // The descriptor of this call: usually the base one, sometimes one field changed.
        rnn4j_desc d = desc;
        if (kind != 0 && (a & 0xE0) == 0xE0) {
            switch (a & 3) {
                case 0: d.bias ^= 1; break;
                case 1: d.batch_first ^= 1; break;
                case 2: d.hidden_size += 1; break;
                default: d.cell = 9; break;
            }
        }
        const Model dm = model(d);
        // The workspace bytes claimed by this call.
        void *ws = w.p;
        int64_t claim = w.bytes;
        if (wsel >= 240) ws = nullptr;
        else if (wsel >= 224) claim = wsel & 1 ? 0 : -5;
        else if (wsel >= 192) claim = std::max<int64_t>(0, w.bytes - 1 - (int64_t)in.u8() * (wsel & 7));

        if (kind == 5) {  // reduced precision: quantized_size, quantize, forward_precision
            const int32_t precs[4] = {RNN4J_BF16, RNN4J_INT8, RNN4J_FP32, (a & 8) ? 3 : -1};
            const int32_t prec = precs[a & 3];
            const bool reduced = prec == RNN4J_BF16 || prec == RNN4J_INT8, fp32 = prec == RNN4J_FP32;
            const bool prepared = reduced || fp32;  // a block: reduced weights, or fp32 prepacked ones
            int64_t qbytes = -7;
            st = rnn4j_quantized_size(&desc, prec, &qbytes);
            expect(prepared, st, "rnn4j_quantized_size");
            if (st != RNN4J_OK && qbytes != -7) violation("rnn4j_quantized_size wrote its output on error", st);
            const int64_t qalloc = st == RNN4J_OK ? qbytes : 4096;
            if (qalloc > MAX_WS) continue;
            // The block: exactly the bytes claimed, garbage until rnn4j_quantize fills it.
            char *q = static_cast<char *>(std::malloc(qalloc));
            std::memset(q, (int)(a * 53u & 0xff), qalloc);
            const int64_t qclaim = prepared && (b & 1) ? qbytes - 1 - (b >> 1 & 63) : qalloc;
            const bool null_params = (b & 6) == 6, quantize = !(b & 8);
            bool filled = false;
            if (quantize) {
                st = rnn4j_quantize(&desc, prec, null_params ? nullptr : params.p, q, qclaim);
                filled = prepared && !null_params && qclaim >= qbytes;
                expect(filled, st, "rnn4j_quantize");
            }
            int64_t need_p = -7;
            st = rnn4j_workspace_size_precision(&desc, prec, T, N, &need_p);
            expect(reduced || fp32, st, "rnn4j_workspace_size_precision");
            if (st != RNN4J_OK) {
                if (need_p != -7) violation("rnn4j_workspace_size_precision wrote its output on error", st);
                std::free(q);
                continue;
            }
            // The shared workspace when it is large enough (a successful call must then make a recorded
            // training forward unusable for backward), else one of exactly the claimed size.
            Workspace own;
            void *pws = ws;
            int64_t pclaim = claim;
            const bool shared = w.bytes >= need_p;
            if (!shared && ws) {
                if (need_p > MAX_WS) {
                    std::free(q);
                    continue;
                }
                own.raw = static_cast<char *>(std::malloc(need_p));
                pws = own.raw;
                pclaim = wsel >= 192 ? claim - (w.bytes - need_p) : need_p;
            }
            const bool lens_bad = (b & 0x30) == 0x30;
            std::vector<int32_t> lens;
            if (b & 0x20) {
                lens.resize(N);
                for (int j = 0; j < N; ++j) lens[j] = 1 + in.u8() % T;
                if (lens_bad) lens[in.u8() % N] = T + 1;
            }
            const Sizes s = sizes(desc, m, T, N);
            Buf x(s.x), y(s.y), h0(s.h), c0(s.c), hN(s.h), cN(s.c);
            x.fill(rng, (b & 0x40) ? 1e30f : 1.0f);  // huge activations: int8 scales, no overflow
            h0.fill(rng, 1.0f);
            c0.fill(rng, 1.0f);
            y.canary();
            hN.canary();
            cN.canary();
            // Another descriptor than the block's must be refused before any tensor is read; in fp32
            // without a block (half the fp32 calls) there is none to tell, so the call gets the
            // buffers' own descriptor.
            const bool no_block = fp32 && (wsel & 0x20);
            const rnn4j_desc &fd = no_block ? desc : d;
            const bool other_desc = !same(fd, desc);
            const bool valid = (no_block || filled) && !other_desc && !lens_bad && pws && pclaim >= need_p;
            st = rnn4j_forward_precision(&fd, prec, T, N, lens.empty() ? nullptr : lens.data(), params.p,
                                         no_block ? nullptr : q, qclaim, x.p,
                                         (b & 0x80) ? h0.p : nullptr, (b & 0x80) ? c0.p : nullptr, y.p, hN.p, cN.p, pws,
                                         pclaim);
            std::free(q);
            expect(valid, st, "rnn4j_forward_precision");
            if (!valid) {
                if (!y.untouched() || !hN.untouched() || !cN.untouched())
                    violation("rnn4j_forward_precision wrote on error", st);
                continue;
            }
            for (int64_t i = 0; i < y.n; ++i)
                if (std::memcmp(y.p + i, &CANARY, 4) == 0) violation("y not fully written", st);
            if (hN.untouched()) violation("hN not written", st);
            Recorded r;
            r.state = REC_INFER;
            r.T = T;
            r.N = N;
            r.lengths = lens;
            r.desc = desc;
            expect_zero_padding(y, r, m.D * m.Ho, desc.batch_first, "y");
            if (shared && pws == w.p) rec = r;  // the workspace now records an inference: no backward
            continue;
        }
        if (kind == 0) {  // forward
            int32_t t = T, n = N;
            if (a & 0x80) t = 1 + (a & 0x7f) % (2 * T);  // a different T, maybe more than the workspace holds
            int32_t training = a & 1;
            if ((a & 0x60) == 0x60) training = (a & 2) ? 2 : -1;
            const int lsel = b & 3;  // 0,1: NULL; 2: valid; 3: one bad
            std::vector<int32_t> lens;
            bool lens_ok = true;
            if (lsel >= 2) {
                lens.resize(n);
                for (int j = 0; j < n; ++j) lens[j] = 1 + in.u8() % t;
                if (lsel == 3) {
                    const int32_t bad[4] = {0, -1, t + 1, std::numeric_limits<int32_t>::min()};
                    lens[in.u8() % n] = bad[in.u8() % 4];
                    lens_ok = false;
                }
            }
            const bool null_params = (b & 0x1C) == 0x04, null_x = (b & 0x1C) == 0x08, null_y = (b & 0x1C) == 0x0C;
            const bool has_h0 = b & 0x20, has_c0 = b & 0x40, has_hN = b & 0x80, has_cN = wsel & 0x10;
            const bool alias = (a & 0x18) == 0x18;
            const Sizes s = sizes(d, m, t, n);
            Buf x(s.x), y(s.y), h0(s.h), c0(s.c), hN(s.h), cN(s.c);
            x.fill(rng, 1.0f);
            h0.fill(rng, 1.0f);
            c0.fill(rng, 1.0f);
            y.canary();
            hN.canary();
            cN.canary();
            int64_t need_t = -1;
            if (rnn4j_workspace_size(&d, t, n, training == 1, &need_t) != RNN4J_OK) violation("workspace_size", 1);
            const bool valid = (training == 0 || training == 1) && lens_ok && !null_params && !null_x && !null_y &&
                               ws && claim >= need_t;
            float *hNp = alias && has_h0 ? h0.p : has_hN ? hN.p : nullptr;
            float *cNp = alias && has_c0 ? c0.p : has_cN ? cN.p : nullptr;
            st = rnn4j_forward(&d, t, n, lens.empty() ? nullptr : lens.data(), training, null_params ? nullptr : params.p,
                               null_x ? nullptr : x.p, has_h0 ? h0.p : nullptr, has_c0 ? c0.p : nullptr,
                               null_y ? nullptr : y.p, hNp, cNp, ws, claim);
            expect(valid, st, "rnn4j_forward");
            if (!valid) {
                if (!y.untouched() || !hN.untouched() || !cN.untouched()) violation("rnn4j_forward wrote on error", st);
                continue;
            }
            Recorded r;
            r.state = training ? REC_TRAIN : REC_INFER;
            r.T = t;
            r.N = n;
            r.lengths = lens;
            r.desc = d;
            rec = r;
            expect_zero_padding(y, rec, m.D * m.Ho, d.batch_first, "y");
            if (d.cell != RNN4J_LSTM && cNp == cN.p && !cN.untouched()) violation("cN written for a cell without c", st);
            if (hNp == hN.p && hN.untouched()) violation("hN not written", st);
            for (int64_t i = 0; i < y.n; ++i)
                if (std::memcmp(y.p + i, &CANARY, 4) == 0) violation("y not fully written", st);
        } else {  // backward_data (1), backward_weights (2), backward (3), a size query with bad arguments (4)
            if (kind == 4) {
                int64_t bytes = -7;
                expect_error(rnn4j_workspace_size(&d, (a & 1) ? 0 : -(int32_t)b, N, 0, &bytes), "workspace_size(T<1)");
                expect_error(rnn4j_workspace_size(&d, T, (a & 1) ? -1 : 0, 1, &bytes), "workspace_size(N<1)");
                if (bytes != -7) violation("workspace_size wrote on error", 1);
                const int32_t threads[4] = {0, -3, 1025, std::numeric_limits<int32_t>::min()};
                expect_error(rnn4j_set_num_threads(threads[b & 3]), "rnn4j_set_num_threads");
                continue;
            }
            const int32_t rt = rec.state >= REC_TRAIN ? rec.T : T, rn = rec.state >= REC_TRAIN ? rec.N : N;
            const Sizes s = sizes(desc, m, rt, rn);
            Buf dy(s.y), dhN(s.h), dcN(s.c), dx(s.x), dh0(s.h), dc0(s.c);
            dy.fill(rng, 1.0f);
            dhN.fill(rng, 1.0f);
            dcN.fill(rng, 1.0f);
            dx.canary();
            dh0.canary();
            dc0.canary();
            const bool null_params = (b & 7) == 1, null_grads = (b & 7) == 2;
            const bool has_dy = b & 8, has_dhN = b & 16, has_dcN = b & 32, has_dx = b & 64, has_dh0 = b & 128,
                       has_dc0 = a & 1;
            int64_t need_rec = -1;
            if (rec.state >= REC_TRAIN && rnn4j_workspace_size(&desc, rec.T, rec.N, 1, &need_rec) != RNN4J_OK)
                violation("workspace_size", 1);
            const bool ws_ok = ws && claim >= need_rec && need_rec > 0 && dm.valid && same(d, rec.desc);
            std::vector<float> before(grads.p, grads.p + grads.n);
            const float *pp = null_params ? nullptr : params.p;
            float *gp = null_grads ? nullptr : grads.p;
            bool valid;
            const char *name;
            if (kind == 1) {
                name = "rnn4j_backward_data";
                valid = ws_ok && pp && rec.state >= REC_TRAIN;
                st = rnn4j_backward_data(&d, pp, has_dy ? dy.p : nullptr, has_dhN ? dhN.p : nullptr,
                                         has_dcN ? dcN.p : nullptr, has_dx ? dx.p : nullptr, has_dh0 ? dh0.p : nullptr,
                                         has_dc0 ? dc0.p : nullptr, ws, claim);
            } else if (kind == 2) {
                name = "rnn4j_backward_weights";
                valid = ws_ok && gp && rec.state == REC_BWD;
                st = rnn4j_backward_weights(&d, gp, ws, claim);
            } else {
                name = "rnn4j_backward";
                valid = ws_ok && pp && gp && rec.state >= REC_TRAIN;
                st = rnn4j_backward(&d, pp, has_dy ? dy.p : nullptr, has_dhN ? dhN.p : nullptr,
                                    has_dcN ? dcN.p : nullptr, has_dx ? dx.p : nullptr, has_dh0 ? dh0.p : nullptr,
                                    has_dc0 ? dc0.p : nullptr, gp, ws, claim);
            }
            expect(valid, st, name);
            const bool grads_same = std::memcmp(before.data(), grads.p, sizeof(float) * grads.n) == 0;
            if (!valid) {
                if (!dx.untouched() || !dh0.untouched() || !dc0.untouched()) violation("backward wrote on error", st);
                if (!grads_same) violation("backward changed the gradients on error", st);
                continue;
            }
            if (kind == 1 && !grads_same) violation("backward_data changed the gradients", st);
            if (kind == 2) continue;  // backward_weights takes no data tensors
            rec.state = REC_BWD;
            if (has_dx) expect_zero_padding(dx, rec, desc.input_size, desc.batch_first, "dx");
            if (desc.cell != RNN4J_LSTM && has_dc0 && !dc0.untouched()) violation("dc0 written for a cell without c", st);
            if (has_dh0 && dh0.untouched()) violation("dh0 not written", st);
        }
    }
    if (!same(desc, desc_copy)) violation("the descriptor was modified", 0);
    return 0;
}
