// Philox4x32-10 (Salmon et al., SC 2011; the constants of Random123) and the dropout keep rule, for
// the CPU kernels and the CUDA kernels alike (__host__ __device__ under nvcc). The Java twin is
// dev.rnn4j.Philox; test_philox and PhiloxTest check both against the same table of keys.
//
// A dropout mask bit is a pure function of its position, never of the order positions are visited
// in, so every backend and every thread count draws the same mask from the same seed: the output of
// layer k (below the top), direction d, time step t, the caller's batch row b and unit u
// (0 <= u < Ho, within the direction's half of the layer output) is kept iff word u & 3 of
// philox4x32_10(counter = {u >> 2, b, t, 2k + d}, key = {seed low 32 bits, seed high 32 bits}) is at
// least floor(p * 2^32); kept values are scaled by 1/(1-p) (computed in float).
#ifndef RNN4J_PHILOX_H
#define RNN4J_PHILOX_H

#include <stdint.h>

#ifdef __CUDACC__
#define RNN4J_PHILOX_HD __host__ __device__ __forceinline__
#else
#define RNN4J_PHILOX_HD inline
#endif

namespace rnn4j {
namespace philox {

struct U32x4 {
    uint32_t v[4];
};

RNN4J_PHILOX_HD U32x4 philox4x32_10(U32x4 c, uint32_t k0, uint32_t k1) {
    const uint32_t M0 = 0xD2511F53u, M1 = 0xCD9E8D57u, W0 = 0x9E3779B9u, W1 = 0xBB67AE85u;
    for (int round = 0; round < 10; ++round) {
        if (round > 0) k0 += W0, k1 += W1;
        const uint64_t p0 = (uint64_t)M0 * c.v[0], p1 = (uint64_t)M1 * c.v[2];
        const U32x4 n = {{(uint32_t)(p1 >> 32) ^ c.v[1] ^ k0, (uint32_t)p1, (uint32_t)(p0 >> 32) ^ c.v[3] ^ k1,
                          (uint32_t)p0}};
        c = n;
    }
    return c;
}

// floor(p * 2^32) for 0 <= p < 1: exact in double (p is a float), so every backend agrees.
RNN4J_PHILOX_HD uint32_t drop_threshold(float p) { return (uint32_t)((double)p * 4294967296.0); }

// The 4 mask bits of units 4*q .. 4*q+3 of one output row: bit i set iff unit 4*q + i is kept.
RNN4J_PHILOX_HD unsigned keep4(uint64_t seed, uint32_t threshold, int layer, int dir, int t, int b, int q) {
    const U32x4 c = {{(uint32_t)q, (uint32_t)b, (uint32_t)t, (uint32_t)(2 * layer + dir)}};
    const U32x4 r = philox4x32_10(c, (uint32_t)seed, (uint32_t)(seed >> 32));
    return (r.v[0] >= threshold ? 1u : 0u) | (r.v[1] >= threshold ? 2u : 0u) | (r.v[2] >= threshold ? 4u : 0u) |
           (r.v[3] >= threshold ? 8u : 0u);
}

RNN4J_PHILOX_HD bool keep(uint64_t seed, uint32_t threshold, int layer, int dir, int t, int b, int u) {
    return (keep4(seed, threshold, layer, dir, t, b, u >> 2) >> (u & 3)) & 1u;
}

// Multiplies one row of Ho units of direction dir's half (in place) by its mask and scale.
RNN4J_PHILOX_HD void apply_row(float *row, int Ho, uint64_t seed, uint32_t threshold, float scale, int layer, int dir,
                               int t, int b) {
    for (int q = 0; q * 4 < Ho; ++q) {
        const unsigned m = keep4(seed, threshold, layer, dir, t, b, q);
        for (int i = 0; i < 4 && q * 4 + i < Ho; ++i) row[q * 4 + i] = (m >> i) & 1u ? row[q * 4 + i] * scale : 0.0f;
    }
}

}  // namespace philox
}  // namespace rnn4j

#endif  // RNN4J_PHILOX_H
