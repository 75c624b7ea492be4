#include "monitor.hpp"

#include <jq/core/clock.hpp>
#include <jq/core/error.hpp>
#include <jq/core/json.hpp>
#include <jq/queue/field_number.hpp>

#include <fmt/core.h>

#include <algorithm>

namespace jq::queue {

namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

// How many jobs at the running end of `wait` health looks at: the oldest
// one is usually the tail, but a lifo job or a retried one may sit there.
constexpr int k_health_sample = 10;

std::string_view get(const ClientInfo& client, std::string_view field)
{
  const auto it = client.find(field);
  return it == client.end() ? std::string_view() : std::string_view(it->second);
}

template<typename T> nlohmann::json or_null(const std::optional<T>& value)
{
  return value ? nlohmann::json(*value) : nlohmann::json(nullptr);
}

// When a waiting job got in line, from HMGET timestamp delay processedOn
// retriedOn opts: the latest of creation + delay (opts.delay survives a
// promotion, which zeroes the hash's `delay`), the last attempt's start and
// the last retry.
std::int64_t waiting_since(const redis::ReplyView& fields)
{
  const auto number = [&](std::size_t i) -> std::int64_t {
    return field_number(fields[i].opt_str()).value_or(0);
  };
  std::int64_t delay = number(1);
  if (const auto opts_text = fields[4].opt_str()) {
    const auto opts = jq::parse_untrusted_json(*opts_text);
    if (opts.is_object() && opts.contains("delay")
        && opts["delay"].is_number()) {
      delay = std::max(delay, opts["delay"].get<std::int64_t>());
    }
  }
  return std::max({number(0) + delay, number(2), number(3)});
}

} // namespace

std::optional<OldestWaiting> find_oldest_waiting(redis::Connection& connection,
                                                 const Keys& keys,
                                                 long long sample)
{
  const redis::Reply ids = connection.command(
    {"LRANGE", keys.wait(), std::to_string(-std::max(1LL, sample)), "-1"});
  for (std::size_t i = 0; i < ids.size(); ++i) {
    connection.append({"HMGET",
                       keys.job(ids[i].str()),
                       "timestamp",
                       "delay",
                       "processedOn",
                       "retriedOn",
                       "opts"});
  }
  std::optional<OldestWaiting> oldest;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const redis::Reply fields = redis::checked(connection.get_reply());
    if (fields[0].is_nil()) {
      continue; // listed without a hash: nothing to date it by
    }
    const std::int64_t since = waiting_since(fields);
    if (!oldest || since < oldest->since_ms) {
      oldest = OldestWaiting{std::string(ids[i].str()), since};
    }
  }
  return oldest;
}

std::vector<ClientInfo> parse_client_list(std::string_view text)
{
  std::vector<ClientInfo> clients;
  while (!text.empty()) {
    const std::size_t end = std::min(text.find('\n'), text.size());
    std::string_view line = text.substr(0, end);
    text.remove_prefix(std::min(end + 1, text.size()));
    if (!line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    ClientInfo client;
    while (!line.empty()) {
      const std::size_t space = std::min(line.find(' '), line.size());
      const std::string_view pair = line.substr(0, space);
      line.remove_prefix(std::min(space + 1, line.size()));
      const std::size_t equals = pair.find('=');
      if (equals != std::string_view::npos) {
        client.emplace(std::string(pair.substr(0, equals)),
                       std::string(pair.substr(equals + 1)));
      }
    }
    if (!client.empty()) {
      clients.push_back(std::move(client));
    }
  }
  return clients;
}

nlohmann::ordered_json WorkerClient::to_json() const
{
  return {{"id", client_id},
          {"addr", addr},
          {"name", name},
          {"age", age_seconds},
          {"idle", idle_seconds},
          {"db", db},
          {"cmd", command}};
}

std::vector<WorkerClient> find_workers(redis::Connection& connection,
                                       const Keys& keys)
{
  const redis::Reply reply = connection.command({"CLIENT", "LIST"});
  const std::string name = keys.worker_client_name();
  std::vector<WorkerClient> workers;
  for (const auto& client : parse_client_list(reply.str())) {
    // Bull compares with startsWith(); the exact name avoids taking queue
    // `ab`'s workers for queue `a`'s when one base64 is a prefix of the
    // other.
    if (get(client, "name") != name) {
      continue;
    }
    WorkerClient worker;
    worker.client_id = parse_field_number(get(client, "id")).value_or(0);
    worker.addr = get(client, "addr");
    worker.name = get(client, "name");
    worker.age_seconds = parse_field_number(get(client, "age")).value_or(0);
    worker.idle_seconds = parse_field_number(get(client, "idle")).value_or(0);
    worker.db = parse_field_number(get(client, "db")).value_or(0);
    worker.command = get(client, "cmd");
    workers.push_back(std::move(worker));
  }
  return workers;
}

std::string_view to_string(HealthStatus status) noexcept
{
  switch (status) {
  case HealthStatus::healthy:
    return "healthy";
  case HealthStatus::redis_unreachable:
    return "redis_unreachable";
  case HealthStatus::redis_refused:
    return "redis_refused";
  case HealthStatus::no_worker:
    return "no_worker";
  case HealthStatus::wait_too_old:
    break;
  }
  return "wait_too_old";
}

nlohmann::ordered_json HealthReport::to_json() const
{
  return {{"status", to_string(status)},
          {"healthy", status == HealthStatus::healthy},
          {"error", error.empty() ? nlohmann::json() : nlohmann::json(error)},
          {"workers", or_null(workers)},
          {"waiting", or_null(waiting)},
          {"isPaused", or_null(is_paused)},
          {"oldestWaitingId", or_null(oldest_id)},
          {"oldestWaitingAgeMs", or_null(oldest_wait_ms)},
          {"maxWaitAgeMs", max_wait_age.count()},
          {"elapsedMs", elapsed.count()}};
}

HealthReport check_health(const redis::Url& url,
                          const Keys& keys,
                          milliseconds max_wait_age,
                          milliseconds timeout)
{
  HealthReport report;
  report.max_wait_age = max_wait_age;
  const auto start = steady_clock::now();
  const auto deadline = start + timeout;
  // What is left of the time, for the next step; none left is a timeout.
  const auto left = [&] {
    const auto rest =
      std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
    if (rest.count() <= 0) {
      throw RedisTimeoutError(
        fmt::format("Redis at {} did not answer within {} ms",
                    url.endpoint(),
                    timeout.count()));
    }
    return rest;
  };
  try {
    auto connection = redis::Connection::open(url, left());
    connection.set_timeout(left());
    redis::checked(connection.command({"PING"}));

    connection.set_timeout(left());
    report.workers =
      static_cast<long long>(find_workers(connection, keys).size());

    connection.set_timeout(left());
    connection.append({"LLEN", keys.wait()});
    connection.append({"EXISTS", keys.meta_paused()});
    connection.append({"HEXISTS", keys.meta(), "paused"});
    report.waiting = redis::checked(connection.get_reply()).integer();
    const bool flag = redis::checked(connection.get_reply()).integer() == 1;
    const bool field = redis::checked(connection.get_reply()).integer() == 1;
    report.is_paused = flag || field;

    connection.set_timeout(left());
    if (const auto oldest =
          find_oldest_waiting(connection, keys, k_health_sample)) {
      report.oldest_wait_ms =
        std::max<std::int64_t>(0, now_ms() - oldest->since_ms);
      report.oldest_id = oldest->id;
    }
  } catch (const RedisReplyError& error) {
    report.status = HealthStatus::redis_refused;
    report.error = fmt::format("Redis refused a command: {}", error.what());
  } catch (const RedisError& error) {
    report.status = HealthStatus::redis_unreachable;
    report.error = error.what();
  }
  report.elapsed =
    std::chrono::duration_cast<milliseconds>(steady_clock::now() - start);
  if (report.status == HealthStatus::healthy) {
    if (report.workers.value_or(0) == 0) {
      report.status = HealthStatus::no_worker;
    } else if (report.oldest_wait_ms
               && *report.oldest_wait_ms >= max_wait_age.count()) {
      report.status = HealthStatus::wait_too_old;
    }
  }
  return report;
}

nlohmann::ordered_json WatchFrame::to_json() const
{
  nlohmann::ordered_json out = {{"time", time_ms}};
  const nlohmann::ordered_json states = counts.to_json();
  for (const auto& [state, count] : states.items()) {
    out[state] = count;
  }
  out["completedPerSecond"] = or_null(completed_per_second);
  out["failedPerSecond"] = or_null(failed_per_second);
  return out;
}

Watcher::Watcher(const redis::Url& url, Keys keys)
  : m_keys(std::move(keys)),
    m_commands(redis::Connection::open(url)),
    m_events(redis::Connection::open(url)),
    m_since(steady_clock::now())
{
  m_events.append({"SUBSCRIBE", m_keys.completed(), m_keys.failed()});
  redis::checked(m_events.get_reply());
  redis::checked(m_events.get_reply());
}

WatchFrame Watcher::first()
{
  WatchFrame frame;
  frame.counts = count_jobs(m_commands, m_keys);
  frame.time_ms = now_ms();
  m_since = steady_clock::now();
  return frame;
}

std::optional<WatchFrame> Watcher::next(milliseconds interval,
                                        const std::atomic<bool>& stop)
{
  const auto end = m_since + interval;
  long long completed = 0;
  long long failed = 0;
  const std::string completed_channel = m_keys.completed();
  const std::string failed_channel = m_keys.failed();
  for (;;) {
    if (stop.load()) {
      return std::nullopt;
    }
    const auto rest =
      std::chrono::duration_cast<milliseconds>(end - steady_clock::now());
    if (rest.count() <= 0) {
      break;
    }
    const auto message = m_events.read_reply(std::min(rest, milliseconds(100)));
    if (!message || !message->is_array() || message->size() != 3
        || (*message)[0].str() != "message") {
      continue;
    }
    const std::string_view channel = (*message)[1].str();
    if (channel == completed_channel) {
      ++completed;
    } else if (channel == failed_channel) {
      ++failed;
    }
  }
  WatchFrame frame;
  frame.counts = count_jobs(m_commands, m_keys);
  frame.time_ms = now_ms();
  const auto now = steady_clock::now();
  const double seconds = std::chrono::duration<double>(now - m_since).count();
  m_since = now;
  if (seconds > 0) {
    frame.completed_per_second = static_cast<double>(completed) / seconds;
    frame.failed_per_second = static_cast<double>(failed) / seconds;
  }
  return frame;
}

} // namespace jq::queue
