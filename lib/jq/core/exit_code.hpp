#pragma once

#include <exception>
#include <span>
#include <string>
#include <string_view>

namespace jq {

// The exit codes every tool uses (README.md, "Exit codes").
enum class ExitCode : int {
  success = 0,
  job_failed = 1,
  usage = 2,
  no_such_job = 3,
  reply_gone = 4,
  // jq-submit --format value: the job completed, but its result is not one
  // row of one column; the reply went to stdout as JSON instead.
  not_one_value = 5,
  // jq-inspect health only (listed in its --help): no worker is connected,
  // or the oldest waiting job has waited longer than allowed.
  no_worker = 10,
  wait_too_old = 11,
  redis_unavailable = 69,
  // Redis answered with an error (WRONGTYPE, OOM, NOPERM, ...): it is
  // there, but refused; retrying as for an outage would not help.
  redis_refused = 76,
  software = 70,
  timeout = 124,
  interrupted = 130,
  terminated = 143,
};

constexpr int to_int(ExitCode code) noexcept
{
  return static_cast<int>(code);
}

// One line of a tool's exit-code table: a code and what it means there.
struct ExitCodeInfo
{
  ExitCode code;
  std::string_view meaning;
};

// The exit codes `tool` ("jq-submit", "jq-worker" or "jq-inspect") can
// return and what each means for it, in increasing order; for any other
// name, every code of the three tools. The one table behind each tool's
// `--help` footer and so its man page (EXIT STATUS).
std::span<const ExitCodeInfo> exit_codes(std::string_view tool) noexcept;

// `tool`'s exit-code table as its `--help` ends: "Exit codes:\n" and one
// "  CODE meaning\n" line per code, each at most 79 columns (a longer
// meaning goes on in lines indented under it).
std::string exit_code_help(std::string_view tool);

// The table of every code of the three tools (exit_code_help("")).
std::string exit_code_help();

// The exit code for an exception that reached `main`: usage errors give 2,
// Redis connection errors 69, anything else 70.
ExitCode exit_code_for(const std::exception& error) noexcept;

} // namespace jq
