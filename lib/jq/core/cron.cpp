#include "cron.hpp"

#include <jq/core/error.hpp>

#include <fmt/core.h>

#include <date/tz.h>

#include <array>
#include <charconv>
#include <chrono>
#include <span>
#include <string>
#include <vector>

namespace jq {

namespace {

constexpr std::array<std::string_view, 12> k_month_names = {"jan",
                                                            "feb",
                                                            "mar",
                                                            "apr",
                                                            "may",
                                                            "jun",
                                                            "jul",
                                                            "aug",
                                                            "sep",
                                                            "oct",
                                                            "nov",
                                                            "dec"};
constexpr std::array<std::string_view, 7> k_day_names = {
  "sun", "mon", "tue", "wed", "thu", "fri", "sat"};

struct FieldSpec
{
  std::string_view name;
  int low;
  int high;
  // Names for low, low + 1, ... (months from 1, days from 0).
  std::span<const std::string_view> names;
};

std::vector<std::string_view> split(std::string_view text, char separator)
{
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  for (;;) {
    const auto at = text.find(separator, start);
    parts.push_back(text.substr(start, at - start));
    if (at == std::string_view::npos) {
      return parts;
    }
    start = at + 1;
  }
}

bool equals_nocase(std::string_view a, std::string_view b)
{
  if (a.size() != b.size()) {
    return false;
  }
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != b[i]) {
      return false;
    }
  }
  return true;
}

// All of `text` as a decimal number, or std::nullopt.
std::optional<int> to_int(std::string_view text)
{
  int value = 0;
  const auto [ptr, ec] =
    std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
    return std::nullopt;
  }
  return value;
}

int parse_value(std::string_view text, const FieldSpec& spec)
{
  for (std::size_t i = 0; i < spec.names.size(); ++i) {
    if (equals_nocase(text, spec.names[i])) {
      return spec.low + static_cast<int>(i);
    }
  }
  const auto value = to_int(text);
  if (!value || *value < spec.low || *value > spec.high) {
    throw UsageError(fmt::format("cron: '{}' is not a valid {} ({}-{})",
                                 text,
                                 spec.name,
                                 spec.low,
                                 spec.high));
  }
  return *value;
}

std::uint64_t parse_field(std::string_view text, const FieldSpec& spec)
{
  std::uint64_t mask = 0;
  for (const std::string_view item : split(text, ',')) {
    if (item.find_first_of("LW#") != std::string_view::npos) {
      throw UsageError(
        fmt::format("cron: '{}' in the {} is not supported (no L, W or #)",
                    item,
                    spec.name));
    }
    const auto slash = item.find('/');
    const std::string_view range = item.substr(0, slash);
    int step = 1;
    if (slash != std::string_view::npos) {
      const std::string_view step_text = item.substr(slash + 1);
      step = to_int(step_text).value_or(0);
      if (step < 1 || step > spec.high - spec.low + 1) {
        throw UsageError(fmt::format(
          "cron: '{}' is not a valid step in the {}", step_text, spec.name));
      }
    }
    int first = spec.low;
    int last = spec.high;
    if (range != "*" && range != "?") {
      const auto dash = range.find('-');
      first = parse_value(range.substr(0, dash), spec);
      if (dash != std::string_view::npos) {
        last = parse_value(range.substr(dash + 1), spec);
      } else if (slash == std::string_view::npos) {
        last = first;
      }
      if (last < first) {
        throw UsageError(fmt::format(
          "cron: the range '{}' in the {} runs backwards", range, spec.name));
      }
    }
    for (int value = first; value <= last; value += step) {
      mask |= std::uint64_t{1} << value;
    }
  }
  return mask;
}

bool has(std::uint64_t mask, unsigned value)
{
  return ((mask >> value) & 1U) != 0;
}

std::string_view expand_macro(std::string_view expression)
{
  if (expression == "@yearly" || expression == "@annually") {
    return "0 0 1 1 *";
  }
  if (expression == "@monthly") {
    return "0 0 1 * *";
  }
  if (expression == "@weekly") {
    return "0 0 * * 0";
  }
  if (expression == "@daily" || expression == "@midnight") {
    return "0 0 * * *";
  }
  if (expression == "@hourly") {
    return "0 * * * *";
  }
  return expression;
}

} // namespace

CronSchedule CronSchedule::parse(std::string_view expression)
{
  std::vector<std::string_view> fields;
  for (const auto part : split(expand_macro(expression), ' ')) {
    if (!part.empty()) {
      fields.push_back(part);
    }
  }
  if (fields.size() == 5) {
    fields.insert(fields.begin(), "0");
  }
  if (fields.size() != 6) {
    throw UsageError(fmt::format(
      "cron: '{}' has {} fields; expected 5 (minute hour day month weekday) "
      "or 6 (seconds first)",
      expression,
      fields.size()));
  }
  CronSchedule schedule;
  schedule.m_seconds = parse_field(fields[0], {"second", 0, 59, {}});
  schedule.m_minutes = parse_field(fields[1], {"minute", 0, 59, {}});
  schedule.m_hours = parse_field(fields[2], {"hour", 0, 23, {}});
  if (fields[3] == "L") {
    schedule.m_last_day = true;
  } else {
    schedule.m_days = parse_field(fields[3], {"day of the month", 1, 31, {}});
  }
  schedule.m_months =
    parse_field(fields[4], {"month", 1, 12, std::span(k_month_names)});
  const std::uint64_t weekdays =
    parse_field(fields[5], {"day of the week", 0, 7, std::span(k_day_names)});
  // 7 is Sunday too.
  schedule.m_weekdays = (weekdays & 0x7F) | ((weekdays >> 7) & 1U);
  constexpr std::uint64_t k_all_days = 0xFFFFFFFEULL; // 1..31
  schedule.m_days_restricted =
    schedule.m_last_day || schedule.m_days != k_all_days;
  schedule.m_weekdays_restricted = schedule.m_weekdays != 0x7F;
  return schedule;
}

std::optional<std::int64_t>
CronSchedule::next_after(std::int64_t after_ms,
                         const date::time_zone& zone) const
{
  using namespace std::chrono;
  const sys_seconds after =
    floor<seconds>(sys_time<milliseconds>(milliseconds(after_ms)));
  date::local_seconds local = zone.to_local(after + seconds(1));
  const date::local_seconds horizon = local + days(366 * 8);
  while (local < horizon) {
    const date::local_days day = floor<days>(local);
    const date::year_month_day ymd{day};
    const unsigned month = static_cast<unsigned>(ymd.month());
    if (!has(m_months, month)) {
      const date::year_month_day first = ymd.year() / ymd.month() / 1;
      local = date::local_days{first + date::months{1}};
      continue;
    }
    const auto day_number = static_cast<unsigned>(ymd.day());
    const bool day_matches =
      has(m_days, day_number)
      || (m_last_day
          && day_number
               == static_cast<unsigned>(
                 (ymd.year() / ymd.month() / date::last).day()));
    const bool weekday_matches =
      has(m_weekdays, date::weekday{day}.c_encoding());
    bool runs_today = true;
    if (m_days_restricted && m_weekdays_restricted) {
      runs_today = day_matches || weekday_matches;
    } else if (m_days_restricted) {
      runs_today = day_matches;
    } else if (m_weekdays_restricted) {
      runs_today = weekday_matches;
    }
    if (!runs_today) {
      local = day + days(1);
      continue;
    }
    const date::hh_mm_ss<seconds> time{local - day};
    if (!has(m_hours, static_cast<unsigned>(time.hours().count()))) {
      local = floor<hours>(local) + hours(1);
      continue;
    }
    if (!has(m_minutes, static_cast<unsigned>(time.minutes().count()))) {
      local = floor<minutes>(local) + minutes(1);
      continue;
    }
    if (!has(m_seconds, static_cast<unsigned>(time.seconds().count()))) {
      local += seconds(1);
      continue;
    }
    // As cron-parser: a wall-clock time that a clock change skips runs as
    // late as the change (02:30 becomes 03:30); one it repeats runs the
    // first time.
    const auto info = zone.get_info(local);
    const sys_seconds at =
      info.result == date::local_info::nonexistent
        ? sys_seconds{(local - info.first.offset).time_since_epoch()}
        : zone.to_sys(local, date::choose::earliest);
    if (at <= after) {
      local += seconds(1);
      continue;
    }
    return duration_cast<milliseconds>(at.time_since_epoch()).count();
  }
  return std::nullopt;
}

const date::time_zone& find_time_zone(std::string_view name)
{
  try {
    return name.empty() ? *date::current_zone()
                        : *date::locate_zone(std::string(name));
  } catch (const std::exception& error) {
    throw UsageError(
      fmt::format("unknown time zone '{}': {}", name, error.what()));
  }
}

} // namespace jq
