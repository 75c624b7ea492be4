#include "allocator.hpp"

#include <malloc.h>
#include <sys/auxv.h>
#include <unistd.h>

#include <array>
#include <cstddef>
#include <cstdlib>
#include <string>
#include <string_view>

namespace jq::cli {

namespace {

// The user's choice when GLIBC_TUNABLES names any tcache setting.
constexpr std::string_view k_tcache_settings = "glibc.malloc.tcache_";
constexpr std::string_view k_setting = "glibc.malloc.tcache_max=256";
constexpr const char* k_marker = "JQ_ALLOCATOR_TUNED";

// Whether /proc/self/exe is the program itself, named `name`: not the
// dynamic loader it was started through, nor valgrind.
bool runs_as(std::string_view name)
{
  std::array<char, 4096> path{};
  const ssize_t length = readlink("/proc/self/exe", path.data(), path.size());
  if (length <= 0 || static_cast<std::size_t>(length) >= path.size()) {
    return false;
  }
  const std::string_view exe(path.data(), static_cast<std::size_t>(length));
  const auto slash = exe.rfind('/');
  return exe.substr(slash == std::string_view::npos ? 0 : slash + 1) == name;
}

} // namespace

void tune_allocator(char** argv, std::string_view name) noexcept
{
  mallopt(M_ARENA_MAX, 1);

  const char* const tunables = std::getenv("GLIBC_TUNABLES");
  const std::string_view current = tunables == nullptr ? "" : tunables;
  // Once only: in secure mode (setuid, file capabilities) glibc drops the
  // setting from the variable, and a second look would start again forever.
  if (current.find(k_tcache_settings) != std::string_view::npos
      || std::getenv(k_marker) != nullptr || getauxval(AT_SECURE) != 0
      || !runs_as(name)) {
    return;
  }
  try {
    std::string value(current);
    if (!value.empty()) {
      value += ':';
    }
    value += k_setting;
    if (setenv(k_marker, "1", 1) != 0
        || setenv("GLIBC_TUNABLES", value.c_str(), 1) != 0) {
      return;
    }
  } catch (...) {
    return;
  }
  execv("/proc/self/exe", argv);
  // Still here: the program runs on with the cache.
}

} // namespace jq::cli
