// Shared by the C++ peers of scripts/bench-compare.sh: the reference files Compare.java writes
// (OUT/ref/SHAPE.txt + SHAPE.f32), the timing protocol, the tolerance and the CSV row.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

namespace peer {

// One shape of docs/DESIGN.md §7 with rnn4j's inputs and outputs on it.
struct Reference {
    std::string shape, cell;
    int I = 0, H = 0, N = 0, T = 0, L = 0, D = 0;
    bool training = false;
    double flops_infer = 0, flops_train = 0;
    std::map<std::string, std::vector<float>> t;  // params, x, dy, y, hN, cN, dx, dh0, dc0, grads

    int gates() const { return cell == "LSTM" ? 4 : cell == "GRU" ? 3 : 1; }
    int layer_input(int k) const { return k == 0 ? I : D * H; }
    const std::vector<float> &operator[](const std::string &name) const {
        auto it = t.find(name);
        if (it == t.end()) throw std::runtime_error("reference has no tensor " + name);
        return it->second;
    }
    bool has(const std::string &name) const { return t.count(name) != 0; }
};

inline Reference load_reference(const std::string &dir, const std::string &shape) {
    Reference r;
    std::ifstream m(dir + "/" + shape + ".txt");
    if (!m) throw std::runtime_error("cannot read " + dir + "/" + shape + ".txt (run Compare first)");
    std::ifstream f(dir + "/" + shape + ".f32", std::ios::binary);
    if (!f) throw std::runtime_error("cannot read " + dir + "/" + shape + ".f32");
    std::string key;
    while (m >> key) {
        if (key == "tensor") {
            std::string name;
            size_t n;
            m >> name >> n;
            std::vector<float> v(n);
            f.read(reinterpret_cast<char *>(v.data()), static_cast<std::streamsize>(n * sizeof(float)));
            if (!f) throw std::runtime_error("short file " + shape + ".f32 at " + name);
            r.t[name] = std::move(v);
        } else if (key == "shape") m >> r.shape;
        else if (key == "cell") m >> r.cell;
        else if (key == "input") m >> r.I;
        else if (key == "hidden") m >> r.H;
        else if (key == "batch") m >> r.N;
        else if (key == "steps") m >> r.T;
        else if (key == "layers") m >> r.L;
        else if (key == "directions") m >> r.D;
        else if (key == "training") { int v; m >> v; r.training = v != 0; }
        else if (key == "flops_infer") m >> r.flops_infer;
        else if (key == "flops_train") m >> r.flops_train;
        else { std::string skip; std::getline(m, skip); }
    }
    return r;
}

// Cross-implementation tolerance: max |got - ref| over a tensor, relative to max |ref|
// (the same rule as Compare.java).
constexpr double kTolerance = 1e-3;
// Reduced-precision rows (bf16, int8) compute another function than the fp32 reference: they are
// checked against it only for gross errors (a wrong weight mapping or scale is off by O(1)); the
// distance itself is reported beside the time.
constexpr double kReducedTolerance = 0.1;

struct Check {
    double tolerance = kTolerance;
    double worst = 0;
    std::string worst_name, failures;
    void compare(const std::string &name, const float *got, const std::vector<float> &ref) {
        double max_ref = 0, max_err = 0;
        for (size_t i = 0; i < ref.size(); i++) {
            max_ref = std::max(max_ref, (double)std::fabs(ref[i]));
            double e = std::fabs((double)got[i] - ref[i]);
            if (!(e <= max_err)) max_err = e;  // NaN propagates
        }
        double rel = max_err / std::max(max_ref, 1e-3);
        if (!(rel <= tolerance)) {
            char b[64];
            std::snprintf(b, sizeof b, " (%.2e)", rel);
            failures += (failures.empty() ? "" : "; ") + name + b;
        }
        if (!(rel <= worst)) { worst = rel; worst_name = name; }
    }
    bool ok() const { return failures.empty(); }
    std::string status() const { return ok() ? "ok" : "FAIL"; }
};

// warmup untimed calls, then reps calls timed one by one; milliseconds.
template <class F>
std::vector<double> time_ms(F &&call, int warmup, int reps) {
    for (int i = 0; i < warmup; i++) call();
    std::vector<double> ms;
    for (int i = 0; i < reps; i++) {
        auto t0 = std::chrono::steady_clock::now();
        call();
        auto t1 = std::chrono::steady_clock::now();
        ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
    }
    return ms;
}

inline double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    size_t n = v.size();
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

inline const char *kHeader = "impl,variant,shape,threads,mode,median_ms,min_ms,max_ms,reps,check,max_rel_err,note";

inline void row(FILE *out, const std::string &impl, const std::string &variant, const std::string &shape,
                int threads, const std::string &mode, const std::vector<double> &ms, const std::string &check,
                double err, std::string note) {
    std::replace(note.begin(), note.end(), ',', ';');
    auto s = ms;
    std::sort(s.begin(), s.end());
    std::fprintf(out, "%s,%s,%s,%d,%s,%.4f,%.4f,%.4f,%zu,%s,%.3e,%s\n", impl.c_str(), variant.c_str(), shape.c_str(),
                 threads, mode.c_str(), median(ms), s.front(), s.back(), ms.size(), check.c_str(), err, note.c_str());
    std::fflush(out);
}

// A configuration whose check failed: not timed.
inline void failed_row(FILE *out, const std::string &impl, const std::string &variant, const std::string &shape,
                       int threads, const std::string &mode, double err, std::string note) {
    std::replace(note.begin(), note.end(), ',', ';');
    std::fprintf(out, "%s,%s,%s,%d,%s,,,,0,FAIL,%.3e,%s\n", impl.c_str(), variant.c_str(), shape.c_str(), threads,
                 mode.c_str(), err, note.c_str());
    std::fflush(out);
}

inline std::vector<std::string> split(const std::string &s, char sep = ',') {
    std::vector<std::string> out;
    std::stringstream ss(s);
    std::string part;
    while (std::getline(ss, part, sep))
        if (!part.empty()) out.push_back(part);
    return out;
}

// The arguments the harnesses take first, REFDIR SHAPES THREADS WARMUP REPS OUT.csv (argv[1..6]),
// with OUT.csv opened and its header written; exits with a usage line when argc differs.
struct Args {
    std::string dir;
    std::vector<std::string> shapes, threads;
    int warmup = 0, reps = 0;
    FILE *out = nullptr;
};

inline Args parse_args(int argc, char **argv, int expected_argc, const char *usage) {
    if (argc != expected_argc) {
        std::fprintf(stderr, "usage: %s %s\n", argv[0], usage);
        std::exit(2);
    }
    Args a;
    a.dir = argv[1];
    a.shapes = split(argv[2]);
    a.threads = split(argv[3]);
    a.warmup = std::atoi(argv[4]);
    a.reps = std::atoi(argv[5]);
    a.out = std::fopen(argv[6], "w");
    if (!a.out) { std::perror(argv[6]); std::exit(2); }
    std::fprintf(a.out, "%s\n", kHeader);
    return a;
}

}  // namespace peer
