#pragma once

namespace jq {

// Marks the job the calling thread runs as one that waits to be batched
// with other jobs (SQLite's group commit): the more such jobs run at once,
// the bigger the batches, so the worker does not pace its slots by this
// job's CPU time (see queue::SlotPacing). The worker takes the mark after
// each job.
void mark_batched_job() noexcept;

// True when the job just run on this thread was marked; clears the mark.
bool take_batched_job_mark() noexcept;

} // namespace jq
