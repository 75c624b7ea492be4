#include "batched_job.hpp"

namespace jq {

namespace {

thread_local bool t_is_batched = false;

} // namespace

void mark_batched_job() noexcept
{
  t_is_batched = true;
}

bool take_batched_job_mark() noexcept
{
  const bool was = t_is_batched;
  t_is_batched = false;
  return was;
}

} // namespace jq
