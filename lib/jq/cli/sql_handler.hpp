#pragma once

#include <jq/queue/worker.hpp>
#include <jq/sql/engine.hpp>
#include <jq/sql/job_handler.hpp>

#include <cstddef>

namespace jq::cli {

// Run `first` with `handler`. When it is a write to a database whose
// sessions share one writer (SQLite at -c above 1), the next held jobs
// that write there too are taken from `more` and committed with it, in
// one group; the first held job that does not is given back.
void run_sql_jobs(sql::JobHandler& handler,
                  queue::JobRun& first,
                  queue::MoreJobs& more);

// jq-worker's handlers: each worker thread runs its jobs' SQL with a
// sql::JobHandler of its own on `databases`, rejecting job data over
// `max_payload_bytes`.
queue::HandlerFactory sql_handler_factory(const sql::Databases& databases,
                                          std::size_t max_payload_bytes);

} // namespace jq::cli
