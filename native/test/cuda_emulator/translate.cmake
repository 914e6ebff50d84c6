# Turns a CUDA source of native/cuda into C++ for the host emulator (cmake -P translate.cmake
# -DIN=file.cu -DOUT=file.cpp). Only the two constructs of the CUDA language that C++ cannot parse
# are rewritten, on the same lines (compiler messages keep pointing at the .cu file):
#   kernel<<<grid, block, smem, stream>>>(args)
#       -> kernel | ::cuda_emu::LaunchConfig{grid, block, smem, stream} | ::cuda_emu::args(args)
#   extern __shared__ T name[];  ->  T *name = static_cast<T *>(::cuda_emu::dynamic_shared());
file(READ "${IN}" text)
string(REPLACE "<<<" "| ::cuda_emu::LaunchConfig{" text "${text}")
string(REPLACE ">>>(" "} | ::cuda_emu::args(" text "${text}")
string(REGEX REPLACE "extern __shared__ ([A-Za-z0-9_]+) ([A-Za-z0-9_]+)\\[\\];"
       "\\1 *\\2 = static_cast<\\1 *>(::cuda_emu::dynamic_shared());" text "${text}")
if(text MATCHES "<<<|>>>|extern __shared__")
  message(FATAL_ERROR "${IN}: a kernel launch or dynamic shared memory declaration in a form the emulator's translation does not know")
endif()
file(WRITE "${OUT}.tmp" "#line 1 \"${IN}\"\n${text}")
file(COPY_FILE "${OUT}.tmp" "${OUT}" ONLY_IF_DIFFERENT)
file(REMOVE "${OUT}.tmp")
