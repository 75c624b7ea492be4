#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace date {
class time_zone;
}

namespace jq {

// A cron expression as Bull's repeatable jobs read it (the cron-parser
// package): five fields (minute hour day-of-month month day-of-week) or six
// (seconds first); `*` and `?`, numbers, ranges `a-b`, steps `*/n`, `a-b/n`
// and `a/n`, lists with `,`, month names (jan..dec) and day names
// (sun..sat), 0 or 7 for Sunday, `L` for the last day of the month, and the
// macros @yearly, @annually, @monthly, @weekly, @daily, @hourly. When both
// day fields are restricted, a day matching either runs (as cron does).
class CronSchedule
{
public:
  // Throws UsageError naming what is wrong (`L` in a day of the week, `#`
  // and `W` are not supported).
  static CronSchedule parse(std::string_view expression);

  // The first time (epoch ms, a whole second) strictly after `after_ms`
  // whose wall-clock time in `zone` matches, within the next 8 years;
  // std::nullopt if there is none.
  std::optional<std::int64_t> next_after(std::int64_t after_ms,
                                         const date::time_zone& zone) const;

private:
  // One bit a value: bit n set when n matches.
  std::uint64_t m_seconds = 0;
  std::uint64_t m_minutes = 0;
  std::uint64_t m_hours = 0;
  std::uint64_t m_days = 0;     // 1..31
  std::uint64_t m_months = 0;   // 1..12
  std::uint64_t m_weekdays = 0; // 0 (Sunday)..6
  bool m_last_day = false;      // `L` in the day of the month
  bool m_days_restricted = false;
  bool m_weekdays_restricted = false;
};

// The zone named `name` (IANA, e.g. "Europe/Berlin") from the system's
// time zone database, or the system's own zone when `name` is empty.
// Throws UsageError for an unknown name.
const date::time_zone& find_time_zone(std::string_view name);

} // namespace jq
