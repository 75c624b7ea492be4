#include "allocator.hpp"

#include <malloc.h>
#include <unistd.h>

#include <cstdlib>
#include <string>
#include <string_view>

namespace jq::cli {

namespace {

constexpr std::string_view k_setting = "glibc.malloc.tcache_count";

} // namespace

void tune_allocator(char** argv) noexcept
{
  mallopt(M_ARENA_MAX, 1);

  const char* const tunables = std::getenv("GLIBC_TUNABLES");
  const std::string_view current = tunables == nullptr ? "" : tunables;
  if (current.find(k_setting) != std::string_view::npos) {
    return; // set by the user, or by the start before this one
  }
  try {
    std::string value(current);
    if (!value.empty()) {
      value += ':';
    }
    value += k_setting;
    value += "=0";
    if (setenv("GLIBC_TUNABLES", value.c_str(), 1) != 0) {
      return;
    }
  } catch (...) {
    return;
  }
  execv("/proc/self/exe", argv);
  // Still here: the program runs on with the cache (and the variable, which
  // keeps it from trying again in a process it starts).
}

} // namespace jq::cli
