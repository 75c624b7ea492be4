#include "pending_set.hpp"

#include <algorithm>

namespace jq::queue {

PendingSet::PendingSet(int capacity)
  : m_capacity(static_cast<std::size_t>(std::max(1, capacity)))
{
}

bool PendingSet::has_room() const noexcept
{
  return m_jobs.size() < m_capacity;
}

std::vector<std::string>
PendingSet::admit(const std::function<std::optional<Submission>()>& next,
                  const std::function<bool()>& may_take,
                  bool& is_input_done)
{
  std::vector<std::string> ids;
  const auto can_take = [&] { return has_room() && (!may_take || may_take()); };
  for (auto it = m_held_back.begin(); it != m_held_back.end() && can_take();) {
    if (m_jobs.contains(it->id)) {
      ++it;
      continue;
    }
    ids.push_back(it->id);
    add(std::move(*it));
    it = m_held_back.erase(it);
  }
  while (!is_input_done && can_take() && m_held_back.size() < m_capacity) {
    auto submission = next();
    if (!submission) {
      is_input_done = true;
      break;
    }
    if (m_jobs.contains(submission->id)) {
      m_held_back.push_back(std::move(*submission));
      continue;
    }
    ids.push_back(submission->id);
    add(std::move(*submission));
  }
  return ids;
}

void PendingSet::add(Submission submission)
{
  const auto now = Clock::now();
  PendingJob job;
  job.started = now;
  job.deadline = now + submission.timeout;
  job.next_check = now + k_watchdog;
  job.is_confirmed = !submission.job;
  m_earliest_due = std::min({m_earliest_due, job.deadline, job.next_check});
  std::string id = submission.id;
  job.submission = std::move(submission);
  m_jobs.emplace(std::move(id), std::move(job));
  ++m_stats.submitted;
  m_stats.in_flight = static_cast<long long>(m_jobs.size());
}

PendingJob* PendingSet::find(const std::string& id)
{
  const auto found = m_jobs.find(id);
  return found == m_jobs.end() ? nullptr : &found->second;
}

std::vector<std::string> PendingSet::ids() const
{
  std::vector<std::string> ids;
  ids.reserve(m_jobs.size());
  for (const auto& entry : m_jobs) {
    ids.push_back(entry.first);
  }
  return ids;
}

std::optional<SubmissionResult> PendingSet::finish(
  const std::string& id, Waited::Kind kind, std::optional<Outcome> outcome)
{
  const auto found = m_jobs.find(id);
  if (found == m_jobs.end()) {
    return std::nullopt;
  }
  const PendingJob& job = found->second;
  if (kind == Waited::Kind::finished && outcome
      && outcome->status == Outcome::Status::failed && job.submission.job
      && outcome->failed_reason.starts_with(k_expired_prefix)) {
    // Failed because the deadline we set passed: whichever of the event and
    // our own timer comes first, the caller timed out.
    kind = Waited::Kind::timed_out;
    outcome.reset();
  }
  SubmissionResult result;
  result.tag = job.submission.tag;
  result.id = id;
  result.kind = kind;
  result.existed = job.existed;
  result.elapsed_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                        Clock::now() - job.started)
                        .count();
  if (kind == Waited::Kind::finished && outcome
      && outcome->status == Outcome::Status::completed) {
    ++m_stats.completed;
  } else {
    ++m_stats.failed;
  }
  result.outcome = std::move(outcome);
  m_jobs.erase(found);
  m_stats.in_flight = static_cast<long long>(m_jobs.size());
  return result;
}

PendingSet::Due PendingSet::due(Clock::time_point now, Clock::time_point latest)
{
  Due due;
  if (now < m_earliest_due) {
    due.next = std::min(m_earliest_due, latest);
    return due;
  }
  auto earliest = Clock::time_point::max();
  for (const auto& [id, job] : m_jobs) {
    if (now >= job.deadline) {
      due.expired.push_back(id);
    } else if (now >= job.next_check) {
      due.to_check.push_back(id);
      // The look sets its next one (or ends or re-adds the job).
      earliest = std::min({earliest, job.deadline, now + k_watchdog});
    } else {
      earliest = std::min({earliest, job.deadline, job.next_check});
    }
  }
  m_earliest_due = earliest;
  due.next = std::min(earliest, latest);
  return due;
}

} // namespace jq::queue
