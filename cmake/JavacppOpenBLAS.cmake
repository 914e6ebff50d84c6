# Finds the OpenBLAS shipped inside the JavaCPP preset jar (unpacked by Maven under target/deps).
#
# The preset's own CMake and pkg-config files point at its builder's paths and cannot be used, so the
# library and headers are located by hand. Defines the imported target JavacppOpenBLAS::openblas.
#
# JavaCPP links its JNI glue with -lopenblas_nolapack (the preset's link name), but the jar holds
# only libopenblas.so.0; a symlink under ${CMAKE_BINARY_DIR}/linklibs satisfies the linker. At run
# time JavaCPP's Loader has already loaded the preset's library, whose SONAME (libopenblas.so.0)
# satisfies our NEEDED entry.
set(OPENBLAS_ROOT "" CACHE PATH "Folder of the unpacked OpenBLAS preset (holds include/ and libopenblas.so.0)")
if(NOT OPENBLAS_ROOT)
  message(FATAL_ERROR "OPENBLAS_ROOT is not set: run the build through Maven (mvn package), or pass "
                      "-DOPENBLAS_ROOT=<repo>/target/deps/org/bytedeco/openblas/linux-x86_64")
endif()
find_path(OPENBLAS_INCLUDE_DIR cblas.h PATHS "${OPENBLAS_ROOT}/include" NO_DEFAULT_PATH REQUIRED)
find_library(OPENBLAS_LIBRARY NAMES libopenblas.so.0 openblas PATHS "${OPENBLAS_ROOT}" NO_DEFAULT_PATH REQUIRED)

add_library(JavacppOpenBLAS::openblas SHARED IMPORTED)
set_target_properties(JavacppOpenBLAS::openblas PROPERTIES
  IMPORTED_LOCATION "${OPENBLAS_LIBRARY}"
  IMPORTED_SONAME "libopenblas.so.0"
  INTERFACE_INCLUDE_DIRECTORIES "${OPENBLAS_INCLUDE_DIR}")

file(MAKE_DIRECTORY "${CMAKE_BINARY_DIR}/linklibs")
file(CREATE_LINK "${OPENBLAS_LIBRARY}" "${CMAKE_BINARY_DIR}/linklibs/libopenblas_nolapack.so" SYMBOLIC)
message(STATUS "rnn4j: OpenBLAS ${OPENBLAS_LIBRARY}")
