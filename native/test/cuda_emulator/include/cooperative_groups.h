// The CUDA host emulator's stand-in for <cooperative_groups.h>: this_grid().sync() only.
#pragma once

#include "cuda_runtime.h"

namespace cooperative_groups {

struct grid_group {
    // Every thread of a cooperative launch waits here until all have arrived.
    void sync() const { ::cuda_emu::sync_grid(); }
};
inline grid_group this_grid() { return {}; }

}  // namespace cooperative_groups
