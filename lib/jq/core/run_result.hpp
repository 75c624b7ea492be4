#pragma once

#include <chrono>
#include <exception>
#include <string>

namespace jq {

// What became of one run of a job: its reply, or the error it failed with,
// and when that was known (unset: not recorded).
struct RunResult
{
  std::string reply;
  std::exception_ptr error;
  std::chrono::steady_clock::time_point done;

  // Succeed with `text`, now.
  void succeed_now(std::string text) noexcept
  {
    reply = std::move(text);
    done = std::chrono::steady_clock::now();
  }

  // Fail with the exception being handled, now. Call from a catch block.
  void fail_now() noexcept
  {
    error = std::current_exception();
    done = std::chrono::steady_clock::now();
  }
};

} // namespace jq
