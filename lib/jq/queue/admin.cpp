#include "admin.hpp"

#include "scripts.hpp"

#include <jq/core/clock.hpp>
#include <jq/core/error.hpp>
#include <jq/core/uuid.hpp>

#include <fmt/core.h>

#include <algorithm>

namespace jq::queue {

namespace {

const char* flag(bool value)
{
  return value ? "1" : "0";
}

void for_each_id(const redis::ReplyView& ids,
                 const std::function<void(std::string_view)>& fn)
{
  for (std::size_t i = 0; i < ids.size(); ++i) {
    fn(ids[i].str());
  }
}

} // namespace

std::string_view to_string(Action action) noexcept
{
  switch (action) {
  case Action::retry:
    return "retry";
  case Action::remove:
    return "remove";
  case Action::promote:
    return "promote";
  case Action::clean:
    return "clean";
  case Action::pause:
    return "pause";
  case Action::resume:
    break;
  }
  return "resume";
}

std::string JobResult::result() const
{
  switch (outcome) {
  case ActionResult::applied:
    switch (action) {
    case Action::retry:
      return is_dry_run ? "would_retry" : "retried";
    case Action::promote:
      return is_dry_run ? "would_promote" : "promoted";
    default: // remove, clean
      return is_dry_run ? "would_remove" : "removed";
    }
  case ActionResult::missing:
    return "missing";
  case ActionResult::locked:
    return "locked";
  case ActionResult::wrong_state:
    break;
  }
  return action == Action::promote ? "not_delayed" : "not_failed";
}

nlohmann::ordered_json JobResult::to_json() const
{
  return {{"id", id},
          {"action", to_string(action)},
          {"result", result()},
          {"dryRun", is_dry_run}};
}

nlohmann::ordered_json PauseResult::to_json() const
{
  const bool pausing = action == Action::pause;
  std::string result;
  if (is_dry_run) {
    result = pausing ? "would_pause" : "would_resume";
  } else if (changed) {
    result = pausing ? "paused" : "resumed";
  } else {
    result = pausing ? "already_paused" : "not_paused";
  }
  return {{"action", to_string(action)},
          {"result", result},
          {"changed", changed},
          {"jobsMoved", jobs_moved},
          {"dryRun", is_dry_run}};
}

Admin::Admin(redis::Connection& connection, Keys keys, bool dry_run)
  : m_connection(connection),
    m_keys(std::move(keys)),
    m_dry_run(dry_run),
    m_token(make_uuid())
{
}

JobResult
Admin::job_result(std::string_view id, Action action, ActionResult outcome)
{
  return {std::string(id), action, outcome, m_dry_run};
}

JobResult Admin::retry(std::string_view id)
{
  const std::string job_id(id);
  const long long code = scripts::reprocess_job()
                           .run(m_connection,
                                {m_keys.job(job_id),
                                 m_keys.lock(job_id),
                                 m_keys.failed(),
                                 m_keys.wait(),
                                 m_keys.paused(),
                                 m_keys.meta_paused()},
                                {job_id,
                                 m_keys.base(),
                                 m_token,
                                 std::to_string(now_ms()),
                                 flag(m_dry_run)})
                           .integer();
  switch (code) {
  case 1:
    return job_result(id, Action::retry, ActionResult::applied);
  case 0:
    return job_result(id, Action::retry, ActionResult::missing);
  case -1:
    return job_result(id, Action::retry, ActionResult::locked);
  default:
    return job_result(id, Action::retry, ActionResult::wrong_state);
  }
}

long long
Admin::retry_all_failed(const std::function<void(const JobResult&)>& on_job,
                        long long batch)
{
  // Only what has failed by now: the highest finishedOn at the start.
  const redis::Reply newest = m_connection.command(
    {"ZREVRANGE", m_keys.failed(), "0", "0", "WITHSCORES"});
  if (newest.size() < 2) {
    return 0;
  }
  const std::string max_score(newest[1].str());
  long long offset = 0;
  long long retried = 0;
  for (;;) {
    const redis::Reply reply = scripts::reprocess_failed_jobs().run(
      m_connection,
      {m_keys.failed(), m_keys.wait(), m_keys.paused(), m_keys.meta_paused()},
      {m_keys.base(),
       m_token,
       std::to_string(now_ms()),
       max_score,
       std::to_string(offset),
       std::to_string(batch),
       flag(m_dry_run)});
    long long seen = 0;
    for_each_id(reply[0], [&](std::string_view id) {
      on_job(job_result(id, Action::retry, ActionResult::applied));
      ++retried;
      ++seen;
      if (m_dry_run) {
        ++offset; // still in the set
      }
    });
    for_each_id(reply[1], [&](std::string_view id) {
      on_job(job_result(id, Action::retry, ActionResult::locked));
      ++offset;
      ++seen;
    });
    for_each_id(reply[2], [&](std::string_view id) {
      on_job(job_result(id, Action::retry, ActionResult::missing));
      ++offset;
      ++seen;
    });
    if (seen < batch) {
      return retried;
    }
  }
}

JobResult Admin::remove(std::string_view id)
{
  const std::string job_id(id);
  const long long code = scripts::remove_job()
                           .run(m_connection,
                                {m_keys.job(job_id),
                                 m_keys.active(),
                                 m_keys.wait(),
                                 m_keys.paused(),
                                 m_keys.delayed(),
                                 m_keys.completed(),
                                 m_keys.failed(),
                                 m_keys.priority(),
                                 m_keys.stalled(),
                                 m_keys.limiter_index()},
                                {job_id, m_keys.base(), flag(m_dry_run)})
                           .integer();
  switch (code) {
  case 1:
    return job_result(id, Action::remove, ActionResult::applied);
  case 0:
    return job_result(id, Action::remove, ActionResult::locked);
  default:
    return job_result(id, Action::remove, ActionResult::missing);
  }
}

JobResult Admin::promote(std::string_view id)
{
  const std::string job_id(id);
  const long long code =
    scripts::promote_job()
      .run(m_connection,
           {m_keys.delayed(),
            m_keys.wait(),
            m_keys.paused(),
            m_keys.meta_paused(),
            m_keys.priority(),
            m_keys.job(job_id)},
           {m_keys.base(), job_id, m_token, flag(m_dry_run)})
      .integer();
  switch (code) {
  case 0:
    return job_result(id, Action::promote, ActionResult::applied);
  case -1:
    return job_result(id, Action::promote, ActionResult::wrong_state);
  default:
    return job_result(id, Action::promote, ActionResult::missing);
  }
}

long long Admin::clean(JobState state,
                       std::chrono::milliseconds grace,
                       long long limit,
                       const std::function<void(const JobResult&)>& on_job,
                       long long batch)
{
  if (state == JobState::stuck) {
    throw UsageError("cannot clean stuck jobs: they are in no list or set");
  }
  std::string_view kind = "zset";
  if (is_list_state(state)) {
    kind = "list";
  } else if (state == JobState::completed || state == JobState::failed) {
    kind = "zset-by-score"; // scored by finishedOn
  }
  const bool drop_debounce =
    state != JobState::completed && state != JobState::failed;
  const std::string cutoff = std::to_string(now_ms() - grace.count());
  long long cursor = 0;
  long long removed = 0;
  for (;;) {
    const long long room = limit > 0 ? limit - removed : batch;
    if (room <= 0) {
      return removed;
    }
    const redis::Reply reply = scripts::clean_jobs().run(
      m_connection,
      {state_key(m_keys, state), m_keys.priority(), m_keys.limiter_index()},
      {m_keys.base(),
       cutoff,
       std::string(kind),
       std::to_string(cursor),
       std::to_string(batch),
       std::to_string(std::min(room, batch)),
       flag(drop_debounce),
       flag(m_dry_run)});
    for_each_id(reply[0], [&](std::string_view id) {
      on_job(job_result(id, Action::clean, ActionResult::applied));
      ++removed;
    });
    cursor = reply[1].integer();
    if (reply[2].integer() == 1) {
      return removed;
    }
  }
}

PauseResult Admin::pause()
{
  return pause_or_resume(Action::pause);
}

PauseResult Admin::resume()
{
  return pause_or_resume(Action::resume);
}

PauseResult Admin::pause_or_resume(Action action)
{
  const bool pausing = action == Action::pause;
  const redis::Reply reply = scripts::pause_queue().run(
    m_connection,
    {m_keys.wait(),
     m_keys.paused(),
     m_keys.meta_paused(),
     m_keys.meta(),
     pausing ? m_keys.paused_channel() : m_keys.resumed_channel()},
    {pausing ? "paused" : "resumed", flag(m_dry_run)});
  PauseResult result;
  result.action = action;
  result.changed = reply[0].integer() == 1;
  result.jobs_moved = reply[1].integer();
  result.is_dry_run = m_dry_run;
  return result;
}

} // namespace jq::queue
