// Host-side checks of the CUDA C API that need no GPU: the probe reports a reason, sizes agree with
// the CPU library, argument errors are statuses with messages (never a crash, never an exit).
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "check.hpp"
#include "rnn4j/rnn4j.h"
#include "rnn4j/rnn4j_cuda.h"

int main() {
    std::printf("%s\n", rnn4j_cuda_build_info());
    CHECK(std::strcmp(rnn4j_cuda_version(), rnn4j_version()) == 0);

    int32_t count = -1, reason = -1;
    char msg[512];
    CHECK(rnn4j_cuda_device_count(&count, &reason, msg, sizeof msg) == RNN4J_OK);
    std::printf("probe: count %d, reason %d: %s\n", count, reason, msg);
    CHECK(reason >= RNN4J_CUDA_USABLE && reason <= RNN4J_CUDA_OTHER_ERROR);
    CHECK((reason == RNN4J_CUDA_USABLE) == (count > 0));
    CHECK(std::strlen(msg) > 10);
    if (reason != RNN4J_CUDA_USABLE) {
        CHECK_MSG(std::strstr(msg, "driver") || std::strstr(msg, "GPU"), "reason names the driver or the GPU: %s", msg);
        // Calls needing a device fail cleanly with a CUDA status and a message.
        void *p = nullptr;
        const int32_t st = rnn4j_cuda_malloc(&p, 64);
        CHECK(st != RNN4J_OK && p == nullptr);
        std::printf("malloc without a GPU: status %d: %s\n", st, rnn4j_cuda_last_error());
        CHECK(std::strlen(rnn4j_cuda_last_error()) > 0);
    }
    CHECK(rnn4j_cuda_device_count(nullptr, &reason, msg, sizeof msg) == RNN4J_ERR_ARGUMENT);
    CHECK(std::strstr(rnn4j_cuda_last_error(), "count") != nullptr);

    // Parameter counts agree with the CPU library; workspace sizes are computed for every cell.
    for (int cell = 0; cell < 4; ++cell)
        for (int bi = 0; bi < 2; ++bi)
            for (int proj = 0; proj < 2; ++proj) {
                if (proj && cell != RNN4J_LSTM) continue;
                rnn4j_desc d{cell, 7, 13, proj ? 5 : 0, 2, bi, 1, 0};
                int64_t a = -1, b = -2, ws0 = 0, ws1 = 0;
                CHECK(rnn4j_param_count(&d, &a) == RNN4J_OK);
                CHECK(rnn4j_cuda_param_count(&d, &b) == RNN4J_OK);
                CHECK(a == b);
                CHECK(rnn4j_cuda_workspace_size(&d, 9, 4, 0, &ws0) == RNN4J_OK && ws0 > 0);
                CHECK(rnn4j_cuda_workspace_size(&d, 9, 4, 1, &ws1) == RNN4J_OK && ws1 > ws0);
            }

    // Argument errors: statuses and messages that name the argument.
    rnn4j_desc bad{9, 7, 13, 0, 1, 0, 1, 0};
    CHECK(rnn4j_cuda_check_desc(&bad) == RNN4J_ERR_ARGUMENT);
    CHECK(std::strstr(rnn4j_cuda_last_error(), "cell") != nullptr);
    rnn4j_desc d{RNN4J_GRU, 7, 13, 0, 1, 0, 1, 0};
    int64_t ws = 0;
    CHECK(rnn4j_cuda_workspace_size(&d, 0, 4, 1, &ws) == RNN4J_ERR_ARGUMENT);
    CHECK(std::strstr(rnn4j_cuda_last_error(), "T = 0") != nullptr);
    CHECK(rnn4j_cuda_workspace_size(&d, 65536, 65536, 1, &ws) == RNN4J_ERR_ARGUMENT);
    float dummy[4];
    CHECK(rnn4j_cuda_forward(&d, 3, 2, nullptr, 1, nullptr, dummy, nullptr, nullptr, dummy, nullptr, nullptr, dummy,
                             1 << 20, 0, nullptr) == RNN4J_ERR_ARGUMENT);
    CHECK(std::strstr(rnn4j_cuda_last_error(), "params is NULL") != nullptr);
    const int32_t lens[2] = {3, 4};
    CHECK(rnn4j_cuda_forward(&d, 3, 2, lens, 1, dummy, dummy, nullptr, nullptr, dummy, nullptr, nullptr, dummy,
                             1 << 20, 0, nullptr) == RNN4J_ERR_ARGUMENT);
    CHECK(std::strstr(rnn4j_cuda_last_error(), "lengths[1] = 4") != nullptr);
    CHECK(rnn4j_cuda_forward(&d, 3, 2, nullptr, 1, dummy, dummy, nullptr, nullptr, dummy, nullptr, nullptr, dummy,
                             16, 0, nullptr) == RNN4J_ERR_ARGUMENT);
    CHECK(std::strstr(rnn4j_cuda_last_error(), "too small") != nullptr);
    CHECK(rnn4j_cuda_forward(&d, 3, 2, nullptr, 1, dummy, dummy, nullptr, nullptr, dummy, nullptr, nullptr, dummy,
                             1 << 20, 64, nullptr) == RNN4J_ERR_ARGUMENT);
    CHECK(std::strstr(rnn4j_cuda_last_error(), "flags") != nullptr);
    CHECK(rnn4j_cuda_gemm(2, 0, 1, 1, 1, 1.0f, dummy, 1, dummy, 1, 0.0f, dummy, 1, 0, nullptr) == RNN4J_ERR_ARGUMENT);
    CHECK(rnn4j_cuda_gemm(0, 0, 4, 4, 4, 1.0f, dummy, 2, dummy, 4, 0.0f, dummy, 4, 0, nullptr) == RNN4J_ERR_ARGUMENT);
    CHECK(std::strstr(rnn4j_cuda_last_error(), "lda") != nullptr);
    return check::exit_code();
}
