#pragma once

#include <fmt/core.h>

#include <string>
#include <string_view>

namespace jq::log {

enum class Level { error = 0, warn = 1, info = 2, debug = 3 };

// Set once at start-up, before threads: the program name in each line and
// the most verbose level written.
void set_program(std::string_view name);
void set_level(Level level);
Level level() noexcept;

// Write one line to stderr (thread-safe: whole lines, never interleaved).
void write(Level level, std::string_view message);

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
