#include "exit_code.hpp"

#include <jq/core/error.hpp>

#include <fmt/core.h>

#include <array>

namespace jq {

namespace {

// Lines the tools share.
constexpr std::string_view k_software =
  "internal error (a bug: please report it)";
constexpr std::string_view k_refused =
  "Redis refused a command (WRONGTYPE, OOM, NOPERM, ...): it is there, but "
  "retrying will not help";
constexpr std::string_view k_interrupted = "interrupted (SIGINT)";
constexpr std::string_view k_terminated = "terminated (SIGTERM)";

// What each tool returns (DESIGN.md section 4, README.md "Exit codes"):
// the one place these tables are written.
constexpr std::array k_submit = {
  ExitCodeInfo{ExitCode::success,
               "done: the job completed (--stdin, --wait ID...: every job "
               "completed)"},
  ExitCodeInfo{ExitCode::job_failed,
               "the job failed (SQL error, unknown database, attempts used "
               "up); --stdin, --wait ID...: at least one did not complete"},
  ExitCodeInfo{ExitCode::usage,
               "usage error: bad flag, bad value, unreadable input"},
  ExitCodeInfo{ExitCode::no_such_job, "no such job (--wait ID)"},
  ExitCodeInfo{ExitCode::reply_gone,
               "the job finished but its reply is no longer kept (--keep)"},
  ExitCodeInfo{ExitCode::not_one_value,
               "--format value: the job completed, but its result is not one "
               "row of one column; the whole reply went to stdout as JSON"},
  ExitCodeInfo{ExitCode::redis_unavailable,
               "Redis unreachable, or lost and not back within the wait"},
  ExitCodeInfo{ExitCode::software, k_software},
  ExitCodeInfo{ExitCode::redis_refused, k_refused},
  ExitCodeInfo{ExitCode::timeout,
               "timed out waiting for the reply: the job id goes to stderr, "
               "the job itself may still run"},
  ExitCodeInfo{ExitCode::interrupted, k_interrupted},
  ExitCodeInfo{ExitCode::terminated, k_terminated},
};

constexpr std::array k_worker = {
  ExitCodeInfo{ExitCode::success,
               "stopped by SIGTERM or SIGINT: the jobs in hand finished "
               "within --grace, or were put back in line"},
  ExitCodeInfo{ExitCode::usage,
               "usage error: bad flag, bad value, a database that cannot be "
               "opened, an address to listen on that is taken"},
  ExitCodeInfo{ExitCode::redis_unavailable,
               "Redis unreachable at start (later outages are waited out)"},
  ExitCodeInfo{ExitCode::software, k_software},
  ExitCodeInfo{ExitCode::redis_refused,
               "Redis refused a command at start (e.g. NOPERM: the ACL user "
               "lacks a right)"},
};

constexpr std::array k_inspect = {
  ExitCodeInfo{ExitCode::success, "done (health: healthy)"},
  ExitCodeInfo{ExitCode::job_failed,
               "retry, remove, promote: refused for some job (locked by a "
               "worker, or not in a state the action applies to)"},
  ExitCodeInfo{ExitCode::usage,
               "usage error: bad flag, bad value, unknown subcommand"},
  ExitCodeInfo{ExitCode::no_such_job,
               "no such job (show ID; retry, remove, promote of an unknown "
               "id)"},
  ExitCodeInfo{ExitCode::no_worker,
               "health: no worker is connected to the queue"},
  ExitCodeInfo{ExitCode::wait_too_old,
               "health: the oldest waiting job has waited longer than "
               "--max-wait-age"},
  ExitCodeInfo{ExitCode::redis_unavailable,
               "Redis unreachable (health: or not answering within its "
               "--timeout)"},
  ExitCodeInfo{ExitCode::software, k_software},
  ExitCodeInfo{ExitCode::redis_refused, k_refused},
  ExitCodeInfo{ExitCode::interrupted, "watch: interrupted (SIGINT)"},
  ExitCodeInfo{ExitCode::terminated, "watch: terminated (SIGTERM)"},
};

// Every code, for a reader of none of the tools in particular.
constexpr std::array k_all = {
  ExitCodeInfo{ExitCode::success, "done"},
  ExitCodeInfo{ExitCode::job_failed,
               "the job failed (jq-inspect: an action was refused)"},
  ExitCodeInfo{ExitCode::usage,
               "usage error: bad flag, bad value, unreadable input"},
  ExitCodeInfo{ExitCode::no_such_job, "no such job"},
  ExitCodeInfo{ExitCode::reply_gone,
               "the job finished but its reply is no longer kept"},
  ExitCodeInfo{ExitCode::not_one_value,
               "jq-submit --format value: the job completed, but its result "
               "is not one value (printed as JSON)"},
  ExitCodeInfo{ExitCode::no_worker, "jq-inspect health: no worker connected"},
  ExitCodeInfo{ExitCode::wait_too_old,
               "jq-inspect health: the oldest waiting job waited too long"},
  ExitCodeInfo{ExitCode::redis_unavailable,
               "Redis unreachable, or lost and not back within the wait"},
  ExitCodeInfo{ExitCode::software, k_software},
  ExitCodeInfo{ExitCode::redis_refused, k_refused},
  ExitCodeInfo{ExitCode::timeout,
               "timed out waiting for the reply (the job may still run)"},
  ExitCodeInfo{ExitCode::interrupted, k_interrupted},
  ExitCodeInfo{ExitCode::terminated, k_terminated},
};

// The help's columns: "  CODE meaning", the meaning from column 7 on.
constexpr std::size_t k_meaning_column = 7;
constexpr std::size_t k_width = 79;

// `meaning` broken at spaces into lines that end by column k_width.
std::string wrap(std::string_view meaning)
{
  const std::string indent(k_meaning_column, ' ');
  std::string text;
  std::size_t column = k_meaning_column;
  bool is_first = true;
  while (!meaning.empty()) {
    const std::size_t space = meaning.find(' ');
    const std::string_view word = meaning.substr(0, space);
    meaning.remove_prefix(space == std::string_view::npos ? meaning.size()
                                                          : space + 1);
    if (is_first) {
      is_first = false;
    } else if (column + 1 + word.size() > k_width) {
      text += '\n' + indent;
      column = k_meaning_column;
    } else {
      text += ' ';
      ++column;
    }
    text += word;
    column += word.size();
  }
  return text;
}

} // namespace

std::span<const ExitCodeInfo> exit_codes(std::string_view tool) noexcept
{
  if (tool == "jq-submit") {
    return k_submit;
  }
  if (tool == "jq-worker") {
    return k_worker;
  }
  if (tool == "jq-inspect") {
    return k_inspect;
  }
  return k_all;
}

std::string exit_code_help(std::string_view tool)
{
  std::string text = "Exit codes:\n";
  for (const auto& [code, meaning] : exit_codes(tool)) {
    text += fmt::format("  {:<4} {}\n", to_int(code), wrap(meaning));
  }
  return text;
}

std::string exit_code_help()
{
  return exit_code_help("");
}

ExitCode exit_code_for(const std::exception& error) noexcept
{
  if (dynamic_cast<const UsageError*>(&error) != nullptr) {
    return ExitCode::usage;
  }
  if (dynamic_cast<const RedisIoError*>(&error) != nullptr) {
    return ExitCode::redis_unavailable;
  }
  if (dynamic_cast<const RedisReplyError*>(&error) != nullptr) {
    return ExitCode::redis_refused;
  }
  if (dynamic_cast<const RedisError*>(&error) != nullptr) {
    return ExitCode::redis_unavailable;
  }
  return ExitCode::software;
}

} // namespace jq
