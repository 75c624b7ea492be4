#include "version.hpp"

// CMake defines JQ_VERSION for this file only, so a new version rebuilds
// one file. Builds without CMake (tests/fuzz) get a placeholder.
#ifndef JQ_VERSION
#  define JQ_VERSION "0.0.0-unknown"
#endif

namespace jq {

std::string_view version() noexcept
{
  return JQ_VERSION;
}

} // namespace jq
