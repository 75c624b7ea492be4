#include "scripts.hpp"

#include <jq/queue/lua_sources.hpp>

#include <initializer_list>
#include <string>

namespace jq::queue::scripts {

namespace {

// A script made of helpers (lua/include/) followed by its body.
redis::Script compose(std::initializer_list<std::string_view> parts)
{
  std::string source;
  for (const auto part : parts) {
    source += part;
  }
  return redis::Script(source);
}

} // namespace

// Each script is built once, on first use.
#define JQ_SCRIPT(name, ...)                                                   \
  const redis::Script& name()                                                  \
  {                                                                            \
    static const redis::Script script = compose({__VA_ARGS__});                \
    return script;                                                             \
  }

JQ_SCRIPT(add_jobs, lua::include_queue, lua::add_jobs)
JQ_SCRIPT(take_jobs, lua::include_queue, lua::take_jobs)
JQ_SCRIPT(finish_jobs, lua::include_queue, lua::finish_jobs)
JQ_SCRIPT(extend_locks, lua::extend_locks)
JQ_SCRIPT(promote_delayed, lua::include_queue, lua::promote_delayed)
JQ_SCRIPT(job_outcome, lua::job_outcome)

JQ_SCRIPT(move_stalled_to_wait, lua::include_queue, lua::move_stalled_to_wait)
JQ_SCRIPT(reclaim_orphans,
          lua::include_queue,
          lua::include_back_to_head,
          lua::reclaim_orphans)
JQ_SCRIPT(unlocked_active, lua::unlocked_active)
JQ_SCRIPT(requeue_unlocked,
          lua::include_queue,
          lua::include_back_to_head,
          lua::requeue_unlocked)

JQ_SCRIPT(job_state, lua::include_queue, lua::include_admin, lua::job_state)
JQ_SCRIPT(reprocess_job,
          lua::include_queue,
          lua::include_admin,
          lua::reprocess_job)
JQ_SCRIPT(reprocess_failed_jobs,
          lua::include_queue,
          lua::include_admin,
          lua::reprocess_failed_jobs)
JQ_SCRIPT(remove_job, lua::include_queue, lua::include_admin, lua::remove_job)
JQ_SCRIPT(clean_jobs, lua::include_queue, lua::include_admin, lua::clean_jobs)
JQ_SCRIPT(pause_queue, lua::include_queue, lua::include_admin, lua::pause_queue)
JQ_SCRIPT(promote_job, lua::include_queue, lua::include_admin, lua::promote_job)

#undef JQ_SCRIPT

} // namespace jq::queue::scripts
