#include "log.hpp"

#include <jq/core/clock.hpp>
#include <jq/core/error.hpp>
#include <jq/core/json.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <mutex>
#include <optional>

namespace jq::log {

namespace {

std::string g_program = "jq";
std::atomic<Level> g_level{Level::warn};
std::atomic<Format> g_format{Format::text};
// Decided once, when the library is loaded: before main() parses flags
// and before any thread, so a line never sees it change.
std::atomic<bool> g_is_journal{stderr_is_journal()};
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

// The unsigned decimal number that `text` starts with, and `text` past it.
std::optional<std::uint64_t> take_number(std::string_view& text)
{
  std::uint64_t number = 0;
  const auto [end, error] =
    std::from_chars(text.data(), text.data() + text.size(), number);
  if (error != std::errc() || end == text.data()) {
    return std::nullopt;
  }
  text.remove_prefix(static_cast<std::size_t>(end - text.data()));
  return number;
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

int journal_priority(Level at) noexcept
{
  switch (at) {
  case Level::error:
    return 3;
  case Level::warn:
    return 4;
  case Level::info:
    return 6;
  case Level::debug:
    return 7;
  }
  return 6;
}

bool stderr_is_journal()
{
  const char* stream = std::getenv("JOURNAL_STREAM");
  if (stream == nullptr) {
    return false;
  }
  std::string_view text = stream;
  const auto device = take_number(text);
  if (!device || !text.starts_with(':')) {
    return false;
  }
  text.remove_prefix(1);
  const auto inode = take_number(text);
  if (!inode || !text.empty()) {
    return false;
  }
  struct stat status = {};
  if (fstat(STDERR_FILENO, &status) != 0) {
    return false;
  }
  return static_cast<std::uint64_t>(status.st_dev) == *device
         && static_cast<std::uint64_t>(status.st_ino) == *inode;
}

void set_journal(bool is_journal)
{
  g_is_journal.store(is_journal);
}

bool is_journal() noexcept
{
  return g_is_journal.load(std::memory_order_relaxed);
}

std::string journal_prefix(Level at)
{
  return is_journal() ? fmt::format("<{}>", journal_priority(at))
                      : std::string();
}

void write(Level at, std::string_view message)
{
  write(at, message, {});
}

void write(Level at, std::string_view message, std::span<const Field> fields)
{
  if (format() == Format::text) {
    const std::string prefix = journal_prefix(at);
    std::string line = fmt::format("{}[{} {}] {} {}: {}\n",
                                   prefix,
                                   timestamp(),
                                   getpid(),
                                   g_program,
                                   level_name(at),
                                   message);
    if (!prefix.empty()) {
      // journald makes each line an entry of its own: a message of several
      // lines keeps its priority on all of them.
      for (auto at_newline = line.find('\n'); at_newline + 1 < line.size();
           at_newline = line.find('\n', at_newline + 1 + prefix.size())) {
        line.insert(at_newline + 1, prefix);
      }
    }
    put_line(line);
    return;
  }
  // Insertion order, so `time` and `level` lead each line.
  nlohmann::ordered_json line = {{"time", timestamp()},
                                 {"level", level_name(at)}};
  if (is_journal()) {
    // journald's name for it, and a string as in `journalctl -o json`.
    line["PRIORITY"] = std::to_string(journal_priority(at));
  }
  line["program"] = g_program;
  line["pid"] = getpid();
  line["msg"] = message;
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
  put_line(journal_prefix(at) + dump_json(line) + '\n');
}

void write(Level at,
           std::string_view message,
           std::initializer_list<Field> fields)
{
  write(at, message, std::span<const Field>(fields.begin(), fields.size()));
}

} // namespace jq::log
