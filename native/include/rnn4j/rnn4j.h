/*
 * rnn4j: the C API of the native RNN kernels (CPU over OpenBLAS; CUDA has its own header).
 *
 * One stable, extern "C" interface: plain pointers, sizes and a status code. The Java binding
 * (JavaCPP) calls it, and so can anything else (a C++ test, Python ctypes).
 *
 * ---------------------------------------------------------------------------------------------
 * Legend (used for every shape below; the rightmost dimension changes fastest, all row-major,
 * all contiguous, all fp32):
 *   T      sequence length (time steps)              N   batch size
 *   I      input size of layer 0                     H   hidden size
 *   P      projection size (LSTM only; 0 = none)     Ho  output size of a cell: P if P > 0, else H
 *   L      number of layers                          D   directions: 2 if bidirectional, else 1
 *   G      gates per cell: 1 (RNN_TANH, RNN_RELU), 4 (LSTM: i, f, g, o), 3 (GRU: r, z, n)
 *   I_k    input size of layer k: I for k = 0, D*Ho for k >= 1
 *
 * Semantics are exactly PyTorch's (torch.nn.RNN / LSTM / GRU), see docs/DESIGN.md §1:
 *   RNN:  h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh)
 *   LSTM: a = x W_ih^T + b_ih + h W_hh^T + b_hh, gates i, f, g, o in that order;
 *         c' = f*c + i*g;  h' = o*tanh(c')  (with P > 0: h' = (o*tanh(c')) W_hr^T)
 *   GRU:  gates r, z, n; n = tanh(x W_in^T + b_in + r*(h W_hn^T + b_hn)); h' = (1-z)*n + z*h
 *         (desc->gru_reset_before = 1: n = tanh(x W_in^T + b_in + (r*h) W_hn^T + b_hn))
 *
 * Options (descriptor fields after batch_first; all zero = none, PyTorch's defaults):
 *   gru_reset_before  GRU only: the reset gate before the recurrent product (ONNX's default
 *                     linear_before_reset = 0, Keras reset_after = False), see above.
 *   cell_clip         LSTM only: c' is clamped to [-cell_clip, cell_clip] after its update (cuDNN's
 *                     cellClip); the gradient passes where |c'| <= cell_clip before the clamp.
 *   proj_clip         LSTM with P > 0 only: the projected h' is clamped to [-proj_clip, proj_clip]
 *                     (TensorFlow's proj_clip); the gradient passes where |h'| <= proj_clip before it.
 *   dropout           p in [0, 1): in a training forward, the outputs of every layer but the last are
 *                     zeroed with probability p and the kept ones scaled by 1/(1-p) before the next
 *                     layer reads them (PyTorch's dropout; hN, cN and y are never dropped). The mask
 *                     is a pure function of (dropout_seed, layer, direction, step, the caller's batch
 *                     row, unit) through Philox4x32-10 (native/common/philox.h, the rule written
 *                     there): the same on every backend and thread count. Backward applies it again.
 *   dropout_seed      the seed of a training forward's masks; recorded in the workspace, so the
 *                     backward calls ignore this field. Not compared when a backward checks that its
 *                     descriptor is the forward's.
 *
 * Tensors:
 *   x   [T, N, I]  (or [N, T, I] when desc->batch_first)   input
 *   y   [T, N, D*Ho] (or [N, T, D*Ho])                      output; forward half first, then reverse
 *   h0, hN  [L*D, N, Ho]   c0, cN  [L*D, N, H] (LSTM only)  row k*D + d is layer k, direction d
 *   lengths [N] int32, each in 1..T, any order, or NULL (all sequences have length T).
 *     y[t >= len_b, b] = 0, the forward hN is the state after step len_b - 1, the reverse
 *     direction starts at t = len_b - 1, dx[t >= len_b, b] = 0. No work is spent on padding.
 *
 * Parameters: one flat buffer in PyTorch's order (rnn4j_param_count gives its length in floats):
 *   for each layer k, for each direction d (forward, then reverse):
 *     weight_ih [G*H, I_k], weight_hh [G*H, Ho], bias_ih [G*H] and bias_hh [G*H] (only if
 *     desc->bias), weight_hr [P, H] (only if P > 0).
 * The gradient buffer has the same layout. Parameter gradients ACCUMULATE (+=), so several
 * batches or truncated-BPTT chunks add up; dx, dh0, dc0 are OVERWRITTEN.
 *
 * Workspace: an opaque, caller-owned block of rnn4j_workspace_size() bytes, 64-byte aligned
 * (any alignment works; 64 is faster). A training forward records there everything BPTT needs
 * (the shape, the lengths, saved activations); rnn4j_backward_data and rnn4j_backward_weights
 * read it, and backward_data adds the gate gradients that backward_weights consumes. A workspace
 * is used by one call at a time; separate workspaces may be used concurrently from many threads.
 *
 * Aliasing: outputs never alias inputs or each other, except hN may equal h0 and cN may equal c0
 * (streaming: the state is read before it is overwritten). Streaming inference of a
 * unidirectional network over a long input in chunks: call rnn4j_forward with training = 0 on
 * each chunk (no lengths), passing the same buffer as h0 and hN (and c0 and cN); the result equals
 * one call over the concatenated input up to float rounding. Optional pointers may be NULL:
 * h0, c0 (zeros), lengths, hN, cN (not written), dy, dhN, dcN (zeros), dx, dh0, dc0 (not written).
 *
 * Errors: every function returns RNN4J_OK or an error status and never exits, aborts or lets a
 * C++ exception escape. rnn4j_last_error() gives a message naming the argument and the numbers,
 * kept per thread. On an argument error nothing has been written.
 * ---------------------------------------------------------------------------------------------
 */
#ifndef RNN4J_RNN4J_H
#define RNN4J_RNN4J_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define RNN4J_VERSION_MAJOR 0
#define RNN4J_VERSION_MINOR 1
#define RNN4J_VERSION_PATCH 0

/* Status codes. */
typedef enum rnn4j_status {
    RNN4J_OK = 0,
    RNN4J_ERR_ARGUMENT = 1,   /* a size, pointer, length or descriptor field is invalid */
    RNN4J_ERR_STATE = 2,      /* e.g. backward on a workspace without a matching training forward */
    RNN4J_ERR_ALLOC = 3,      /* out of memory (the kernels allocate nothing per call; each thread's GEMM packing buffers, ~1.2 MB, once) */
    RNN4J_ERR_INTERNAL = 4,   /* a bug: please report with the message */
    RNN4J_ERR_UNSUPPORTED = 5 /* reserved: no function returns it (the number stays taken) */
} rnn4j_status;

/* Cell types; values match dev.rnn4j.CellType.ordinal(). */
typedef enum rnn4j_cell {
    RNN4J_RNN_TANH = 0,
    RNN4J_RNN_RELU = 1,
    RNN4J_LSTM = 2,
    RNN4J_GRU = 3
} rnn4j_cell;

/* Describes a (possibly stacked, possibly bidirectional) RNN. Plain data; not retained.
 * Zero-initialise it (rnn4j_desc d = {0}; or {cell, I, H, P, L, bi, bias, batch_first}, whose
 * missing fields are zero): the option fields added after batch_first then keep their default. */
typedef struct rnn4j_desc {
    int32_t cell;          /* rnn4j_cell */
    int32_t input_size;    /* I >= 1 */
    int32_t hidden_size;   /* H >= 1 */
    int32_t proj_size;     /* P: 0 = none; 1 <= P < H, LSTM only */
    int32_t num_layers;    /* L >= 1 */
    int32_t bidirectional; /* 0 or 1 */
    int32_t bias;          /* 0 or 1: whether bias_ih and bias_hh exist */
    int32_t batch_first;   /* 0: x and y are [T, N, .]; 1: they are [N, T, .] */
    int32_t gru_reset_before; /* 0 or 1 (GRU only): see Options above */
    float cell_clip;       /* 0 = none, else positive and finite (LSTM only) */
    float proj_clip;       /* 0 = none, else positive and finite (LSTM with P > 0 only) */
    float dropout;         /* p in [0, 1); 0 = none */
    uint64_t dropout_seed; /* read by a training forward with dropout > 0 and L > 1 */
} rnn4j_desc;

/* ---- Library information ----------------------------------------------------------------- */

/* "MAJOR.MINOR.PATCH". Static storage; never NULL. */
const char *rnn4j_version(void);

/* Compiler, flags, build type and vector extensions compiled in. Static storage; never NULL. */
const char *rnn4j_build_info(void);

/* OpenBLAS's own configuration string (version, DYNAMIC_ARCH, core). Never NULL. */
const char *rnn4j_blas_config(void);

/* Capability bits of this build and this CPU (RNN4J_CAP_*). */
#define RNN4J_CAP_CPU_KERNELS 1 /* forward / backward kernels present */
#define RNN4J_CAP_AVX2 2        /* the CPU supports AVX2 and FMA */
#define RNN4J_CAP_AVX512 4      /* the CPU supports AVX-512F */
int32_t rnn4j_capabilities(void);

/* Which kernels rnn4j's GEMMs (input projection, dX, weight gradients) and its per-step recurrent
 * product run: "avx512", "avx2", "generic" (rnn4j's own, by instruction set) or "openblas" (the
 * GEMMs through OpenBLAS's sgemm, the recurrent product on the CPU's best path). Chosen once from
 * the CPU and the environment variable RNN4J_ISA (auto | avx512 | avx2 | generic | openblas; a path
 * above what the CPU runs falls back to the best it runs). Static storage; never NULL. */
const char *rnn4j_isa(void);

/* Forces the path as RNN4J_ISA does (NULL or "auto": the CPU's best). Process-wide; call it while no
 * kernel runs (tests, start-up). RNN4J_ERR_ARGUMENT for an unknown name. */
int32_t rnn4j_set_isa(const char *name);

/* One line for diagnostics: rnn4j's kernel path and what forced it, the best path the CPU runs,
 * OpenBLAS's core and whether OPENBLAS_CORETYPE forced it, and OPENBLAS_L2_SIZE /
 * OPENBLAS_NUM_THREADS where set. E.g. "rnn4j avx2 (forced by RNN4J_ISA=avx2); the CPU runs
 * avx512; OpenBLAS core Haswell (forced by OPENBLAS_CORETYPE=Haswell)".
 * Valid until the next call on this thread; never NULL. */
const char *rnn4j_kernel_info(void);

/* Message of the last error on this thread; "" if none. Valid until the next call on the thread. */
const char *rnn4j_last_error(void);

/* ---- Threads ------------------------------------------------------------------------------ */

/* Number of threads the kernels use (initially OpenBLAS's default thread count). */
int32_t rnn4j_get_num_threads(void);

/* Sets the number of threads, 1..1024. Process-wide. Results are bitwise reproducible for a fixed
 * thread count. All of rnn4j's parallel work runs on its own pool of threads, created on first use,
 * kept and reused (none with 1 thread): the large GEMMs (rows shared out, OpenBLAS single-threaded
 * on each), the time loop of batches N >= 16 (rows shared out: rows are independent), and for
 * N <= 4 the recurrent product split by hidden units or the two directions of a bidirectional layer
 * run concurrently. OpenBLAS's own thread setting is not changed. */
int32_t rnn4j_set_num_threads(int32_t threads);

/* ---- Sizes -------------------------------------------------------------------------------- */

/* Checks a descriptor. RNN4J_OK or RNN4J_ERR_ARGUMENT with the offending field in the message. */
int32_t rnn4j_check_desc(const rnn4j_desc *desc);

/* [out] *count = number of floats in the parameter (and gradient) buffer. */
int32_t rnn4j_param_count(const rnn4j_desc *desc, int64_t *count);

/* [out] *bytes = workspace size for a call with sequence length T and batch N.
 * training = 0: enough for rnn4j_forward in inference mode (and for the single-step call
 *               rnn4j_forward_step once it exists; it is not declared yet).
 * training = 1: enough for a training forward followed by backward_data and backward_weights. */
int32_t rnn4j_workspace_size(const rnn4j_desc *desc, int32_t T, int32_t N, int32_t training,
                             int64_t *bytes);

/* ---- Forward ------------------------------------------------------------------------------ */

/*
 * Forward pass over a whole sequence batch.
 *   desc       [in]  the network.
 *   T, N       [in]  sequence length >= 1 and batch size >= 1.
 *   lengths    [in]  [N] int32 in 1..T, or NULL (all T). Read only; copied into the workspace.
 *   training   [in]  0 = inference; 1 = also record what backward needs in the workspace.
 *   params     [in]  [param_count] parameters.
 *   x          [in]  [T, N, I] (batch_first: [N, T, I]).
 *   h0         [in]  [L*D, N, Ho] or NULL (zeros).
 *   c0         [in]  [L*D, N, H] or NULL (zeros); LSTM only, otherwise ignored.
 *   y          [out] [T, N, D*Ho] (batch_first: [N, T, D*Ho]); padding written as 0. Not NULL.
 *   hN         [out] [L*D, N, Ho] or NULL. May alias h0.
 *   cN         [out] [L*D, N, H] or NULL; LSTM only. May alias c0.
 *   workspace  [in/out] rnn4j_workspace_size(desc, T, N, training) bytes.
 *   workspace_bytes [in] its size, checked.
 */
int32_t rnn4j_forward(const rnn4j_desc *desc, int32_t T, int32_t N, const int32_t *lengths,
                      int32_t training, const float *params, const float *x, const float *h0,
                      const float *c0, float *y, float *hN, float *cN, void *workspace,
                      int64_t workspace_bytes);

/* ---- Backward (BPTT) ---------------------------------------------------------------------- */

/*
 * Backward data: gradients with respect to x, h0 and c0, from the upstream gradients. Must follow a
 * training rnn4j_forward on the same workspace (RNN4J_ERR_STATE otherwise); T, N and lengths are
 * those recorded by it. Computes the vector-Jacobian product of
 * sum(y*dy) + sum(hN*dhN) + sum(cN*dcN). Leaves the gate gradients in the workspace for
 * rnn4j_backward_weights. May be called again (same result).
 *   params  [in]  [param_count], the same parameters as the forward.
 *   dy      [in]  [T, N, D*Ho] (batch_first: [N, T, D*Ho]) or NULL (zeros). Padding ignored.
 *   dhN     [in]  [L*D, N, Ho] or NULL (zeros).
 *   dcN     [in]  [L*D, N, H] or NULL (zeros); LSTM only.
 *   dx      [out] [T, N, I] (batch_first: [N, T, I]) or NULL; overwritten, padding written as 0.
 *   dh0     [out] [L*D, N, Ho] or NULL; overwritten.
 *   dc0     [out] [L*D, N, H] or NULL; overwritten; LSTM only.
 */
int32_t rnn4j_backward_data(const rnn4j_desc *desc, const float *params, const float *dy,
                            const float *dhN, const float *dcN, float *dx, float *dh0, float *dc0,
                            void *workspace, int64_t workspace_bytes);

/*
 * Backward weights: ACCUMULATES (+=) the gradient of every parameter into grads. Must follow
 * rnn4j_backward_data on the same workspace (RNN4J_ERR_STATE otherwise). Calling it twice adds twice.
 *   grads   [in/out] [param_count], same layout as params.
 */
int32_t rnn4j_backward_weights(const rnn4j_desc *desc, float *grads, void *workspace,
                               int64_t workspace_bytes);

/* backward_data followed by backward_weights. */
int32_t rnn4j_backward(const rnn4j_desc *desc, const float *params, const float *dy,
                       const float *dhN, const float *dcN, float *dx, float *dh0, float *dc0,
                       float *grads, void *workspace, int64_t workspace_bytes);

/* ---- Prepared weights: reduced precision, prepacked fp32 ------------------------------------ */

/*
 * Inference in bfloat16 or int8 weights (docs/DESIGN.md §9), or in fp32 with the weights prepacked.
 * The fp32 parameters stay the master copy: rnn4j_quantize makes the prepared weights from them
 * into a caller-owned block, which rnn4j_forward_precision reads; after the parameters change,
 * call rnn4j_quantize again (a stale block gives results of the old weights).
 *   RNN4J_FP32 (prepacked): weight_ih and weight_hh of every layer and direction in the packed
 *     forms the fp32 forward's products read (rnn4j_forward packs them inside every call): about
 *     weight_ih's size plus twice weight_hh's. The results are rnn4j_forward's, bit for bit: the
 *     block only saves the packing (weight_ih is read where the input projection has more than 12
 *     rows, T*N counting only live rows, and takes the packed GEMM; a small batch's panels from 16
 *     steps on, where rnn4j_forward packs them). The forms are the instruction set's that packed
 *     them (rnn4j_set_isa): under another one the forward packs its own as rnn4j_forward does.
 *     The block also records whether each weight_hh is all finite; then a forward without h0
 *     skips the first step's product h0 weight_hh^T, which is exactly +0 (same bits).
 *   RNN4J_BF16: both operands of every product in bfloat16 (round to nearest even): weight_ih,
 *     weight_hh, weight_hr rounded once by rnn4j_quantize, and each step's x, h (and, with a
 *     projection, o*tanh(c)) rounded before its product; the products are exact in fp32, and their
 *     accumulation, the biases, the state and the gate math stay fp32. The same scheme at every
 *     batch size and on every CPU (AVX512_BF16 vdpbf16ps, an AVX-512 widening FMA, or generic code:
 *     only the order of the fp32 additions differs).
 *   RNN4J_INT8: every weight row quantized once to symmetric s8, scale = max|w| / 127 (0 for a zero
 *     row); x, h and (with a projection) o*tanh(c) quantized per step and per batch row to asymmetric
 *     u8 over [min(0, v), max(0, v)], scale = max/255 - min/255, zp = clamp(rint(-min / scale), 0,
 *     255), q = clamp(rint(v / scale) + zp, 0, 255) (rint: to nearest even; the divisions are
 *     products with the fp32 reciprocal; a range below FLT_MIN quantizes to zeros, a NaN or an
 *     infinity makes the row's outputs NaN); sums of u8*s8 products exact in int32 (rows of at most
 *     66311 values), zero point subtracted through the weight row sums, dequantized
 *     (sum * scale_x * scale_w) before the biases and the fp32 gate math.
 * The Java reference (dev.rnn4j.reference.LowPrecision) rounds identically.
 */
typedef enum rnn4j_precision {
    RNN4J_FP32 = 0,
    RNN4J_BF16 = 1,
    RNN4J_INT8 = 2
} rnn4j_precision;

/* [out] *bytes = size of the prepared-weights block of (desc, precision), alignment slack included.
 * precision is RNN4J_FP32, RNN4J_BF16 or RNN4J_INT8. */
int32_t rnn4j_quantized_size(const rnn4j_desc *desc, int32_t precision, int64_t *bytes);

/*
 * Fills a prepared-weights block from the parameters (RNN4J_FP32: prepacks them).
 *   desc            [in]  the network.
 *   precision       [in]  RNN4J_FP32, RNN4J_BF16 or RNN4J_INT8.
 *   params          [in]  [param_count] fp32 parameters (not modified).
 *   quantized       [out] rnn4j_quantized_size(desc, precision) bytes, any alignment (64 is faster).
 *   quantized_bytes [in]  its size, checked.
 */
int32_t rnn4j_quantize(const rnn4j_desc *desc, int32_t precision, const float *params, void *quantized,
                       int64_t quantized_bytes);

/* [out] *bytes = workspace size of rnn4j_forward_precision with sequence length T and batch N. */
int32_t rnn4j_workspace_size_precision(const rnn4j_desc *desc, int32_t precision, int32_t T, int32_t N,
                                       int64_t *bytes);

/*
 * Inference forward in a precision; the arguments as rnn4j_forward's with training = 0, plus:
 *   precision       [in]  RNN4J_FP32, RNN4J_BF16 or RNN4J_INT8.
 *   params          [in]  [param_count] the fp32 parameters (biases, and with RNN4J_FP32
 *                         weight_ih and weight_hr, are read from here).
 *   quantized       [in]  the block rnn4j_quantize filled for the same desc (its dropout_seed
 *                         aside) and precision (RNN4J_ERR_STATE if it holds another precision or
 *                         nothing; RNN4J_ERR_ARGUMENT if it was made for another network). With
 *                         RNN4J_FP32 it may be NULL: this is rnn4j_forward then.
 *   quantized_bytes [in]  its size.
 *   workspace       [in/out] rnn4j_workspace_size_precision(desc, precision, T, N) bytes.
 * Not for training: the workspace records nothing for backward.
 */
int32_t rnn4j_forward_precision(const rnn4j_desc *desc, int32_t precision, int32_t T, int32_t N,
                                const int32_t *lengths, const float *params, const void *quantized,
                                int64_t quantized_bytes, const float *x, const float *h0, const float *c0,
                                float *y, float *hN, float *cN, void *workspace, int64_t workspace_bytes);

#ifdef __cplusplus
}
#endif

#endif /* RNN4J_RNN4J_H */
