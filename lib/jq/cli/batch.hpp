#pragma once

#include <jq/queue/job.hpp>
#include <jq/queue/submitter.hpp>
#include <jq/sql/request.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <map>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <variant>

namespace jq::cli {

// What a job line does not say comes from jq-submit's flags.
struct JobDefaults
{
  queue::JobOptions options; // job_id unset; deadline set per job
  std::chrono::milliseconds timeout{30'000};
  std::chrono::milliseconds keep{3'600'000};
  bool is_waiting = true; // false with --no-wait: no caller deadline
  // A job whose data is larger is refused, not sent (--max-payload-bytes).
  std::size_t max_payload_bytes = sql::k_default_max_payload_bytes;
};

// Fill in the options every submitted job gets: a fresh id unless given,
// retention of at least `timeout`, and the caller's deadline. Throws
// UsageError for data over `max_payload_bytes`: a worker would fail the job
// unrun (and Redis refuses any one value over 512 MiB, proto-max-bulk-len,
// by dropping the connection the whole batch is on).
queue::Submission make_submission(std::uint64_t tag,
                                  std::string data,
                                  queue::JobOptions options,
                                  std::chrono::milliseconds timeout,
                                  std::chrono::milliseconds keep,
                                  bool is_waiting,
                                  std::size_t max_payload_bytes);

// Decode one `--stdin` line (README.md, the tour): a JSON object with `db`,
// `sql`, `params`/`rows` (or the seed's `dbname`/`value`), and optional
// `id`, `timeout`, `attempts`, `backoff`, `delay`, `priority`, `lifo`,
// `job_timeout`, `keep`. Durations are strings ("250ms", "5s") or numbers of
// seconds. Returns the submission, or the reason the line is invalid.
std::variant<queue::Submission, std::string>
parse_job_line(std::string_view line,
               std::uint64_t line_number,
               const JobDefaults& defaults);

// The JSON Lines object for a submission's result (the envelope, plus
// `line` when `line` is non-zero), as dump_json writes it, without the
// newline. Statuses: completed, failed, timeout, missing, gone.
std::string result_line(queue::SubmissionResult result, std::uint64_t line);

// The same for an invalid input line.
std::string invalid_line(std::uint64_t line, std::string_view reason);

// Writes JSON Lines in completion order, or with `ordered` in line order,
// holding back only what is ahead of a line still pending.
class LineWriter
{
public:
  LineWriter(std::ostream& out, bool ordered);

  // Line `line`'s output: one JSON text (a newline is added).
  void write(std::uint64_t line, std::string json_text);
  // Line `line` has no output (a blank line).
  void skip(std::uint64_t line);
  // Lines held back, waiting for an earlier one.
  std::size_t held() const noexcept
  {
    return m_held.size();
  }

private:
  void hold(std::uint64_t line, std::string text);

  std::ostream& m_out;
  bool m_ordered;
  std::uint64_t m_next = 1;
  std::map<std::uint64_t, std::string> m_held;
};

// A progress line on stderr, redrawn in place; silent unless enabled (a
// terminal). With the input's size known, it shows an ETA.
class Progress
{
public:
  Progress(bool enabled, std::optional<std::uintmax_t> input_bytes);
  void update(const queue::SubmitterStats& stats,
              std::uintmax_t bytes_read,
              long long invalid);
  void finish();

private:
  bool m_enabled;
  std::optional<std::uintmax_t> m_input_bytes;
  std::chrono::steady_clock::time_point m_started;
  bool m_drawn = false;
};

} // namespace jq::cli
