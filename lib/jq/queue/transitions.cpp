#include "transitions.hpp"

#include <jq/core/clock.hpp>
#include <jq/core/log.hpp>
#include <jq/queue/field_number.hpp>
#include <jq/queue/scripts.hpp>

#include <algorithm>

namespace jq::queue {

namespace {

std::vector<std::string> strings(const redis::ReplyView& reply)
{
  std::vector<std::string> out;
  out.reserve(reply.size());
  for (std::size_t i = 0; i < reply.size(); ++i) {
    out.emplace_back(reply[i].str());
  }
  return out;
}

// finish_jobs' codes for an end it did not record.
Refusal refusal_from_code(long long code)
{
  switch (code) {
  case 0:
    return Refusal::none;
  case -1:
    return Refusal::job_missing;
  case -2:
    return Refusal::lock_missing;
  case -3:
    return Refusal::not_active;
  default:
    return Refusal::locked_by_other;
  }
}

std::string_view kind_name(JobEnd::Kind kind)
{
  switch (kind) {
  case JobEnd::Kind::completed:
    return "completed";
  case JobEnd::Kind::failed:
    return "failed";
  case JobEnd::Kind::retry:
    return "retry";
  }
  return "retry";
}

// Bull's delayed score: the due time, then the id's number (if it is one)
// to order jobs due in the same millisecond.
std::int64_t delayed_score(const JobEnd& end)
{
  if (end.due_ms <= 0) {
    return 0;
  }
  const std::int64_t numeric_id = parse_field_number(end.id).value_or(0);
  return end.due_ms * 0x1000 + (numeric_id & 0xFFF);
}

// Whether `b` can go in the run `a` heads in finish_jobs' arguments: the
// same kind, number of fields and retention policy.
bool same_run(const JobEnd& a, const JobEnd& b)
{
  return a.kind == b.kind && a.fields.size() == b.fields.size()
         && a.keep.count == b.keep.count
         && a.keep.age_seconds == b.keep.age_seconds;
}

} // namespace

std::string_view describe(Refusal refusal)
{
  switch (refusal) {
  case Refusal::none:
    return "recorded";
  case Refusal::job_missing:
    return "job gone";
  case Refusal::lock_missing:
    return "lock expired";
  case Refusal::not_active:
    return "not active";
  case Refusal::locked_by_other:
    return "lock held by another worker";
  }
  return "unknown";
}

Transitions::Transitions(Keys keys,
                         std::string token,
                         std::chrono::milliseconds lock_duration)
  : m_keys(std::move(keys)),
    m_token(std::move(token)),
    m_lock_ms(std::to_string(lock_duration.count()))
{
}

std::vector<Job> Transitions::decode_jobs(const redis::ReplyView& reply,
                                          std::int64_t now) const
{
  std::vector<Job> jobs;
  jobs.reserve(reply.size() / 2);
  for (std::size_t i = 0; i + 1 < reply.size(); i += 2) {
    std::string id(reply[i].str());
    if (reply[i + 1].size() == 0) {
      JQ_LOG(warn, "job {} is listed but has no hash; dropped it", id);
      continue;
    }
    jobs.push_back(Job::from_fields(std::move(id), reply[i + 1], now));
  }
  return jobs;
}

std::vector<Job> Transitions::take(redis::Connection& connection,
                                   int count,
                                   const std::vector<std::string>& moved) const
{
  const std::int64_t now = now_ms();
  std::vector<std::string> args = {m_keys.base(),
                                   m_token,
                                   m_lock_ms,
                                   std::to_string(now),
                                   std::to_string(std::max(0, count))};
  args.insert(args.end(), moved.begin(), moved.end());
  const redis::Reply reply = scripts::take_jobs().run(
    connection,
    {m_keys.wait(), m_keys.active(), m_keys.priority(), m_keys.stalled()},
    args);
  return decode_jobs(reply, now);
}

redis::Script::Call Transitions::finish_call(const std::vector<JobEnd>& ends,
                                             int take_count,
                                             std::int64_t now) const
{
  redis::Script::Call call{{m_keys.active(),
                            m_keys.completed(),
                            m_keys.failed(),
                            m_keys.stalled(),
                            m_keys.wait(),
                            m_keys.priority(),
                            m_keys.trimmed(),
                            m_keys.paused(),
                            m_keys.meta_paused(),
                            m_keys.delayed()},
                           {m_keys.base(),
                            m_token,
                            m_lock_ms,
                            std::to_string(now),
                            std::to_string(std::max(0, take_count))}};
  auto& args = call.args;
  // Consecutive ends that share a run's header go under one (finish_jobs.lua).
  for (std::size_t first = 0; first < ends.size();) {
    std::size_t last = first + 1;
    while (last < ends.size() && same_run(ends[first], ends[last])) {
      ++last;
    }
    const JobEnd& head = ends[first];
    args.emplace_back(kind_name(head.kind));
    args.push_back(std::to_string(last - first));
    args.push_back(std::to_string(head.fields.size() / 2));
    args.push_back(std::to_string(head.keep.count));
    args.push_back(std::to_string(head.keep.age_seconds));
    for (; first < last; ++first) {
      const JobEnd& end = ends[first];
      args.push_back(end.id);
      if (end.kind == JobEnd::Kind::retry) {
        args.push_back(std::to_string(end.due_ms));
        args.push_back(std::to_string(delayed_score(end)));
        args.emplace_back(end.to_head ? "1" : "0");
      } else {
        args.push_back(end.value);
        args.push_back(end.event);
        args.push_back(std::to_string(end.finished_on));
      }
      args.insert(args.end(), end.fields.begin(), end.fields.end());
    }
  }
  return call;
}

Finished Transitions::finish(redis::Connection& connection,
                             const std::vector<JobEnd>& ends,
                             int take_count) const
{
  const std::int64_t now = now_ms();
  const auto call = finish_call(ends, take_count, now);
  const redis::Reply reply =
    scripts::finish_jobs().run(connection, call.keys, call.args);
  Finished finished;
  const redis::ReplyView codes = reply[0];
  finished.refusals.reserve(codes.size());
  for (std::size_t i = 0; i < codes.size(); ++i) {
    finished.refusals.push_back(refusal_from_code(codes[i].integer()));
  }
  finished.taken = decode_jobs(reply[1], now);
  return finished;
}

std::vector<std::string>
Transitions::extend_locks(redis::Connection& connection,
                          const std::vector<std::string>& ids) const
{
  if (ids.empty()) {
    return {};
  }
  std::vector<std::string> args = {m_keys.base(), m_token, m_lock_ms};
  args.insert(args.end(), ids.begin(), ids.end());
  return strings(
    scripts::extend_locks().run(connection, {m_keys.stalled()}, args));
}

std::vector<std::string> Transitions::requeue_keys() const
{
  return {m_keys.active(),
          m_keys.wait(),
          m_keys.paused(),
          m_keys.meta_paused(),
          m_keys.stalled(),
          m_keys.priority()};
}

std::vector<std::string>
Transitions::reclaim_orphans(redis::Connection& connection,
                             const std::vector<std::string>& held) const
{
  std::vector<std::string> args = {m_keys.base(), m_token};
  args.insert(args.end(), held.begin(), held.end());
  return strings(
    scripts::reclaim_orphans().run(connection, requeue_keys(), args));
}

std::vector<std::string>
Transitions::unlocked_active(redis::Connection& connection) const
{
  return strings(scripts::unlocked_active().run(
    connection, {m_keys.active()}, {m_keys.base()}));
}

std::vector<std::string>
Transitions::requeue_unlocked(redis::Connection& connection,
                              const std::vector<std::string>& ids) const
{
  if (ids.empty()) {
    return {};
  }
  std::vector<std::string> args = {m_keys.base()};
  args.insert(args.end(), ids.begin(), ids.end());
  return strings(
    scripts::requeue_unlocked().run(connection, requeue_keys(), args));
}

StalledCheck
Transitions::check_stalled(redis::Connection& connection,
                           int max_stalled,
                           std::chrono::milliseconds interval) const
{
  const redis::Reply reply =
    scripts::move_stalled_to_wait().run(connection,
                                        {m_keys.stalled(),
                                         m_keys.wait(),
                                         m_keys.active(),
                                         m_keys.failed(),
                                         m_keys.stalled_check(),
                                         m_keys.meta_paused(),
                                         m_keys.paused()},
                                        {std::to_string(max_stalled),
                                         m_keys.base(),
                                         std::to_string(now_ms()),
                                         std::to_string(interval.count())});
  StalledCheck check;
  check.failed = strings(reply[0]);
  check.requeued = strings(reply[1]);
  // A mark without an expiry (set by hand) reads as due: one interval.
  const long long due = reply.size() > 2 && reply[2].is_integer()
                          ? reply[2].integer()
                          : interval.count();
  check.next_due = std::chrono::milliseconds(
    std::clamp<long long>(due, 1, std::max<long long>(1, interval.count())));
  return check;
}

std::optional<std::int64_t>
Transitions::promote_delayed(redis::Connection& connection) const
{
  const redis::Reply reply = scripts::promote_delayed().run(
    connection,
    {m_keys.delayed(),
     m_keys.wait(),
     m_keys.priority(),
     m_keys.paused(),
     m_keys.meta_paused()},
    {m_keys.base(), std::to_string(now_ms()), m_token});
  if (reply.is_integer()) {
    return reply.integer();
  }
  return std::nullopt;
}

} // namespace jq::queue
