#include "version.hpp"

// CMake defines JQ_VERSION for this file only, so a new version rebuilds
// one file.
#ifndef JQ_VERSION
#  error "JQ_VERSION must be defined by the build"
#endif

namespace jq {

std::string_view version() noexcept
{
  return JQ_VERSION;
}

} // namespace jq
