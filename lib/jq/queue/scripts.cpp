#include "scripts.hpp"

#include <jq/queue/lua_sources.hpp>

namespace jq::queue::scripts {

// Each script as the build composed and hashed it (cmake/EmbedLua.cmake):
// its helpers in front, as its first line names them.
#define JQ_SCRIPT(name)                                                        \
  const redis::Script& name()                                                  \
  {                                                                            \
    static constexpr redis::Script script(lua::name, lua::name##_sha1);        \
    return script;                                                             \
  }

JQ_SCRIPT(add_jobs)
JQ_SCRIPT(take_jobs)
JQ_SCRIPT(finish_jobs)
JQ_SCRIPT(extend_locks)
JQ_SCRIPT(promote_delayed)
JQ_SCRIPT(job_outcome)

JQ_SCRIPT(move_stalled_to_wait)
JQ_SCRIPT(reclaim_orphans)
JQ_SCRIPT(unlocked_active)
JQ_SCRIPT(requeue_unlocked)

JQ_SCRIPT(job_state)
JQ_SCRIPT(reprocess_job)
JQ_SCRIPT(reprocess_failed_jobs)
JQ_SCRIPT(remove_job)
JQ_SCRIPT(clean_jobs)
JQ_SCRIPT(pause_queue)
JQ_SCRIPT(promote_job)

#undef JQ_SCRIPT

} // namespace jq::queue::scripts
