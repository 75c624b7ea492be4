#pragma once

#include <jq/redis/script.hpp>

namespace jq::queue::scripts {

// Each lifecycle transition is one Lua script, so it is atomic. The scripts
// live in lua/*.lua, each documenting its keys, arguments and reply at the
// top; lua/include/*.lua holds the helpers sent in front of them. Callers:
// transitions.cpp (the worker's), producer.cpp, outcome.cpp, inspector.cpp
// and admin.cpp.

const redis::Script& add_jobs();
const redis::Script& take_jobs();
const redis::Script& finish_jobs();
const redis::Script& extend_locks();
const redis::Script& promote_delayed();
const redis::Script& job_outcome();

// Putting back jobs whose worker is gone or lost track of them.
const redis::Script& move_stalled_to_wait();
const redis::Script& reclaim_orphans();
const redis::Script& unlocked_active();
const redis::Script& requeue_unlocked();

// jq-inspect (read one job; the operator's actions).
const redis::Script& job_state();
const redis::Script& reprocess_job();
const redis::Script& reprocess_failed_jobs();
const redis::Script& remove_job();
const redis::Script& clean_jobs();
const redis::Script& pause_queue();
const redis::Script& promote_job();

} // namespace jq::queue::scripts
