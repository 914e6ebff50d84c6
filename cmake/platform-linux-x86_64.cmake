# Initial CMake cache for the linux-x86_64 natives (rnn4j/pom.xml passes cmake -C this file): a native
# build; the CUDA sources are also tested on the host emulator.
set(RNN4J_CUDA_EMULATOR ON CACHE BOOL "Build and test native/cuda on the CUDA host emulator")
