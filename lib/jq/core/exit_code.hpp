#pragma once

#include <string_view>

namespace jq {

// The exit codes every tool uses (README.md, "Exit codes").
enum class ExitCode : int {
  success = 0,
  job_failed = 1,
  usage = 2,
  no_such_job = 3,
  reply_gone = 4,
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

// The exit-code table printed at the end of every tool's `--help`.
std::string_view exit_code_help() noexcept;

// The exit code for an exception that reached `main`: usage errors give 2,
// Redis connection errors 69, anything else 70.
ExitCode exit_code_for(const std::exception& error) noexcept;

} // namespace jq
