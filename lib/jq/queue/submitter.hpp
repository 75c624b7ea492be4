#pragma once

#include <jq/queue/keys.hpp>
#include <jq/queue/outcome.hpp>
#include <jq/queue/producer.hpp>
#include <jq/redis/url.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace jq::queue {

// One job to add and wait for, or (without `job`) one to attach to.
struct Submission
{
  std::uint64_t tag = 0; // the caller's reference, e.g. the input line
  std::string id;        // the job id: required, so a re-send is idempotent
  std::optional<NewJob> job;
  std::chrono::milliseconds timeout{30'000};
};

// How one submission ended.
struct SubmissionResult
{
  std::uint64_t tag = 0;
  std::string id;
  Waited::Kind kind = Waited::Kind::timed_out;
  std::optional<Outcome> outcome; // set when kind is finished
  bool existed = false;           // the id was taken: attached, not added
  long long elapsed_ms = 0;
};

struct SubmitterStats
{
  long long submitted = 0;
  long long completed = 0;
  long long failed = 0; // failed, timed out, missing or gone
  long long in_flight = 0;
};

// Adds jobs and waits for their replies with at most `in_flight` pending,
// over two connections (one for commands, pipelined; one subscribed to the
// queue's completed/failed events). Race-free: it subscribes before adding
// and checks a job's state after. If Redis goes away it reconnects with
// backoff, re-adds what was not confirmed (ids make that idempotent) and
// re-checks what is pending; it gives up (RedisIoError) only when Redis is
// not back before every pending job's deadline. Not thread-safe.
class Submitter
{
public:
  Submitter(redis::Url url, Keys keys, int in_flight);
  ~Submitter();
  Submitter(const Submitter&) = delete;
  Submitter& operator=(const Submitter&) = delete;

  // Feed from `next` (std::nullopt: no more) while fewer than `in_flight`
  // are pending and `may_take()` agrees; report each end to `on_result`;
  // call `on_tick` now and then (progress). Returns when all are reported.
  // `on_pause` is called after ends were reported, before the submitter
  // may block (on `next`, on events, on reconnecting): where a caller that
  // buffers its output flushes it, once per round of ends instead of once
  // per end.
  void run(const std::function<std::optional<Submission>()>& next,
           const std::function<void(SubmissionResult)>& on_result,
           const std::function<bool()>& may_take = {},
           const std::function<void(const SubmitterStats&)>& on_tick = {},
           const std::function<void()>& on_pause = {});

  // After each add, wait until `count` replicas acknowledge it (Redis WAIT)
  // within `timeout`; fewer acknowledgements are treated like a lost
  // connection (retry, then give up with RedisIoError).
  void require_replicas(int count, std::chrono::milliseconds timeout);

  const SubmitterStats& stats() const noexcept;

private:
  struct State;
  std::unique_ptr<State> m_state;
};

} // namespace jq::queue
