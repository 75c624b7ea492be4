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

} // namespace jq::queue::scripts
