#include "log.hpp"

#include <jq/core/clock.hpp>

#include <fmt/format.h>

#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <ctime>
#include <mutex>

namespace jq::log {

namespace {

std::string g_program = "jq";
std::atomic<Level> g_level{Level::warn};
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

void write(Level at, std::string_view message)
{
  const auto now = now_ms();
  const std::time_t seconds = static_cast<std::time_t>(now / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
  const std::string line = fmt::format("[{}.{:03}Z {}] {} {}: {}\n",
                                       stamp,
                                       now % 1000,
                                       getpid(),
                                       g_program,
                                       level_name(at),
                                       message);
  const std::lock_guard lock(g_write_mutex);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

} // namespace jq::log
