# Initial CMake cache for the linux-arm64 natives (rnn4j/pom.xml with -Djavacpp.platform=linux-arm64
# passes cmake -C this file): cross-compiled with Debian's g++-aarch64-linux-gnu; ctest runs the test
# programs under qemu-aarch64 with the cross toolchain's libraries (/usr/aarch64-linux-gnu).
set(CMAKE_TOOLCHAIN_FILE "${CMAKE_CURRENT_LIST_DIR}/aarch64-linux-gnu.cmake" CACHE FILEPATH "")
# the emulator runs x86-64 fibers; no CUDA cross toolchain
set(RNN4J_CUDA_EMULATOR OFF CACHE BOOL "Build and test native/cuda on the CUDA host emulator")
