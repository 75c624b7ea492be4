#include "sql_handler.hpp"

#include <deque>
#include <memory>
#include <optional>
#include <vector>

namespace jq::cli {

namespace {

sql::RunOptions run_options(const queue::JobRun& run)
{
  return {run.context->idempotency_key, run.context->should_interrupt};
}

} // namespace

void run_sql_jobs(sql::JobHandler& handler,
                  queue::JobRun& first,
                  queue::MoreJobs& more)
{
  sql::Executor& executor = handler.executor();
  sql::Request request;
  try {
    request = handler.parse(first.job->data);
  } catch (...) {
    first.result.fail_now();
    return;
  }
  sql::RunOptions own = run_options(first);
  try {
    if (auto reply = executor.run_unless_shared_write(request, own)) {
      first.result.reply = std::move(*reply);
      return;
    }
  } catch (...) {
    first.result.fail_now();
    return;
  }
  // Deques: the batch runs hold the requests' and options' addresses.
  std::deque<sql::Request> requests;
  std::deque<sql::RunOptions> options;
  requests.push_back(std::move(request));
  options.push_back(std::move(own));
  std::vector<queue::JobRun*> runs{&first};
  while (queue::JobRun* next = more.take()) {
    try {
      request = handler.parse(next->job->data);
    } catch (...) {
      next->result.fail_now(); // as it would alone, at once
      continue;
    }
    own = run_options(*next);
    if (request.db != requests.front().db
        || !executor.is_shared_write(request, own)) {
      more.give_back(next);
      break;
    }
    requests.push_back(std::move(request));
    options.push_back(std::move(own));
    runs.push_back(next);
  }
  std::vector<sql::BatchRun> batch(runs.size());
  std::vector<sql::BatchRun*> pointers;
  pointers.reserve(runs.size());
  for (std::size_t i = 0; i < runs.size(); ++i) {
    batch[i].request = &requests[i];
    batch[i].options = &options[i];
    pointers.push_back(&batch[i]);
  }
  executor.run_batch(pointers);
  for (std::size_t i = 0; i < runs.size(); ++i) {
    runs[i]->result = std::move(batch[i].result);
  }
}

queue::HandlerFactory sql_handler_factory(const sql::Databases& databases,
                                          std::size_t max_payload_bytes)
{
  return [&databases, max_payload_bytes] {
    auto handler =
      std::make_shared<sql::JobHandler>(databases, max_payload_bytes);
    return [handler](queue::JobRun& first, queue::MoreJobs& more) {
      run_sql_jobs(*handler, first, more);
    };
  };
}

} // namespace jq::cli
