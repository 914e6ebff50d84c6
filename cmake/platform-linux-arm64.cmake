# Initial CMake cache for the linux-arm64 natives (rnn4j/pom.xml with -Djavacpp.platform=linux-arm64
# passes cmake -C this file): cross-compiled with Debian's g++-aarch64-linux-gnu; ctest runs the test
# programs under qemu-aarch64 with the cross toolchain's libraries (/usr/aarch64-linux-gnu).
set(CMAKE_TOOLCHAIN_FILE "${CMAKE_CURRENT_LIST_DIR}/aarch64-linux-gnu.cmake" CACHE FILEPATH "")
# the emulator runs x86-64 fibers; no CUDA cross toolchain
set(RNN4J_CUDA_EMULATOR OFF CACHE BOOL "Build and test native/cuda on the CUDA host emulator")
# OpenBLAS 0.3.31's headers declare `typedef _Float16 hfloat16` for every GCC >= 12, but
# aarch64-linux-gnu-g++ 12 knows _Float16 in C only; __fp16 is the same storage type in C++ (rnn4j
# calls no half-precision function). rnn4j/pom.xml passes the same to JavaCPP's compile.
set(CMAKE_CXX_FLAGS "-D_Float16=__fp16" CACHE STRING "")
