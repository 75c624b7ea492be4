#include "keys.hpp"

#include <jq/core/base64.hpp>
#include <jq/core/error.hpp>

#include <fmt/core.h>

#include <algorithm>
#include <array>

namespace jq::queue {

Keys::Keys(std::string_view prefix, std::string_view queue)
  : m_prefix(prefix),
    m_queue(queue),
    m_base(std::string(prefix) + ":" + std::string(queue) + ":")
{
}

std::string Keys::wait() const
{
  return m_base + "wait";
}
std::string Keys::paused() const
{
  return m_base + "paused";
}
std::string Keys::meta_paused() const
{
  return m_base + "meta-paused";
}
std::string Keys::meta() const
{
  return m_base + "meta";
}
std::string Keys::active() const
{
  return m_base + "active";
}
std::string Keys::priority() const
{
  return m_base + "priority";
}
std::string Keys::delayed() const
{
  return m_base + "delayed";
}
std::string Keys::completed() const
{
  return m_base + "completed";
}
std::string Keys::failed() const
{
  return m_base + "failed";
}
std::string Keys::id() const
{
  return m_base + "id";
}
std::string Keys::stalled() const
{
  return m_base + "stalled";
}
std::string Keys::stalled_check() const
{
  return m_base + "stalled-check";
}

std::string Keys::limiter() const
{
  return m_base + "limiter";
}
std::string Keys::limiter_index() const
{
  return m_base + "limiter:index";
}

std::string Keys::trimmed() const
{
  return m_base + "trimmed";
}

std::string Keys::job(std::string_view id) const
{
  return m_base + std::string(id);
}
std::string Keys::lock(std::string_view id) const
{
  return job(id) + ":lock";
}
std::string Keys::logs(std::string_view id) const
{
  return job(id) + ":logs";
}

std::string Keys::debounce(std::string_view debounce_id) const
{
  return m_base + "de:" + std::string(debounce_id);
}

std::string Keys::waiting_channel(std::string_view token) const
{
  return m_base + "waiting@" + std::string(token);
}
std::string Keys::active_channel(std::string_view token) const
{
  return m_base + "active@" + std::string(token);
}
std::string Keys::stalled_channel() const
{
  return m_base + "stalled@";
}
std::string Keys::duplicated_channel(std::string_view token) const
{
  return m_base + "duplicated@" + std::string(token);
}
std::string Keys::drained_channel() const
{
  return m_base + "drained";
}
std::string Keys::paused_channel() const
{
  return m_base + "paused";
}
std::string Keys::resumed_channel() const
{
  return m_base + "resumed";
}

std::string Keys::repeat() const
{
  return m_base + "repeat";
}

std::string Keys::delayed_channel() const
{
  return delayed();
}

std::string Keys::worker_client_name() const
{
  return m_prefix + ":" + base64_encode(m_queue);
}

std::optional<std::string> Keys::job_id_problem(std::string_view id)
{
  static constexpr std::array<std::string_view, 20> k_key_names = {
    "wait",     "paused",        "meta-paused", "meta",   "active",
    "priority", "delayed",       "completed",   "failed", "id",
    "stalled",  "stalled-check", "limiter",     "repeat", "waiting",
    "drained",  "resumed",       "trimmed",     "lock",   "logs",
  };
  if (id.empty()) {
    return "a job id cannot be empty";
  }
  if (id.find(':') != std::string_view::npos) {
    return "a job id cannot contain ':' (Redis keys are prefix:queue:id, so "
           "it could name a key of another queue)";
  }
  if (std::find(k_key_names.begin(), k_key_names.end(), id)
      != k_key_names.end()) {
    return "a job id cannot be the name of one of the queue's own keys";
  }
  return std::nullopt;
}

void Keys::check_job_id(std::string_view id)
{
  if (const auto problem = job_id_problem(id)) {
    throw UsageError(fmt::format("invalid job id '{}': {}", id, *problem));
  }
}

namespace {

// The keys a queue has as soon as it is used, with their Redis types: `id`
// from the first add on, the lists and sets while they hold jobs, and
// `meta-paused` while paused. `meta` is left out: it is a hash, like a job.
struct QueueSuffix
{
  std::string_view suffix;
  std::string_view type;
};
constexpr std::array<QueueSuffix, 8> k_queue_suffixes = {{
  {"id", "string"},
  {"wait", "list"},
  {"active", "list"},
  {"paused", "list"},
  {"meta-paused", "string"},
  {"delayed", "zset"},
  {"completed", "zset"},
  {"failed", "zset"},
}};

} // namespace

std::string Keys::queue_scan_pattern(std::string_view prefix)
{
  std::string pattern;
  for (const char c : prefix) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') {
      pattern += '\\';
    }
    pattern += c;
  }
  // Every suffix above ends in d, t or e, while the job hashes of numeric
  // ids and the `:lock`/`:logs` keys do not: Redis filters most keys out.
  pattern += ":*[dte]";
  return pattern;
}

std::optional<Keys::QueueKey> Keys::match_queue_key(std::string_view prefix,
                                                    std::string_view key)
{
  if (key.size() <= prefix.size() + 1 || !key.starts_with(prefix)
      || key[prefix.size()] != ':') {
    return std::nullopt;
  }
  const std::string_view rest = key.substr(prefix.size() + 1);
  for (const auto& [suffix, type] : k_queue_suffixes) {
    if (rest.size() > suffix.size() + 1 && rest.ends_with(suffix)
        && rest[rest.size() - suffix.size() - 1] == ':') {
      return QueueKey{
        std::string(rest.substr(0, rest.size() - suffix.size() - 1)), type};
    }
  }
  return std::nullopt;
}

} // namespace jq::queue
