// The counter-based generator of the dropout masks (common/philox.h): Random123's known answers,
// the table of keys that dev.rnn4j.PhiloxTest checks the Java twin against (same words, same mask
// digest), the keep rate, and that the per-unit, 4-unit and row forms agree.
#include <cmath>
#include <cstdio>

#include "check.hpp"
#include "philox.h"

using namespace rnn4j::philox;

namespace {

struct Known {
    uint32_t ctr[4];
    uint64_t seed;  // key = {low, high}
    uint32_t out[4];
};

// Random123's kat_vectors for philox4x32_10, then keys shaped like rnn4j's (unit/4, row, step, 2k+d).
// The same table is in rnn4j/src/test/java/dev/rnn4j/PhiloxTest.java.
const Known TABLE[] = {
    {{0, 0, 0, 0}, 0, {0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
    {{0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff}, 0xffffffffffffffffull, {0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
    {{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, 0x299f31d0a4093822ull, {0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
    {{1, 2, 3, 4}, 42, {0x5eee02d8, 0x2c63f826, 0x55d9588e, 0xe6801d72}},
    {{5, 7, 99, 3}, 0x123456789abcdef0ull, {0x4d0b8480, 0x2a73ea76, 0x1396f8a0, 0x1f2f0247}},
    {{0xffffffff, 0, 17, 1}, 0xffffffffffffffffull, {0xf2675206, 0xebf27fc9, 0x30f37803, 0xa5ee66d6}},
    {{12, 31, 199, 2}, 2026, {0x1ea5c9f9, 0x9f15d6ca, 0x1dd32d41, 0xd4f561c5}},
};

}  // namespace

int main() {
    for (const Known &k : TABLE) {
        const U32x4 c = {{k.ctr[0], k.ctr[1], k.ctr[2], k.ctr[3]}};
        const U32x4 r = philox4x32_10(c, (uint32_t)k.seed, (uint32_t)(k.seed >> 32));
        for (int i = 0; i < 4; ++i)
            CHECK_MSG(r.v[i] == k.out[i], "ctr %08x..: word %d = %08x, want %08x", k.ctr[0], i, r.v[i], k.out[i]);
    }
    CHECK(drop_threshold(0.0f) == 0u && drop_threshold(0.5f) == 0x80000000u);
    CHECK(drop_threshold(0.3f) == 1288490240u);

    // The mask digest over a small grid, the same in PhiloxTest: seed 7, p = 0.3.
    {
        const uint32_t thr = drop_threshold(0.3f);
        uint64_t h = 0xcbf29ce484222325ull;
        int kept = 0;
        for (int k = 0; k < 2; ++k)
            for (int d = 0; d < 2; ++d)
                for (int t = 0; t < 10; ++t)
                    for (int b = 0; b < 5; ++b)
                        for (int u = 0; u < 13; ++u) {
                            const unsigned bit = keep(7, thr, k, d, t, b, u) ? 1u : 0u;
                            kept += bit;
                            h = (h ^ bit) * 0x100000001b3ull;
                        }
        CHECK_MSG(kept == 1851 && h == 0xb66611a1b3d22368ull, "digest: kept %d, hash %016llx", kept,
                  (unsigned long long)h);
    }
    // Keep rate and scaling on a large row set, and apply_row == keep per unit.
    {
        const float p = 0.25f, scale = 1.0f / (1.0f - p);
        const uint32_t thr = drop_threshold(p);
        const int Ho = 37, rows = 4000;
        long kept = 0;
        float row[Ho];
        for (int b = 0; b < rows; ++b) {
            for (int u = 0; u < Ho; ++u) row[u] = 1.0f + u;
            apply_row(row, Ho, 99, thr, scale, 1, 1, 5, b);
            for (int u = 0; u < Ho; ++u) {
                const bool kp = keep(99, thr, 1, 1, 5, b, u);
                CHECK(row[u] == (kp ? (1.0f + u) * scale : 0.0f));
                kept += kp;
            }
        }
        const double rate = (double)kept / ((double)rows * Ho);
        // 148,000 draws: the standard deviation of the rate is 0.0011; 5 of them.
        CHECK_MSG(std::fabs(rate - 0.75) < 0.0057, "keep rate %.4f, want 0.75", rate);
    }
    // p = 0 keeps everything.
    for (int u = 0; u < 64; ++u) CHECK(keep(123, drop_threshold(0.0f), 0, 0, 3, 2, u));
    return check::exit_code();
}
