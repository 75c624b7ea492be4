#include "log.hpp"

#include <jq/core/clock.hpp>
#include <jq/core/error.hpp>
#include <jq/core/json.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace jq::log {

namespace {

std::string g_program = "jq";
std::atomic<Level> g_level{Level::warn};
std::atomic<Format> g_format{Format::text};
std::mutex g_write_mutex;

std::string_view level_name(Level at)
{
  switch (at) {
  case Level::error:
    return "error";
  case Level::warn:
    return "warn";
  case Level::info:
    return "info";
  case Level::debug:
    return "debug";
  }
  return "?";
}

// Now as RFC 3339 UTC with milliseconds: 2024-05-01T12:00:00.123Z.
std::string timestamp()
{
  const auto now = now_ms();
  const std::time_t seconds = static_cast<std::time_t>(now / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  return fmt::format("{}.{:03}Z", stamp, now % 1000);
}

void put_line(const std::string& line)
{
  const std::lock_guard lock(g_write_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

} // namespace

void set_program(std::string_view name)
{
  g_program = std::string(name);
}

void set_level(Level at)
{
  g_level.store(at);
}

Level level() noexcept
{
  return g_level.load(std::memory_order_relaxed);
}

void set_format(Format format)
{
  g_format.store(format);
}

Format format() noexcept
{
  return g_format.load(std::memory_order_relaxed);
}

Format parse_format(std::string_view text)
{
  if (text == "text") {
    return Format::text;
  }
  if (text == "json") {
    return Format::json;
  }
  throw UsageError(
    fmt::format("unknown log format '{}' (expected text or json)", text));
}

void write(Level at, std::string_view message)
{
  write(at, message, {});
}

void write(Level at, std::string_view message, std::span<const Field> fields)
{
  if (format() == Format::text) {
    put_line(fmt::format("[{} {}] {} {}: {}\n",
                         timestamp(),
                         getpid(),
                         g_program,
                         level_name(at),
                         message));
    return;
  }
  // Insertion order, so `time` and `level` lead each line.
  nlohmann::ordered_json line = {{"time", timestamp()},
                                 {"level", level_name(at)},
                                 {"program", g_program},
                                 {"pid", getpid()},
                                 {"msg", message}};
  for (const auto& field : fields) {
    auto& member = line[std::string(field.name)];
    if (const auto* text = std::get_if<std::string_view>(&field.value)) {
      member = std::string(*text);
    } else {
      member = std::get<std::int64_t>(field.value);
    }
  }
  // Job ids and reasons come from others: bad UTF-8 is replaced, not
  // thrown over.
  put_line(dump_json(line) + '\n');
}

void write(Level at,
           std::string_view message,
           std::initializer_list<Field> fields)
{
  write(at, message, std::span<const Field>(fields.begin(), fields.size()));
}

} // namespace jq::log
