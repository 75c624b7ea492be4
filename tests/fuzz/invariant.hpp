// How a fuzz target reports a broken invariant: the reason and the input on
// stderr, then abort(), which libFuzzer reports as a crash (the input is
// kept in build-fuzz/artifacts/).
#pragma once

#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace jq::fuzz {

inline void check(bool condition, const char* what, std::string_view input)
{
  if (!condition) {
    std::fprintf(stderr,
                 "invariant broken: %s\ninput: %.*s\n",
                 what,
                 static_cast<int>(input.size()),
                 input.data());
    std::abort();
  }
}

} // namespace jq::fuzz
