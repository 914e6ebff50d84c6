/*
 * rnn4j: the C API of the CUDA kernels (library librnn4j_cuda.so).
 *
 * The same network, the same tensors and the same semantics as the CPU API in rnn4j.h (read its
 * legend first: T, N, I, H, P, Ho, L, D, G, I_k, the parameter order, the variable-length rules,
 * accumulate-vs-overwrite, and the cell options of rnn4j_desc: gru_reset_before, cell_clip,
 * proj_clip, dropout with dropout_seed, the same masks bit for bit). What differs here:
 *
 *   * Tensors, parameters, gradients and the workspace are DEVICE pointers (cudaMalloc'd, or any
 *     memory the current device can address). `lengths` stays a HOST pointer (as in cuDNN): the
 *     packing plan is computed on the host, then uploaded into the workspace.
 *   * Every compute call takes `stream`, a cudaStream_t passed as void*. NULL means the library's
 *     own stream (one per host thread, created on first use; not the legacy default stream). Calls
 *     are ASYNCHRONOUS with respect to the host: they return once the work is queued on `stream`,
 *     in order, and the caller synchronises (rnn4j_cuda_stream_sync) before reading results.
 *     Exceptions, documented on each function: rnn4j_cuda_backward_data / _backward_weights /
 *     _backward first read the recorded header of the workspace back to the host, which waits
 *     for the work already queued on `stream`.
 *     Bidirectional layers run the reverse direction on a second, library-owned stream forked from
 *     and joined back into `stream` with events, so the caller sees one ordered stream.
 *   * `flags` (RNN4J_CUDA_*) selects the math: 0 = exact FP32 everywhere (the default). With
 *     RNN4J_CUDA_TF32 the large GEMMs (input projection, LSTM projection, dX and the weight
 *     gradients) use TF32 tensor cores (10-bit mantissa inputs, FP32 accumulation); the recurrent
 *     per-step products and all cell math stay FP32.
 *   * All device pointers must be 4-byte aligned (floats); the workspace base is aligned to 256
 *     bytes internally, so any alignment works.
 *
 * Kernels (see native/cuda/README.md): own tiled SGEMM and TF32 tensor-core GEMM (no cuBLAS); per
 * step ONE fused kernel computing h W_hh^T for a slice of hidden units across all gates and
 * applying the cell math in registers; for small batches (N <= 4 by default) a persistent
 * cooperative kernel keeping W_hh in shared memory across all steps (grid-wide sync per step),
 * falling back to the per-step kernel when the grid does not fit; BPTT with one fused kernel per
 * step (dh = dG W_hh fed into the gate-gradient math) and the weight-gradient GEMMs merged over
 * all T*N rows. Results are bitwise reproducible run to run (no atomics).
 *
 * Errors: every function returns RNN4J_OK or an error status (the codes of rnn4j.h, plus
 * RNN4J_ERR_CUDA) and never exits, aborts or lets a C++ exception escape.
 * rnn4j_cuda_last_error() gives the message (per host thread), naming the argument and the
 * numbers, or the CUDA error name, string and the failing call. On an argument error nothing has
 * been written or queued. A CUDA error that happens while a kernel runs is reported by a later
 * call (CUDA errors are asynchronous and, for device faults, sticky for the whole context).
 */
#ifndef RNN4J_RNN4J_CUDA_H
#define RNN4J_RNN4J_CUDA_H

#include <stdint.h>

#include "rnn4j/rnn4j.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A CUDA runtime or driver call failed; the message names the call and the CUDA error. */
#define RNN4J_ERR_CUDA 6

/* Flags of the compute calls (bitwise or). */
#define RNN4J_CUDA_TF32 1            /* TF32 tensor cores for the large GEMMs (not the recurrence) */
#define RNN4J_CUDA_NO_PERSISTENT 2   /* never use the persistent small-batch kernel */
#define RNN4J_CUDA_FORCE_PERSISTENT 4 /* use it for every batch it supports (N <= 16), not only N <= 4 */

/* Probe results (the `reason` out-argument of rnn4j_cuda_device_count). */
#define RNN4J_CUDA_USABLE 0           /* at least one device */
#define RNN4J_CUDA_NO_DRIVER 1        /* no NVIDIA driver (libcuda) on this machine */
#define RNN4J_CUDA_NO_DEVICE 2        /* a driver, but no CUDA device visible */
#define RNN4J_CUDA_DRIVER_TOO_OLD 3   /* the driver is older than this library's CUDA runtime */
#define RNN4J_CUDA_OTHER_ERROR 4      /* any other probe failure (message says which) */

/* ---- Library information and probe -------------------------------------------------------- */

/* "MAJOR.MINOR.PATCH" (the same as rnn4j_version). Static storage; never NULL. */
const char *rnn4j_cuda_version(void);

/* nvcc version, architectures compiled in (SASS and PTX), runtime version. Static; never NULL. */
const char *rnn4j_cuda_build_info(void);

/* Message of the last error on this host thread; "" if none. Valid until the next call. */
const char *rnn4j_cuda_last_error(void);

/*
 * Probes for usable GPUs. Never fails because there is no GPU: that is a result, not an error.
 *   count   [out] number of CUDA devices (0 unless *reason == RNN4J_CUDA_USABLE). Not NULL.
 *   reason  [out] RNN4J_CUDA_USABLE, _NO_DRIVER (cudaErrorInsufficientDriver, 35, with no driver
 *                 at all), _NO_DEVICE (cudaErrorNoDevice, 100), _DRIVER_TOO_OLD (35 with a driver
 *                 whose version is below the runtime's) or _OTHER_ERROR. Not NULL.
 *   message [out] a one-line explanation written into this buffer (NUL-terminated, truncated to
 *                 message_capacity bytes), e.g. "no NVIDIA driver: cudaGetDeviceCount returned
 *                 cudaErrorInsufficientDriver (35) ...". May be NULL when message_capacity is 0.
 * Returns RNN4J_OK (also when no GPU is usable) or RNN4J_ERR_ARGUMENT.
 */
int32_t rnn4j_cuda_device_count(int32_t *count, int32_t *reason, char *message, int32_t message_capacity);

/*
 * Properties of device `device` (0..count-1).
 *   name [out] NUL-terminated, truncated to name_capacity bytes (256 is enough).
 *   cc_major, cc_minor [out] compute capability. total_bytes, free_bytes [out] global memory.
 *   sm_count [out] multiprocessors. Any out pointer except name may be NULL.
 */
int32_t rnn4j_cuda_device_info(int32_t device, char *name, int32_t name_capacity, int32_t *cc_major,
                               int32_t *cc_minor, int64_t *total_bytes, int64_t *free_bytes, int32_t *sm_count);

/* Makes `device` current for this host thread (cudaSetDevice). */
int32_t rnn4j_cuda_set_device(int32_t device);

/* Driver and runtime versions as 1000*major + 10*minor (0 for the driver when none). */
int32_t rnn4j_cuda_versions(int32_t *driver_version, int32_t *runtime_version);

/* ---- Device memory and streams (so a caller without the CUDA toolkit can own buffers) ------ */

/* *ptr = cudaMalloc(bytes) on the current device (bytes >= 1). Never leaks on error. */
int32_t rnn4j_cuda_malloc(void **ptr, int64_t bytes);

/* cudaFree(ptr); NULL is allowed and does nothing. Waits for work using ptr (cudaFree semantics). */
int32_t rnn4j_cuda_free(void *ptr);

/* Copies `bytes` host -> device (dst device, src host) or device -> host, ordered on `stream`
 * (NULL = the library's stream), and WAITS for the copy to finish (so host memory may be pageable
 * and reused at once). bytes >= 0; 0 does nothing. */
int32_t rnn4j_cuda_memcpy_htod(void *dst_device, const void *src_host, int64_t bytes, void *stream);
int32_t rnn4j_cuda_memcpy_dtoh(void *dst_host, const void *src_device, int64_t bytes, void *stream);

/* Device -> device copy and byte fill, queued on `stream` (asynchronous). */
int32_t rnn4j_cuda_memcpy_dtod(void *dst_device, const void *src_device, int64_t bytes, void *stream);
int32_t rnn4j_cuda_memset(void *dst_device, int32_t byte_value, int64_t bytes, void *stream);

/* *stream = a new non-blocking stream; destroy it with rnn4j_cuda_stream_destroy. */
int32_t rnn4j_cuda_stream_create(void **stream);
int32_t rnn4j_cuda_stream_destroy(void *stream);

/* Waits for everything queued on `stream` (NULL = the library's stream of this thread). */
int32_t rnn4j_cuda_stream_sync(void *stream);

/* ---- Sizes (identical to the CPU API's rules; no device needed) --------------------------- */

/* Checks a descriptor (see rnn4j_check_desc). */
int32_t rnn4j_cuda_check_desc(const rnn4j_desc *desc);

/* [out] *count = number of floats in the parameter (and gradient) buffer; same as rnn4j_param_count. */
int32_t rnn4j_cuda_param_count(const rnn4j_desc *desc, int64_t *count);

/* [out] *bytes = DEVICE workspace bytes for sequence length T and batch N; training as in
 * rnn4j_workspace_size. Not the same number as the CPU's: the layouts differ. */
int32_t rnn4j_cuda_workspace_size(const rnn4j_desc *desc, int32_t T, int32_t N, int32_t training,
                                  int64_t *bytes);

/* ---- Forward ------------------------------------------------------------------------------ */

/*
 * Forward pass over a whole sequence batch; the arguments of rnn4j_forward, on the device.
 *   desc       [in]  host pointer; the network.
 *   T, N       [in]  sequence length >= 1, batch size >= 1.
 *   lengths    [in]  HOST [N] int32 in 1..T, or NULL (all T). Read before the call returns.
 *   training   [in]  0 = inference; 1 = record what backward needs in the workspace.
 *   params     [in]  device [param_count].
 *   x          [in]  device [T, N, I] (batch_first: [N, T, I]).
 *   h0, c0     [in]  device [L*D, N, Ho], [L*D, N, H] (LSTM only), or NULL (zeros).
 *   y          [out] device [T, N, D*Ho] (batch_first: [N, T, D*Ho]); padding written as 0. Not NULL.
 *   hN, cN     [out] device, as h0 and c0, or NULL (not written). hN may alias h0, cN may alias c0.
 *   workspace  [in/out] device, rnn4j_cuda_workspace_size(desc, T, N, training) bytes.
 *   workspace_bytes [in] its size, checked.
 *   flags      [in]  RNN4J_CUDA_* bits, 0 = exact FP32.
 *   stream     [in]  cudaStream_t or NULL (the library's stream). Asynchronous.
 */
int32_t rnn4j_cuda_forward(const rnn4j_desc *desc, int32_t T, int32_t N, const int32_t *lengths,
                           int32_t training, const float *params, const float *x, const float *h0,
                           const float *c0, float *y, float *hN, float *cN, void *workspace,
                           int64_t workspace_bytes, int32_t flags, void *stream);

/* ---- Backward (BPTT) ---------------------------------------------------------------------- */

/*
 * Backward data (see rnn4j_backward_data): dx, dh0, dc0 OVERWRITTEN from dy, dhN, dcN; the gate
 * gradients stay in the workspace for rnn4j_cuda_backward_weights. Must follow a training
 * rnn4j_cuda_forward on the same workspace (RNN4J_ERR_STATE otherwise). Reads the recorded header
 * back to the host first, which waits for the work already queued on `stream`; the rest is
 * asynchronous. All tensors are device pointers; optional ones may be NULL.
 *   params [in] device [param_count]; dy [in] device [T, N, D*Ho] or NULL; dhN, dcN [in] or NULL;
 *   dx [out] device [T, N, I] or NULL; dh0 [out] [L*D, N, Ho] or NULL; dc0 [out] [L*D, N, H] or NULL.
 */
int32_t rnn4j_cuda_backward_data(const rnn4j_desc *desc, const float *params, const float *dy,
                                 const float *dhN, const float *dcN, float *dx, float *dh0, float *dc0,
                                 void *workspace, int64_t workspace_bytes, int32_t flags, void *stream);

/*
 * Backward weights: ACCUMULATES (+=) every parameter gradient into grads (device [param_count]).
 * Must follow rnn4j_cuda_backward_data on the same workspace (RNN4J_ERR_STATE otherwise); calling
 * it twice adds twice. Reads the recorded header back first (waits for `stream`).
 */
int32_t rnn4j_cuda_backward_weights(const rnn4j_desc *desc, float *grads, void *workspace,
                                    int64_t workspace_bytes, int32_t flags, void *stream);

/* backward_data followed by backward_weights (one header read-back). */
int32_t rnn4j_cuda_backward(const rnn4j_desc *desc, const float *params, const float *dy,
                            const float *dhN, const float *dcN, float *dx, float *dh0, float *dc0,
                            float *grads, void *workspace, int64_t workspace_bytes, int32_t flags,
                            void *stream);

/* ---- The GEMM kernels themselves (for tests and benchmarks) ------------------------------- */

/*
 * C = alpha * op(A) op(B) + beta * C, row-major, on the device, with rnn4j's own kernels.
 *   trans_a: 0 -> op(A) = A [M, K] (lda >= K); 1 -> op(A) = A^T, A stored [K, M] (lda >= M).
 *   trans_b: 0 -> op(B) = B [K, N] (ldb >= N); 1 -> op(B) = B^T, B stored [N, K] (ldb >= K).
 *   C [M, N] (ldc >= N). M, N, K >= 0 (K = 0 scales C by beta). flags: RNN4J_CUDA_TF32 or 0.
 * Asynchronous on `stream`.
 */
int32_t rnn4j_cuda_gemm(int32_t trans_a, int32_t trans_b, int32_t M, int32_t N, int32_t K, float alpha,
                        const float *A, int32_t lda, const float *B, int32_t ldb, float beta, float *C,
                        int32_t ldc, int32_t flags, void *stream);

#ifdef __cplusplus
}
#endif

#endif /* RNN4J_RNN4J_CUDA_H */
