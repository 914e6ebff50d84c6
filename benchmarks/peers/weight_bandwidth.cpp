// The bandwidth limit of batch-1 inference (L1-L3): at batch 1, every step reads all of W_hh
// (G*H x H floats per layer and direction) for a matrix-vector product, and every call reads W_ih
// once (the input projection), so a call cannot be faster than the cache level holding the weights
// can deliver |W_ih| + T*|W_hh| bytes. This harness measures that on the shape's own sizes: t
// threads (OpenMP) each own 1/t of a W_ih-sized and of a W_hh-sized buffer (first touched by their
// owner, as an RNN that splits the weights' rows over its threads would keep them); one timed call
// reads its W_ih share once and its W_hh share T times, with a barrier after each pass (one per step).
// Reads only (a sum into 8 independent vector accumulators, no FMA dependency chains): the time of
// streaming the weights alone, with no arithmetic or state traffic.
//
// Writes rows like the other harnesses (impl "bandwidth", variant "weights", mode infer), so the
// report can put the GB/s an RNN achieves beside what the cache level gives.
//
// usage: weight_bandwidth REFDIR SHAPES THREADS WARMUP REPS OUT.csv
#include <omp.h>

#include <cstring>

#include "common.hpp"

namespace {

typedef float v16 __attribute__((vector_size(64)));

// Sum of n floats (n a multiple of 128) from a 64-byte aligned p: 8 accumulators keep 8 loads in flight.
float sum(const float *p, size_t n) {
    v16 a[8] = {};
    for (size_t i = 0; i < n; i += 128)
        for (int k = 0; k < 8; k++) {
            v16 x;
            std::memcpy(&x, p + i + 16 * k, sizeof x);
            a[k] += x;
        }
    v16 s = ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7]));
    float r = 0;
    for (int k = 0; k < 16; k++) r += s[k];
    return r;
}

}  // namespace

int main(int argc, char **argv) {
    auto args = peer::parse_args(argc, argv, 7, "REFDIR SHAPES THREADS WARMUP REPS OUT.csv");
    FILE *out = args.out;
    for (const auto &shape : args.shapes) {
        peer::Reference r = peer::load_reference(args.dir, shape);
        if (r.N != 1) continue;  // only batch 1 is bound by streaming W_hh
        size_t hh = (size_t)r.L * r.D * r.gates() * r.H * r.H, ih = 0;
        for (int k = 0; k < r.L; k++) ih += (size_t)r.D * r.gates() * r.H * r.layer_input(k);
        for (const auto &ts : args.threads) {
            int t = std::atoi(ts.c_str());
            // each thread's shares, whole 128-float blocks: [W_ih share | W_hh share] per thread
            size_t per_ih = (ih / t + 127) / 128 * 128, per_hh = (hh / t + 127) / 128 * 128, per = per_ih + per_hh;
            float *buf = static_cast<float *>(std::aligned_alloc(64, per * t * sizeof(float)));
            volatile float sink = 0;
            auto call = [&] {
#pragma omp parallel num_threads(t)
                {
                    int id = omp_get_thread_num();
                    float acc = sum(buf + id * per, per_ih);
                    for (int s = 0; s < r.T; s++) {
                        acc += sum(buf + id * per + per_ih, per_hh);
#pragma omp barrier
                    }
#pragma omp atomic
                    sink += acc;
                }
            };
#pragma omp parallel num_threads(t)
            {
                int id = omp_get_thread_num();  // first touch by the owner
                for (size_t i = 0; i < per; i++) buf[id * per + i] = 1e-3f * (float)(i % 97);
            }
            auto ms = peer::time_ms(call, args.warmup, args.reps);
            double med = peer::median(ms);
            double bytes = 4.0 * t * (per_ih + (double)r.T * per_hh), gbs = bytes / (med * 1e6);
            char note[200];
            std::snprintf(note, sizeof note, "reads W_ih (%.2f MiB) once and W_hh (%.2f MiB) %d times; %.1f GB/s",
                          ih * 4.0 / 1048576, hh * 4.0 / 1048576, r.T, gbs);
            peer::row(out, "bandwidth", "weights", shape, t, "infer", ms, "n/a", 0, note);
            std::printf("  %s threads=%d  %s: median %.4f ms\n", shape.c_str(), t, note, med);
            std::free(buf);
        }
    }
    std::fclose(out);
    return 0;
}
