#include "inner_wait.hpp"

namespace jq {

namespace {

thread_local std::chrono::nanoseconds t_waited{0};

} // namespace

void add_inner_wait(std::chrono::nanoseconds waited) noexcept
{
  t_waited += waited;
}

std::chrono::nanoseconds take_inner_wait() noexcept
{
  const auto waited = t_waited;
  t_waited = std::chrono::nanoseconds(0);
  return waited;
}

} // namespace jq
