#pragma once

#include <chrono>

namespace jq {

// Time the calling thread waited for another thread of this process to do
// its work (SQLite's shared writer: the jobs of a thread that does not
// lead wait for the leader's group commit). The worker paces its slots by
// how much of a job's time is spent on a CPU (queue::SlotPacing); this time
// is not time the CPUs are free, since more slots cannot make it shorter,
// so the worker leaves it out.
void add_inner_wait(std::chrono::nanoseconds waited) noexcept;

// The time added on this thread since the last call; starts again at zero.
std::chrono::nanoseconds take_inner_wait() noexcept;

} // namespace jq
