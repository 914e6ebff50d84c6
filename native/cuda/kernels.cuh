// The recurrent and pointwise kernels of the CUDA backend (the GEMMs are in gemm.cuh). The cell
// arithmetic is common/cell_math.h, shared with the CPU kernels.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

#include "steps.hpp"  // common/: BwdStep

namespace rnn4j {
namespace cuda {

// One forward step of one direction: everything the fused cell epilogue reads and writes. Row r
// (0..n-1) is a live sequence of this step (packed layout), u a hidden unit (0..H-1).
struct StepIO {
    int H = 0, Ho = 0, GH = 0;
    bool relu = false, training = false;
    const float *S_in = nullptr;  // [n, Ho] h of the previous step (ping-pong buffer)
    float *S_out = nullptr;       // [n, Ho] new h (unless projection: m written instead)
    const float *W = nullptr;     // W_hh [GH, Ho]
    float *pre = nullptr;         // [n, GH] x W_ih^T of this step; training: post-activation gates out
    const float *b_ih = nullptr, *b_hh = nullptr;  // [GH] or null
    float *C = nullptr;           // LSTM [N, H] cell state, updated in place
    float *y = nullptr;           // output rows (stride ldy, this direction's columns)
    int ldy = 0;
    float *m = nullptr;           // LSTM with projection: m = o*tanh(c) [n, H]
    float *tc = nullptr;          // training LSTM: tanh(c) [n, H]
    float *ghn = nullptr;         // training GRU: h W_hn^T + b_hn [n, H]
    float *hprev = nullptr;       // training: copy of S_in [n, Ho]
    float *cprev = nullptr;       // training LSTM: c before the step [n, H]
    float clip = 0.0f;            // LSTM cell clip, 0 = none
    float *rh = nullptr;          // reset-before GRU: r*h out [n, H] (training: the saved copy)
    const float *rec = nullptr;   // reset-before GRU: [n, GH] (h W_rz^T, then (r*h) W_hn^T in the n block)
};

// Fused per-step kernel: for n rows, h W_hh^T for a slice of units across ALL gates (a tiled
// product with shared-memory tiles of S and W), then the cell math on the accumulators in
// registers. One launch per step.
void fused_step(int cell, int n, const StepIO &io, cudaStream_t s);

// Persistent small-batch kernel (see kernels.cu). Returns false (nothing launched, no error left
// behind) when it does not apply or the cooperative grid does not fit; the caller falls back.
struct PersistentArgs {
    int cell = 0, D = 1, Teff = 0, N = 0, H = 0;
    bool relu = false, training = false;
    const int32_t *nt = nullptr, *off = nullptr;  // device
    StepIO base[2];      // per direction; pointers at packed row 0 (pre, y, m..) or state buffers
    float *S[2][2] = {};  // per direction ping-pong state buffers [N, H]
};
bool persistent_supported(int cell, int N, int H, int P, int D);
bool persistent_forward(const PersistentArgs &a, cudaStream_t s);

// Backward pointwise step: the gate-gradient block from dh (dy + carried dS), dc and the saved
// activations (BwdStep: common/steps.hpp). Mirrors cpu/pointwise.cpp.
void bwd_step(int cell, int n, const BwdStep &io, cudaStream_t s);

// Fused backward step (no projection): the carried gradient dh_t = dG_{t'} W_hh (t' = the step
// processed before, np = its live rows; plus dh*z for GRU) computed as a tiled product for a
// slice of units and fed straight into the gate-gradient math in registers; one launch per step
// instead of a pointwise kernel plus a GEMM. Rows r < n are live at this step; rows n <= r < np
// died (reverse direction): their final carried gradient is stored in dS. Rows n' <= r < n are
// new (forward direction): their carried gradient is dS as gathered from dhN.
//   dgh_prev [np, G*H] the h-side gate gradients of step t' (null when np = 0); W = W_hh [G*H, H].
void bwd_fused_step(int cell, int n, int np, const BwdStep &io, const float *dgh_prev, const float *W,
                    cudaStream_t s);

// Reset-before GRU (common/cell_math.h, as cpu/pointwise.cpp): forward gates (r, z into pre, r*h
// into io.rh; training: S_in copied to hprev) then, after the caller's (r*h) W_hn^T into rec's n
// block, out (h' into S_out and y; training: n into pre). Backward: n (dz, dn into dgi, dS <- dh*z)
// then, after q = dn W_hn, r (dr into dgi, dS += q*r).
void gru_rb_gates(int n, const StepIO &io, cudaStream_t s);
void gru_rb_out(int n, const StepIO &io, cudaStream_t s);
void gru_rb_bwd_n(int n, const BwdStep &io, cudaStream_t s);
void gru_rb_bwd_r(int n, const BwdStep &io, cudaStream_t s);

// Projection clip: n rows of width w (stride ld) clamped to [-clip, clip] in place, the values
// before the clamp copied to pre_out ([n, w]) unless null; and dh [n, w] zeroed where |pre| > clip.
void clip_rows(int n, int w, float *h, int ld, float clip, float *pre_out, cudaStream_t s);
void clip_grad_rows(int n, int w, const float *pre, float clip, float *dh, cudaStream_t s);

// Dropout between layers (common/philox.h): buf [R, D*Ho] (packed) times the mask of layer k and
// 1/(1-p); rowsrc gives each packed row's caller row (t, b) of the [T, N] or batch-first layout.
void dropout_rows(int R, int D, int Ho, const int32_t *rowsrc, bool bf, int T, int N, int k, uint64_t seed, float p,
                  float *buf, cudaStream_t s);

// out[j, :] = (dy ? dy[j, :] : 0) + dS[j, :], n rows of width w.
void add_rows(int n, int w, const float *dy, int ldy, const float *dS, float *out, cudaStream_t s);
// dst[j, :] = src[j, :] for n rows of width w with strides.
void copy_rows(int n, int w, const float *src, int lds, float *dst, int ldd, cudaStream_t s);

// Packing: rowsrc[r] = the caller's row of packed row r.
void pack_rows(int R, int w, const int32_t *rowsrc, const float *src, float *dst, cudaStream_t s);
// dst (T*N rows) zero-filled, then packed rows scattered back.
void unpack_rows(int R, int64_t user_rows, int w, const int32_t *rowsrc, const float *src, float *dst,
                 cudaStream_t s);
// S[j, :] = src ? src[perm[j], :] : 0 for N rows.
void gather_state(int N, int w, const int32_t *perm, const float *src, float *S, cudaStream_t s);
// dst[perm[j], :] = (sel(j) ? S1 : S0)[j, :]; sel(j) = by_len ? lens[j] % 2 : parity.
void scatter_state(int N, int w, const int32_t *perm, const int32_t *lens, bool by_len, int parity, const float *S0,
                   const float *S1, float *dst, cudaStream_t s);
// out[c] += sum over rows of m[r, c] (deterministic, double accumulation).
void colsum_acc(int rows, int cols, const float *m, float *out, cudaStream_t s);

}  // namespace cuda
}  // namespace rnn4j
