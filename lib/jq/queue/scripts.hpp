#pragma once

#include <jq/redis/script.hpp>

#include <string_view>

namespace jq::queue::scripts {

// Each lifecycle transition is one Lua script, so it is atomic. Keys and
// arguments are documented at the top of each script (scripts.cpp,
// recovery_scripts.cpp, admin_scripts.cpp); the
// callers in this folder are the only users.

const redis::Script& add_job();
const redis::Script& move_to_active();
const redis::Script& extend_lock();
const redis::Script& move_to_finished();
const redis::Script& retry_job();
const redis::Script& promote_delayed();
const redis::Script& job_outcome();

// Putting back jobs whose worker is gone or lost track of them
// (recovery_scripts.cpp).
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

// The Lua functions every transition script starts with (putting a job in
// line, starting and releasing it), for the scripts of all three files.
std::string_view lua_helpers();

} // namespace jq::queue::scripts
