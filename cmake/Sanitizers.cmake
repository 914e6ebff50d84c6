# RNN4J_SANITIZE=ON builds everything with AddressSanitizer and UndefinedBehaviorSanitizer
# (scripts/sanitize.sh uses it to run the native tests). Never for the shipped library.
option(RNN4J_SANITIZE "Build with -fsanitize=address,undefined (tests only)" OFF)
if(RNN4J_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=address,undefined)
endif()
