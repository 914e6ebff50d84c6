// The recurrent and pointwise kernels (see kernels.cuh). The arithmetic of every cell is in
// common/cell_math.h, shared with the CPU kernels, so both backends compute the same thing.
#include "kernels.cuh"

#include <cooperative_groups.h>

#include "cell_math.h"
#include "common.cuh"
#include "philox.h"

namespace cg = cooperative_groups;

namespace rnn4j {
namespace cuda {

using namespace rnn4j::cell;

namespace {

// ---- The cell epilogue: the gate math of one (row r, unit u) on its recurrent sums acc[g] ----
// (acc[g] = (h W_hh^T)[r, g*H + u], no bias). Reads S_in with ld.global.cg: in the persistent
// kernel other multiprocessors rewrite the ping-pong buffers between steps, and L1 is not coherent.
template <int G>
__device__ __forceinline__ void epilogue(const StepIO &io, int r, int u, const float (&acc)[G]) {
    const int H = io.H, Ho = io.Ho, GH = io.GH;
    float *pre = io.pre + (int64_t)r * GH;
    const float *b_ih = io.b_ih, *b_hh = io.b_hh;
    auto bias = [&](int k) { return (b_ih ? b_ih[k] : 0.0f) + (b_hh ? b_hh[k] : 0.0f); };
    if (io.training && u < Ho) io.hprev[(int64_t)r * Ho + u] = __ldcg(io.S_in + (int64_t)r * Ho + u);
    if constexpr (G == 1) {
        const float h = rnn_fwd(pre[u] + acc[0] + bias(u), io.relu);
        io.S_out[(int64_t)r * Ho + u] = h;
        io.y[(int64_t)r * io.ldy + u] = h;
        if (io.training) pre[u] = h;
    } else if constexpr (G == 4) {
        float *c = io.C + (int64_t)r * H + u;
        const float cp = *c;
        const LstmFwd f = lstm_fwd(pre[u] + acc[0] + bias(u), pre[H + u] + acc[1] + bias(H + u),
                                   pre[2 * H + u] + acc[2] + bias(2 * H + u),
                                   pre[3 * H + u] + acc[3] + bias(3 * H + u), cp, io.clip);
        *c = f.c;
        if (io.m) {
            io.m[(int64_t)r * H + u] = f.m;
        } else {
            io.S_out[(int64_t)r * Ho + u] = f.m;
            io.y[(int64_t)r * io.ldy + u] = f.m;
        }
        if (io.training) {
            pre[u] = f.i;
            pre[H + u] = f.f;
            pre[2 * H + u] = f.g;
            pre[3 * H + u] = f.o;
            io.tc[(int64_t)r * H + u] = f.tc;
            io.cprev[(int64_t)r * H + u] = cp;
        }
    } else {  // GRU
        const float hp = __ldcg(io.S_in + (int64_t)r * Ho + u);
        const float ar = pre[u] + acc[0] + bias(u);
        const float az = pre[H + u] + acc[1] + bias(H + u);
        const float xn = pre[2 * H + u] + (b_ih ? b_ih[2 * H + u] : 0.0f);
        const float hn = acc[2] + (b_hh ? b_hh[2 * H + u] : 0.0f);
        const GruFwd f = gru_fwd(ar, az, xn, hn, hp);
        io.S_out[(int64_t)r * Ho + u] = f.h;
        io.y[(int64_t)r * io.ldy + u] = f.h;
        if (io.training) {
            pre[u] = f.r;
            pre[H + u] = f.z;
            pre[2 * H + u] = f.n;
            io.ghn[(int64_t)r * H + u] = hn;
        }
    }
}

// ---- Fused per-step kernel ------------------------------------------------------------------
// Block: BU hidden units (all G gates of each: G*BU rows of W_hh) x BR batch rows. 256 threads:
// thread (ul = tid % BU, rg = tid / BU) owns unit u0+ul for rows r0 + rg + p*(256/BU). The K loop
// (over Ho) stages BK-wide tiles of W_hh and S in shared memory (+1 padding: conflict-free);
// the G*PR accumulators stay in registers and go straight into the cell epilogue.
template <int G, int BU, int BR, int BK>
__global__ void __launch_bounds__(256) fused_step_kernel(int n, StepIO io) {
    constexpr int RG = 256 / BU, PR = BR / RG;
    static_assert(PR * RG == BR, "BR must be a multiple of 256/BU");
    __shared__ float Ws[G * BU][BK + 1];
    __shared__ float Ss[BR][BK + 1];
    const int tid = threadIdx.x, ul = tid % BU, rg = tid / BU;
    const int u0 = blockIdx.x * BU, r0 = blockIdx.y * BR;
    const int H = io.H, Ho = io.Ho;
    float acc[PR][G];
#pragma unroll
    for (int p = 0; p < PR; ++p)
#pragma unroll
        for (int g = 0; g < G; ++g) acc[p][g] = 0.0f;

    for (int k0 = 0; k0 < Ho; k0 += BK) {
        for (int e = tid; e < G * BU * BK; e += 256) {
            const int kk = e % BK, row = e / BK, g = row / BU, u = u0 + row % BU;
            Ws[row][kk] = (u < H && k0 + kk < Ho) ? io.W[(int64_t)(g * H + u) * Ho + k0 + kk] : 0.0f;
        }
        for (int e = tid; e < BR * BK; e += 256) {
            const int kk = e % BK, r = r0 + e / BK;
            Ss[e / BK][kk] = (r < n && k0 + kk < Ho) ? io.S_in[(int64_t)r * Ho + k0 + kk] : 0.0f;
        }
        __syncthreads();
#pragma unroll 8
        for (int kk = 0; kk < BK; ++kk) {
            float w[G];
#pragma unroll
            for (int g = 0; g < G; ++g) w[g] = Ws[g * BU + ul][kk];
#pragma unroll
            for (int p = 0; p < PR; ++p) {
                const float h = Ss[rg + p * RG][kk];
#pragma unroll
                for (int g = 0; g < G; ++g) acc[p][g] = fmaf(w[g], h, acc[p][g]);
            }
        }
        __syncthreads();
    }
    const int u = u0 + ul;
    if (u >= H) return;
#pragma unroll
    for (int p = 0; p < PR; ++p) {
        const int r = r0 + rg + p * RG;
        if (r < n) epilogue<G>(io, r, u, acc[p]);
    }
}

template <int G>
void launch_fused(int n, const StepIO &io, cudaStream_t s) {
    const int big = ((io.H + 31) / 32) * ((n + 31) / 32);
    if (big >= device_attrs().sms) {
        dim3 grid((io.H + 31) / 32, (n + 31) / 32);
        fused_step_kernel<G, 32, 32, 32><<<grid, 256, 0, s>>>(n, io);
    } else {
        dim3 grid((io.H + 7) / 8, (n + 31) / 32);
        fused_step_kernel<G, 8, 32, 32><<<grid, 256, 0, s>>>(n, io);
    }
}

// ---- Persistent kernel ----------------------------------------------------------------------
// One cooperative launch runs ALL time steps of a layer (both directions: blocks [0, bpd) are the
// forward direction, [bpd, 2*bpd) the reverse). Block b owns UB hidden units: the G*UB rows of
// W_hh for them are loaded into shared memory ONCE and stay there. Per step: stage h (n <= 16
// rows) in shared memory, warps compute the G*UB x n dot products (lanes split K, shuffles
// reduce), the cell epilogue writes the new h into the other ping-pong buffer, grid.sync().
constexpr int PMAXN = 16;  // batch rows the persistent kernel supports
constexpr int PTHREADS = 256;

template <int G>
__global__ void __launch_bounds__(PTHREADS) persistent_kernel(PersistentArgs a, int UB, int bpd) {
    cg::grid_group grid = cg::this_grid();
    extern __shared__ float sm[];
    const int H = a.H, GU = G * UB;
    float *Wsm = sm;               // [GU][H]
    float *hs = Wsm + GU * H;      // [PMAXN][H]
    float *accs = hs + PMAXN * H;  // [PMAXN][GU]
    const int dir = blockIdx.x / bpd, slice = blockIdx.x % bpd;
    const int u0 = slice * UB, ub = min(UB, H - u0);
    const StepIO base = a.base[dir];
    const int tid = threadIdx.x, lane = tid % 32, warp = tid / 32, nwarps = PTHREADS / 32;

    for (int e = tid; e < GU * H; e += PTHREADS) {
        const int row = e / H, k = e % H, g = row / UB, uu = row % UB;
        Wsm[e] = uu < ub ? base.W[(int64_t)(g * H + u0 + uu) * H + k] : 0.0f;
    }
    for (int s = 0; s < a.Teff; ++s) {
        const int t = dir == 0 ? s : a.Teff - 1 - s;
        const int n = a.nt[t];
        const int64_t o = a.off[t];
        const float *S_in = a.S[dir][s & 1];
        for (int e = tid; e < n * H; e += PTHREADS) hs[e] = __ldcg(S_in + e);
        __syncthreads();
        for (int row = warp; row < GU; row += nwarps) {
            if (row % UB >= ub) continue;
            float part[PMAXN];
#pragma unroll
            for (int j = 0; j < PMAXN; ++j) part[j] = 0.0f;
            for (int k = lane; k < H; k += 32) {
                const float w = Wsm[row * H + k];
#pragma unroll
                for (int j = 0; j < PMAXN; ++j)
                    if (j < n) part[j] = fmaf(w, hs[j * H + k], part[j]);
            }
#pragma unroll
            for (int j = 0; j < PMAXN; ++j) {
                if (j >= n) break;  // n is uniform across the block: no divergence around the shuffles
                float v = part[j];
#pragma unroll
                for (int d = 16; d > 0; d /= 2) v += __shfl_xor_sync(0xffffffffu, v, d);
                if (lane == 0) accs[j * GU + row] = v;
            }
        }
        __syncthreads();
        StepIO io = base;
        io.S_in = S_in;
        io.S_out = a.S[dir][(s + 1) & 1];
        io.pre = base.pre + o * base.GH;
        io.y = base.y + o * base.ldy;
        if (a.training) {
            io.hprev = base.hprev + o * base.Ho;
            if constexpr (G == 4) io.tc = base.tc + o * H, io.cprev = base.cprev + o * H;
            if constexpr (G == 3) io.ghn = base.ghn + o * H;
        }
        for (int e = tid; e < n * ub; e += PTHREADS) {
            const int j = e / ub, uu = e % ub;
            float acc[G];
#pragma unroll
            for (int g = 0; g < G; ++g) acc[g] = accs[j * GU + g * UB + uu];
            epilogue<G>(io, j, u0 + uu, acc);
        }
        grid.sync();  // also a memory fence: the new h is visible to every block
    }
}

template <int G>
bool launch_persistent(const PersistentArgs &a, cudaStream_t s) {
    const DeviceAttrs &at = device_attrs();
    // Typed kernel pointer: the runtime's C++ overloads take it (and the host emulator needs the type).
    void (*fn)(PersistentArgs, int, int) = persistent_kernel<G>;
    // Smallest slice with at least 8 W rows per block (one per warp), growing until the grid fits.
    for (int UB = (8 + G - 1) / G; UB <= 64; ++UB) {
        const int bpd = (a.H + UB - 1) / UB;
        const int blocks = a.D * bpd;
        const size_t smem = sizeof(float) * ((size_t)G * UB * a.H + (size_t)PMAXN * a.H + (size_t)PMAXN * G * UB);
        if (smem > (size_t)at.max_smem_optin) return false;  // grows with UB: nothing larger fits either
        RNN4J_CUDA_TRY(cudaFuncSetAttribute(fn, cudaFuncAttributeMaxDynamicSharedMemorySize, (int)smem));
        int per_sm = 0;
        RNN4J_CUDA_TRY(cudaOccupancyMaxActiveBlocksPerMultiprocessor(&per_sm, fn, PTHREADS, smem));
        if ((int64_t)per_sm * at.sms < blocks) continue;
        PersistentArgs args = a;
        int ub = UB, b = bpd;
        void *params[] = {&args, &ub, &b};
        const cudaError_t e = cudaLaunchCooperativeKernel(fn, dim3(blocks), dim3(PTHREADS), params, smem, s);
        if (e == cudaSuccess) return true;
        (void)cudaGetLastError();
        // The grid or its resources do not fit after all (e.g. another context holds SMs, MPS):
        // not an error, the per-step kernel takes over. Anything else is reported.
        if (e == cudaErrorCooperativeLaunchTooLarge || e == cudaErrorLaunchOutOfResources ||
            e == cudaErrorNotSupported || e == cudaErrorInvalidConfiguration)
            return false;
        throw_cuda(e, "cudaLaunchCooperativeKernel", __FILE__, __LINE__);
    }
    return false;
}

// ---- Backward cell --------------------------------------------------------------------------
// The gate-gradient math of one (row j, unit u) given dh, the total gradient of its h (upstream +
// carried; with a projection, dm). Used by the pointwise kernel and by the fused backward step.
// dS and hprev are [n, Ho] (GRU has no projection: Ho == H); GRU replaces dS by dh * z.
template <int G>
__device__ __forceinline__ void bwd_cell(const BwdStep &io, int64_t j, int u, float dh) {
    const int H = io.H, Ho = io.Ho;
    if constexpr (G == 1) {
        io.dgi[j * H + u] = rnn_bwd(dh, io.gates[j * H + u], io.relu);
    } else if constexpr (G == 4) {
        const float *g = io.gates + j * 4 * H;
        float *dC = io.dC + j * H + u;
        const LstmBwd r = lstm_bwd(dh, *dC, g[u], g[H + u], g[2 * H + u], g[3 * H + u], io.cprev[j * H + u],
                                   io.tc[j * H + u], io.clip);
        float *dg = io.dgi + j * 4 * H;
        dg[u] = r.dai;
        dg[H + u] = r.daf;
        dg[2 * H + u] = r.dag;
        dg[3 * H + u] = r.dao;
        *dC = r.dcp;
    } else {
        const float *g = io.gates + j * 3 * H;
        const GruBwd r = gru_bwd(dh, g[u], g[H + u], g[2 * H + u], io.ghn[j * H + u], io.hprev[j * Ho + u]);
        float *dgi = io.dgi + j * 3 * H, *dgh = io.dgh + j * 3 * H;
        dgi[u] = dgh[u] = r.dar;
        dgi[H + u] = dgh[H + u] = r.daz;
        dgi[2 * H + u] = r.dan;
        dgh[2 * H + u] = r.dhn;
        io.dS[j * Ho + u] = r.dhp;
    }
}

// ---- Backward pointwise ---------------------------------------------------------------------
// One thread per (row, unit): dh = dy + carried dS, or dm with a projection (where u runs over H
// and dy, dS are only Ho wide: neither is read then).
template <int G>
__global__ void bwd_kernel(int n, BwdStep io) {
    const int64_t idx = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    const int H = io.H, Ho = io.Ho;
    if (idx >= (int64_t)n * H) return;
    const int64_t j = idx / H;
    const int u = (int)(idx % H);
    const float dh = io.dm ? io.dm[j * H + u] : (io.dy ? io.dy[j * io.ldy + u] : 0.0f) + io.dS[j * Ho + u];
    bwd_cell<G>(io, j, u, dh);
}

// ---- Fused backward step --------------------------------------------------------------------
// Block: BU units x BR rows, 256 threads as in fused_step_kernel; K = G*H (the gate gradients).
// Shared tiles: A = dgh_prev rows [BR][BK] (+1 padding), B = W_hh [BK][BU] (rows of W are
// contiguous in u: coalesced loads, conflict-free reads).
template <int G, int BU, int BR, int BK>
__global__ void __launch_bounds__(256) bwd_fused_kernel(int n, int np, BwdStep io, const float *__restrict__ dgh_prev,
                                                        const float *__restrict__ W) {
    constexpr int RG = 256 / BU, PR = BR / RG;
    __shared__ float As[BR][BK + 1];
    __shared__ float Bs[BK][BU];
    const int tid = threadIdx.x, ul = tid % BU, rg = tid / BU;
    const int u0 = blockIdx.x * BU, r0 = blockIdx.y * BR;
    const int H = io.H, GH = G * io.H;
    float acc[PR];
#pragma unroll
    for (int p = 0; p < PR; ++p) acc[p] = 0.0f;
    if (r0 < np) {  // block-uniform: rows of this block that were live at the previous step
        for (int k0 = 0; k0 < GH; k0 += BK) {
            for (int e = tid; e < BR * BK; e += 256) {
                const int kk = e % BK, r = r0 + e / BK;
                As[e / BK][kk] = (r < np && k0 + kk < GH) ? dgh_prev[(int64_t)r * GH + k0 + kk] : 0.0f;
            }
            for (int e = tid; e < BK * BU; e += 256) {
                const int uu = e % BU, kk = e / BU, u = u0 + uu;
                Bs[kk][uu] = (u < H && k0 + kk < GH) ? W[(int64_t)(k0 + kk) * H + u] : 0.0f;
            }
            __syncthreads();
#pragma unroll 8
            for (int kk = 0; kk < BK; ++kk) {
                const float w = Bs[kk][ul];
#pragma unroll
                for (int p = 0; p < PR; ++p) acc[p] = fmaf(As[rg + p * RG][kk], w, acc[p]);
            }
            __syncthreads();
        }
    }
    const int u = u0 + ul;
    if (u >= H) return;
#pragma unroll
    for (int p = 0; p < PR; ++p) {
        const int r = r0 + rg + p * RG;
        const int64_t i = (int64_t)r * H + u;
        if (r < n) {
            // carried = dG_{t'} W_hh (+ dh*z of step t' for GRU, kept in dS), or dhN for a new row.
            const float carried = r < np ? acc[p] + (G == 3 ? io.dS[i] : 0.0f) : io.dS[i];
            bwd_cell<G>(io, r, u, (io.dy ? io.dy[(int64_t)r * io.ldy + u] : 0.0f) + carried);
        } else if (r < np) {
            io.dS[i] = acc[p] + (G == 3 ? io.dS[i] : 0.0f);  // the row's sequence ended: dh of its h0
        }
    }
}

template <int G>
void launch_bwd_fused(int n, int np, const BwdStep &io, const float *dgh_prev, const float *W, cudaStream_t s) {
    const int rows = n > np ? n : np;
    const int big = ((io.H + 31) / 32) * ((rows + 31) / 32);
    if (big >= device_attrs().sms) {
        dim3 grid((io.H + 31) / 32, (rows + 31) / 32);
        bwd_fused_kernel<G, 32, 32, 32><<<grid, 256, 0, s>>>(n, np, io, dgh_prev, W);
    } else {
        dim3 grid((io.H + 7) / 8, (rows + 31) / 32);
        bwd_fused_kernel<G, 8, 32, 32><<<grid, 256, 0, s>>>(n, np, io, dgh_prev, W);
    }
}

// ---- Reset-before GRU, projection clip, dropout ---------------------------------------------
// This thread's (row j, unit u) in a launch of one thread per (row, unit) of n rows; false past the end.
__device__ __forceinline__ bool row_unit(int n, int H, int64_t &j, int &u) {
    const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (int64_t)n * H) return false;
    j = i / H;
    u = (int)(i % H);
    return true;
}

__global__ void gru_rb_gates_kernel(int n, StepIO io) {
    const int H = io.H, GH = io.GH;
    int64_t j;
    int u;
    if (!row_unit(n, H, j, u)) return;
    float *pre = io.pre + j * GH;
    const float *rec = io.rec + j * GH;
    const float *bi = io.b_ih, *bh = io.b_hh;
    const float ar = pre[u] + rec[u] + (bi ? bi[u] + bh[u] : 0.0f);
    const float az = pre[H + u] + rec[H + u] + (bi ? bi[H + u] + bh[H + u] : 0.0f);
    const float hp = io.S_in[j * H + u];
    const GruRbGates<float> g = cell::gru_rb_gates(ar, az, hp);
    pre[u] = g.r;
    pre[H + u] = g.z;
    io.rh[j * H + u] = g.rh;
    if (io.training) io.hprev[j * H + u] = hp;
}

__global__ void gru_rb_out_kernel(int n, StepIO io) {
    const int H = io.H, GH = io.GH;
    int64_t j;
    int u;
    if (!row_unit(n, H, j, u)) return;
    float *pre = io.pre + j * GH;
    const float xn = pre[2 * H + u] + (io.b_ih ? io.b_ih[2 * H + u] : 0.0f);
    const float hn = io.rec[j * GH + 2 * H + u] + (io.b_hh ? io.b_hh[2 * H + u] : 0.0f);
    const GruFwd<float> f = cell::gru_rb_out(pre[u], pre[H + u], xn, hn, io.S_in[j * H + u]);
    io.S_out[j * H + u] = f.h;
    io.y[j * io.ldy + u] = f.h;
    if (io.training) pre[2 * H + u] = f.n;
}

__global__ void gru_rb_bwd_n_kernel(int n, BwdStep io) {
    const int H = io.H;
    int64_t j;
    int u;
    if (!row_unit(n, H, j, u)) return;
    const float *g = io.gates + j * 3 * H;
    float *dS = io.dS + j * H + u;
    const float dh = (io.dy ? io.dy[j * io.ldy + u] : 0.0f) + *dS;
    const GruRbBwdN<float> r = cell::gru_rb_bwd_n(dh, g[H + u], g[2 * H + u], io.hprev[j * H + u]);
    io.dgi[j * 3 * H + H + u] = r.daz;
    io.dgi[j * 3 * H + 2 * H + u] = r.dan;
    *dS = r.dhp;
}

__global__ void gru_rb_bwd_r_kernel(int n, BwdStep io) {
    const int H = io.H;
    int64_t j;
    int u;
    if (!row_unit(n, H, j, u)) return;
    const GruRbBwdR<float> r = cell::gru_rb_bwd_r(io.q[j * H + u], io.gates[j * 3 * H + u], io.hprev[j * H + u]);
    io.dgi[j * 3 * H + u] = r.dar;
    io.dS[j * H + u] += r.dhp;
}

__global__ void clip_rows_kernel(int n, int w, float *h, int ld, float clip, float *pre_out) {
    const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (int64_t)n * w) return;
    const int64_t j = i / w, u = i % w;
    float &v = h[j * ld + u];
    if (pre_out) pre_out[i] = v;
    v = clamp_abs(v, clip);
}

__global__ void clip_grad_kernel(int64_t count, const float *pre, float clip, float *dh) {
    const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < count) dh[i] *= clip_passes(pre[i], clip);
}

// One thread per 4 units of one direction of one packed row: one Philox call.
__global__ void dropout_kernel(int R, int D, int Ho, const int32_t *rowsrc, bool bf, int T, int N, int k,
                               uint64_t seed, uint32_t threshold, float scale, float *buf) {
    const int Q = (Ho + 3) / 4;
    const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (int64_t)R * D * Q) return;
    const int q = (int)(i % Q);
    const int dir = (int)((i / Q) % D);
    const int64_t r = i / ((int64_t)Q * D);
    const int rs = rowsrc[r];
    const int t = bf ? rs % T : rs / N, b = bf ? rs / T : rs % N;
    const unsigned m = philox::keep4(seed, threshold, k, dir, t, b, q);
    float *row = buf + r * D * Ho + (int64_t)dir * Ho;
    for (int c = 0; c < 4 && 4 * q + c < Ho; ++c) row[4 * q + c] = (m >> c) & 1u ? row[4 * q + c] * scale : 0.0f;
}

// ---- Small helpers --------------------------------------------------------------------------
__global__ void add_rows_kernel(int n, int w, const float *dy, int ldy, const float *dS, float *out) {
    const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (int64_t)n * w) return;
    const int64_t j = i / w, u = i % w;
    out[i] = (dy ? dy[j * ldy + u] : 0.0f) + dS[i];
}

__global__ void copy_rows_kernel(int n, int w, const float *src, int lds, float *dst, int ldd) {
    const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (int64_t)n * w) return;
    const int64_t j = i / w, u = i % w;
    dst[j * ldd + u] = src[j * lds + u];
}

__global__ void pack_kernel(int R, int w, const int32_t *rowsrc, const float *src, float *dst) {
    const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (int64_t)R * w) return;
    const int64_t r = i / w, c = i % w;
    dst[i] = src[(int64_t)rowsrc[r] * w + c];
}

__global__ void unpack_kernel(int R, int w, const int32_t *rowsrc, const float *src, float *dst) {
    const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (int64_t)R * w) return;
    const int64_t r = i / w, c = i % w;
    dst[(int64_t)rowsrc[r] * w + c] = src[i];
}

__global__ void gather_kernel(int N, int w, const int32_t *perm, const float *src, float *S) {
    const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (int64_t)N * w) return;
    const int64_t j = i / w, c = i % w;
    S[i] = src ? src[(int64_t)perm[j] * w + c] : 0.0f;
}

__global__ void scatter_kernel(int N, int w, const int32_t *perm, const int32_t *lens, bool by_len, int parity,
                               const float *S0, const float *S1, float *dst) {
    const int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x;
    if (i >= (int64_t)N * w) return;
    const int64_t j = i / w, c = i % w;
    const int sel = by_len ? lens[j] % 2 : parity;
    dst[(int64_t)perm[j] * w + c] = (sel ? S1 : S0)[i];
}

// 256 threads = 32 columns x 8 row groups; double accumulation in a fixed order.
__global__ void colsum_kernel(int rows, int cols, const float *m, float *out) {
    __shared__ double part[8][33];
    const int cl = threadIdx.x % 32, rg = threadIdx.x / 32, c = blockIdx.x * 32 + cl;
    double acc = 0.0;
    if (c < cols)
        for (int r = rg; r < rows; r += 8) acc += m[(int64_t)r * cols + c];
    part[rg][cl] = acc;
    __syncthreads();
    if (rg == 0 && c < cols) {
        double sum = 0.0;
        for (int k = 0; k < 8; ++k) sum += part[k][cl];
        out[c] += (float)sum;
    }
}

}  // namespace

void fused_step(int cell, int n, const StepIO &io, cudaStream_t s) {
    if (n <= 0) return;
    switch (cell) {
        case RNN4J_LSTM: launch_fused<4>(n, io, s); break;
        case RNN4J_GRU: launch_fused<3>(n, io, s); break;
        default: launch_fused<1>(n, io, s); break;
    }
    RNN4J_CUDA_CHECK_LAUNCH("fused_step");
}

bool persistent_supported(int cell, int N, int H, int P, int D) {
    (void)cell;
    (void)H;
    (void)D;
    return N <= PMAXN && P == 0 && device_attrs().cooperative;
}

bool persistent_forward(const PersistentArgs &a, cudaStream_t s) {
    switch (a.cell) {
        case RNN4J_LSTM: return launch_persistent<4>(a, s);
        case RNN4J_GRU: return launch_persistent<3>(a, s);
        default: return launch_persistent<1>(a, s);
    }
}

void bwd_step(int cell, int n, const BwdStep &io, cudaStream_t s) {
    if (n <= 0) return;
    const unsigned blocks = blocks_for((int64_t)n * io.H, 256);
    switch (cell) {
        case RNN4J_LSTM: bwd_kernel<4><<<blocks, 256, 0, s>>>(n, io); break;
        case RNN4J_GRU: bwd_kernel<3><<<blocks, 256, 0, s>>>(n, io); break;
        default: bwd_kernel<1><<<blocks, 256, 0, s>>>(n, io); break;
    }
    RNN4J_CUDA_CHECK_LAUNCH("bwd_step");
}

void bwd_fused_step(int cell, int n, int np, const BwdStep &io, const float *dgh_prev, const float *W,
                    cudaStream_t s) {
    if (n <= 0 && np <= 0) return;
    switch (cell) {
        case RNN4J_LSTM: launch_bwd_fused<4>(n, np, io, dgh_prev, W, s); break;
        case RNN4J_GRU: launch_bwd_fused<3>(n, np, io, dgh_prev, W, s); break;
        default: launch_bwd_fused<1>(n, np, io, dgh_prev, W, s); break;
    }
    RNN4J_CUDA_CHECK_LAUNCH("bwd_fused_step");
}

void add_rows(int n, int w, const float *dy, int ldy, const float *dS, float *out, cudaStream_t s) {
    if (n <= 0) return;
    add_rows_kernel<<<blocks_for((int64_t)n * w, 256), 256, 0, s>>>(n, w, dy, ldy, dS, out);
    RNN4J_CUDA_CHECK_LAUNCH("add_rows");
}

void copy_rows(int n, int w, const float *src, int lds, float *dst, int ldd, cudaStream_t s) {
    if (n <= 0) return;
    copy_rows_kernel<<<blocks_for((int64_t)n * w, 256), 256, 0, s>>>(n, w, src, lds, dst, ldd);
    RNN4J_CUDA_CHECK_LAUNCH("copy_rows");
}

void pack_rows(int R, int w, const int32_t *rowsrc, const float *src, float *dst, cudaStream_t s) {
    pack_kernel<<<blocks_for((int64_t)R * w, 256), 256, 0, s>>>(R, w, rowsrc, src, dst);
    RNN4J_CUDA_CHECK_LAUNCH("pack_rows");
}

void unpack_rows(int R, int64_t user_rows, int w, const int32_t *rowsrc, const float *src, float *dst,
                 cudaStream_t s) {
    RNN4J_CUDA_TRY(cudaMemsetAsync(dst, 0, sizeof(float) * user_rows * w, s));
    unpack_kernel<<<blocks_for((int64_t)R * w, 256), 256, 0, s>>>(R, w, rowsrc, src, dst);
    RNN4J_CUDA_CHECK_LAUNCH("unpack_rows");
}

void gather_state(int N, int w, const int32_t *perm, const float *src, float *S, cudaStream_t s) {
    gather_kernel<<<blocks_for((int64_t)N * w, 256), 256, 0, s>>>(N, w, perm, src, S);
    RNN4J_CUDA_CHECK_LAUNCH("gather_state");
}

void scatter_state(int N, int w, const int32_t *perm, const int32_t *lens, bool by_len, int parity, const float *S0,
                   const float *S1, float *dst, cudaStream_t s) {
    scatter_kernel<<<blocks_for((int64_t)N * w, 256), 256, 0, s>>>(N, w, perm, lens, by_len, parity, S0, S1, dst);
    RNN4J_CUDA_CHECK_LAUNCH("scatter_state");
}

void colsum_acc(int rows, int cols, const float *m, float *out, cudaStream_t s) {
    colsum_kernel<<<blocks_for(cols, 32), 256, 0, s>>>(rows, cols, m, out);
    RNN4J_CUDA_CHECK_LAUNCH("colsum_acc");
}

// Launches kernel(n, io) with a thread per (row, hidden unit) of n rows; nothing for n = 0.
template <class IO>
void launch_units(void (*kernel)(int, IO), int n, const IO &io, cudaStream_t s) {
    if (n <= 0) return;
    kernel<<<blocks_for((int64_t)n * io.H, 256), 256, 0, s>>>(n, io);
    RNN4J_CUDA_CHECK_LAUNCH("a kernel per (row, unit)");
}

void gru_rb_gates(int n, const StepIO &io, cudaStream_t s) { launch_units(gru_rb_gates_kernel, n, io, s); }

void gru_rb_out(int n, const StepIO &io, cudaStream_t s) { launch_units(gru_rb_out_kernel, n, io, s); }

void gru_rb_bwd_n(int n, const BwdStep &io, cudaStream_t s) { launch_units(gru_rb_bwd_n_kernel, n, io, s); }

void gru_rb_bwd_r(int n, const BwdStep &io, cudaStream_t s) { launch_units(gru_rb_bwd_r_kernel, n, io, s); }

void clip_rows(int n, int w, float *h, int ld, float clip, float *pre_out, cudaStream_t s) {
    if (n <= 0) return;
    clip_rows_kernel<<<blocks_for((int64_t)n * w, 256), 256, 0, s>>>(n, w, h, ld, clip, pre_out);
    RNN4J_CUDA_CHECK_LAUNCH("clip_rows");
}

void clip_grad_rows(int n, int w, const float *pre, float clip, float *dh, cudaStream_t s) {
    if (n <= 0) return;
    clip_grad_kernel<<<blocks_for((int64_t)n * w, 256), 256, 0, s>>>((int64_t)n * w, pre, clip, dh);
    RNN4J_CUDA_CHECK_LAUNCH("clip_grad_rows");
}

void dropout_rows(int R, int D, int Ho, const int32_t *rowsrc, bool bf, int T, int N, int k, uint64_t seed, float p,
                  float *buf, cudaStream_t s) {
    const int64_t threads = (int64_t)R * D * ((Ho + 3) / 4);
    dropout_kernel<<<blocks_for(threads, 256), 256, 0, s>>>(R, D, Ho, rowsrc, bf, T, N, k, seed,
                                                           philox::drop_threshold(p), 1.0f / (1.0f - p), buf);
    RNN4J_CUDA_CHECK_LAUNCH("dropout_rows");
}

}  // namespace cuda
}  // namespace rnn4j
