#include "allocator.hpp"

#include <malloc.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
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

// The kernel names a process after the file it executes, so the second
// start would be "exe" to pkill, killall, ps and top (and so would every
// thread started after it): give it back the name of its first start, which
// its arguments keep (argv[0]'s file name, as a shell passes it; `name` if
// there is none). Limited to 15 bytes by the kernel.
void restore_name(const char* const* argv, std::string_view name) noexcept
{
  std::string_view first = argv[0] != nullptr ? argv[0] : "";
  first.remove_prefix(first.rfind('/') + 1); // npos + 1 == 0: no slash
  std::array<char, 16> comm{};
  (first.empty() ? name : first).copy(comm.data(), comm.size() - 1);
  prctl(PR_SET_NAME, comm.data(), 0, 0, 0);
}

} // namespace

void tune_allocator(char** argv, std::string_view name) noexcept
{
  mallopt(M_ARENA_MAX, 1);

  const char* const tunables = std::getenv("GLIBC_TUNABLES");
  const std::string_view current = tunables == nullptr ? "" : tunables;
  if (std::getenv(k_marker) != nullptr) {
    // Started again (or by one that was): once only, since in secure mode
    // (setuid, file capabilities) glibc drops the setting from the
    // variable, and a second look would start again forever.
    restore_name(argv, name);
    return;
  }
  if (current.find(k_tcache_settings) != std::string_view::npos
      || getauxval(AT_SECURE) != 0 || !runs_as(name)) {
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
