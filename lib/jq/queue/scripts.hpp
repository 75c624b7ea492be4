#pragma once

#include <jq/redis/script.hpp>

namespace jq::queue::scripts {

// Each lifecycle transition is one Lua script, so it is atomic. Keys and
// arguments are documented at the top of each script in scripts.cpp; the
// callers in this folder are the only users.

const redis::Script& add_job();
const redis::Script& move_to_active();
const redis::Script& extend_lock();
const redis::Script& move_to_finished();
const redis::Script& retry_job();
const redis::Script& move_stalled_to_wait();
const redis::Script& promote_delayed();
const redis::Script& job_outcome();

// jq-inspect (read one job; the operator's actions).
const redis::Script& job_state();
const redis::Script& reprocess_job();
const redis::Script& reprocess_failed_jobs();
const redis::Script& remove_job();
const redis::Script& clean_jobs();
const redis::Script& pause_queue();
const redis::Script& promote_job();

} // namespace jq::queue::scripts
