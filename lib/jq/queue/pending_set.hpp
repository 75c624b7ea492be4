#pragma once

#include <jq/queue/finish_event.hpp>
#include <jq/queue/submitter.hpp>

#include <chrono>
#include <functional>
#include <list>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace jq::queue {

// One submission a Submitter waits for.
struct PendingJob
{
  using Clock = std::chrono::steady_clock;

  Submission submission;
  Clock::time_point started;
  Clock::time_point deadline;
  Clock::time_point next_check; // the watchdog's next look at its state
  bool is_sent = false;         // the add went out at least once
  bool is_confirmed = false;    // its reply came back (or nothing to add)
  bool is_seen = false;         // known to exist at some point
  bool existed = false;         // the id was taken: attached, not added
  // Set by a reconnect: if Redis no longer knows the job, it was lost with
  // Redis (a restart without persistence, a failover) and is added again.
  bool may_be_lost = false;
  // A Bull worker's finishing event, kept in case the job is removed as it
  // finishes (removeOnComplete): then the event is all there is.
  std::optional<FinishEvent> event;
};

// The submissions in flight, by job id, at most `capacity` of them, with
// their deadlines and watchdog times; and those whose id is already pending,
// held back until the first ends (then they attach to the same job).
class PendingSet
{
public:
  using Clock = PendingJob::Clock;

  // How often a pending job's state is re-read in case its event was lost
  // (Bull's finished() watchdog uses the same period).
  static constexpr std::chrono::milliseconds k_watchdog{5'000};

  explicit PendingSet(int capacity);

  bool empty() const noexcept
  {
    return m_jobs.empty();
  }
  bool has_room() const noexcept;
  bool has_held_back() const noexcept
  {
    return !m_held_back.empty();
  }
  const SubmitterStats& stats() const noexcept
  {
    return m_stats;
  }

  // Take submissions while there is room and `may_take()` agrees: first
  // those held back whose twin has ended, then from `next` until it gives
  // std::nullopt (then `is_input_done` is set). Returns the ids that became
  // pending.
  std::vector<std::string>
  admit(const std::function<std::optional<Submission>()>& next,
        const std::function<bool()>& may_take,
        bool& is_input_done);

  PendingJob* find(const std::string& id);
  std::vector<std::string> ids() const;

  // Job `id` ended as `kind` says: it leaves the set; its result, or
  // std::nullopt when it was not pending.
  std::optional<SubmissionResult> finish(const std::string& id,
                                         Waited::Kind kind,
                                         std::optional<Outcome> outcome);

  struct Due
  {
    std::vector<std::string> expired;  // past their deadline
    std::vector<std::string> to_check; // due a watchdog look
    Clock::time_point next;            // when the next is due (<= `latest`)
  };
  // What is due at `now`. The set is walked only when something can be
  // due: the earliest time is kept, not searched for on every call.
  Due due(Clock::time_point now, Clock::time_point latest);

private:
  void add(Submission submission);

  std::size_t m_capacity;
  std::unordered_map<std::string, PendingJob> m_jobs;
  std::list<Submission> m_held_back;
  Clock::time_point m_earliest_due = Clock::time_point::min();
  SubmitterStats m_stats;
};

} // namespace jq::queue
