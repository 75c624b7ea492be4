#include "exit_code.hpp"

#include <jq/core/error.hpp>

namespace jq {

std::string_view exit_code_help() noexcept
{
  return "Exit codes:\n"
         "  0    done: the job completed (--stdin: every job completed)\n"
         "  1    the job failed (--stdin: at least one did not complete)\n"
         "  2    usage error: bad flag, bad value, unreadable input\n"
         "  3    no such job\n"
         "  4    the job finished but its reply is no longer kept\n"
         "  69   Redis unreachable, or lost and not back within the wait\n"
         "  76   Redis refused a command (WRONGTYPE, OOM, NOPERM, ...)\n"
         "  70   internal error (a bug: please report it)\n"
         "  124  timed out waiting for the reply (the job may still run)\n"
         "  130  interrupted (SIGINT)\n"
         "  143  terminated (SIGTERM)\n";
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
