#pragma once

#include <fmt/core.h>

#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace jq::log {

enum class Level { error = 0, warn = 1, info = 2, debug = 3 };

// How lines look: `[time pid] program level: message` (text), or one JSON
// object per line (json: `time`, `level`, `program`, `pid`, `msg` and the
// event's fields), for journald and log shippers. When stderr is the
// journal (see set_journal()), either starts with the line's priority.
enum class Format { text, json };

// Set once at start-up, before threads: the program name in each line,
// the most verbose level written and the format.
void set_program(std::string_view name);
void set_level(Level level);
Level level() noexcept;
void set_format(Format format);
Format format() noexcept;

// "text" or "json"; throws UsageError otherwise.
Format parse_format(std::string_view text);

// The syslog priority journald files a line of `level` under (sd-daemon.h's
// SD_ERR, SD_WARNING, SD_INFO, SD_DEBUG): 3, 4, 6 or 7.
int journal_priority(Level level) noexcept;

// Whether file descriptor 2 is the stream systemd connected to the journal:
// JOURNAL_STREAM ("DEVICE:INODE", set for a service whose stderr goes to the
// journal) names its device and inode. Only set, the variable says nothing:
// every child of the service inherits it, e.g. a `jq-submit 2>err.txt` in
// an ExecStartPre= script, whose stderr is a file (systemd.exec(5) asks
// for this check).
bool stderr_is_journal();

// Whether each line starts with its priority, `<N>` (sd-daemon.h), which
// journald strips and files the line under, so that `journalctl -p warning`
// keeps warnings and errors only; a JSON line also gets `"PRIORITY":"N"`
// (journald reads no JSON: the member is for whoever parses the lines
// later). Set at start-up to stderr_is_journal(); set_journal() is for
// tests, before threads.
void set_journal(bool is_journal);
bool is_journal() noexcept;

// `<N>` for a line of `level` that bypasses write() (the tools' `tool:
// error: ...`), or "" when stderr is not the journal.
std::string journal_prefix(Level level);

// One named value of a structured event: text or an integer.
struct Field
{
  std::string_view name;
  std::variant<std::string_view, std::int64_t> value;
};

// Write one line to stderr (thread-safe: whole lines, never interleaved).
void write(Level level, std::string_view message);

// Write `message` with `fields`: in JSON they are members of the line's
// object beside `msg`; in text only `message` is written.
void write(Level level,
           std::string_view message,
           std::span<const Field> fields);
void write(Level level,
           std::string_view message,
           std::initializer_list<Field> fields);

template<typename... Args>
void emit(Level at, fmt::format_string<Args...> format, Args&&... args)
{
  // Check the level first so a debug line costs nothing when it is off.
  if (at <= level()) {
    write(at, fmt::format(format, std::forward<Args>(args)...));
  }
}

} // namespace jq::log

#define JQ_LOG(level_name, ...)                                                \
  ::jq::log::emit(::jq::log::Level::level_name, __VA_ARGS__)
