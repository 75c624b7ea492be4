# Warnings for our own targets only (linked privately), C and C++ (the
# C++-only ones only there).
add_library(jq_warnings INTERFACE)
target_compile_options(
  jq_warnings
  INTERFACE -Wall
            -Wextra
            -Wpedantic
            -Wshadow
            $<$<COMPILE_LANGUAGE:CXX>:-Wnon-virtual-dtor>
            -Wcast-align
            -Wunused
            $<$<COMPILE_LANGUAGE:CXX>:-Woverloaded-virtual>
            -Wdouble-promotion
            -Wformat=2
            -Wimplicit-fallthrough)
if(JQ_WARNINGS_AS_ERRORS)
  target_compile_options(jq_warnings INTERFACE -Werror)
endif()
target_compile_definitions(jq_warnings
                           INTERFACE $<$<CONFIG:Debug>:_GLIBCXX_ASSERTIONS>)
