#pragma once

#include <jq/queue/job.hpp>
#include <jq/queue/keys.hpp>
#include <jq/redis/connection.hpp>
#include <jq/redis/script.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace jq::queue {

// The end of one attempt, as the worker records it.
struct JobEnd
{
  enum class Kind {
    completed, // value is the returnvalue
    failed,    // for good; value is the failedReason
    retry,     // back in line, now or at due_ms; value unused
  };
  Kind kind = Kind::completed;
  std::string id;
  std::string value;
  std::string event; // completed/failed: the JSON published on its channel
  KeepPolicy keep;   // completed/failed: how many of these Redis keeps
  std::int64_t finished_on = 0;
  std::int64_t due_ms = 0; // retry: 0 for back in line now
  bool to_head = false;    // retry now: at the head of the line (runs next)
  std::vector<std::string> fields; // field, value, ... also written on the job
};

// Why Redis did not record an end: the job is no longer this worker's.
enum class Refusal {
  none,
  job_missing,     // its hash is gone (removed meanwhile)
  lock_missing,    // the lock expired: a stalled check may have taken it
  not_active,      // it left active
  locked_by_other, // another worker holds it now
};

std::string_view describe(Refusal refusal);

// What finish() did: one refusal per end (none: recorded) and the jobs taken.
struct Finished
{
  std::vector<Refusal> refusals;
  std::vector<Job> taken;
};

// What one stalled check did, and when the next is due.
struct StalledCheck
{
  std::vector<std::string> failed;   // stalled too often: failed
  std::vector<std::string> requeued; // put back in line
  std::chrono::milliseconds next_due{0};
};

// The worker's side of the job lifecycle, one typed call per transition:
// each builds its keys from Keys, runs its script (lua/*.lua) and decodes
// the answer here, and nowhere else. Every call handles many jobs at once,
// so a busy worker makes one round trip per round, not one per job. All
// locks carry the worker's one `token`.
class Transitions
{
public:
  Transitions(Keys keys,
              std::string token,
              std::chrono::milliseconds lock_duration);

  const Keys& keys() const noexcept
  {
    return m_keys;
  }
  const std::string& token() const noexcept
  {
    return m_token;
  }

  // Start the jobs a BRPOPLPUSH moved into active (`moved`; those still
  // there and not locked by another), then up to `count` more from wait.
  std::vector<Job> take(redis::Connection& connection,
                        int count,
                        const std::vector<std::string>& moved = {}) const;

  // Record `ends`, then take up to `take_count` jobs.
  Finished finish(redis::Connection& connection,
                  const std::vector<JobEnd>& ends,
                  int take_count) const;

  // The one script call finish() makes at `now` (finish_jobs.lua's keys and
  // arguments): consecutive ends that share a kind, a number of fields and
  // a keep policy are sent under one header.
  redis::Script::Call finish_call(const std::vector<JobEnd>& ends,
                                  int take_count,
                                  std::int64_t now) const;

  // Renew the locks of `ids`; returns those no longer ours.
  std::vector<std::string>
  extend_locks(redis::Connection& connection,
               const std::vector<std::string>& ids) const;

  // After a lost reply: put back the jobs locked with our token that we do
  // not know we hold (`held`); returns their ids.
  std::vector<std::string>
  reclaim_orphans(redis::Connection& connection,
                  const std::vector<std::string>& held) const;

  // The jobs in active that nobody has locked.
  std::vector<std::string> unlocked_active(redis::Connection& connection) const;

  // Put back at the head of the line those of `ids` still in active and
  // unlocked; returns their ids.
  std::vector<std::string>
  requeue_unlocked(redis::Connection& connection,
                   const std::vector<std::string>& ids) const;

  // Bull's stalled check, unless another worker ran it within `interval`.
  StalledCheck check_stalled(redis::Connection& connection,
                             int max_stalled,
                             std::chrono::milliseconds interval) const;

  // Move due delayed jobs into line; returns when the next is due (epoch
  // ms), if any is delayed.
  std::optional<std::int64_t>
  promote_delayed(redis::Connection& connection) const;

private:
  std::vector<std::string> requeue_keys() const;
  // The jobs a take returns, started at `now` (the time it sent).
  std::vector<Job> decode_jobs(const redis::ReplyView& reply,
                               std::int64_t now) const;

  Keys m_keys;
  std::string m_token;
  std::string m_lock_ms;
};

} // namespace jq::queue
