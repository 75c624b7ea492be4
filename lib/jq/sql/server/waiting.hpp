#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace jq::sql::server {

// How a connection to a server waits, the same for every engine.

// Polled while a call waits on the server (the job's should_interrupt);
// true stops it.
using Interrupt = std::function<bool()>;

// How often a wait looks at its Interrupt, in milliseconds.
constexpr int k_poll_ms = 10;

// How long a stopped statement, or a ROLLBACK, may take before the
// connection is given up.
constexpr std::chrono::seconds k_abandon_timeout{5};

// An Interrupt that stops a wait once `timeout` has passed from now.
Interrupt deadline_in(std::chrono::seconds timeout);

// Run `step`, one of the engine's own statements after a job (a ROLLBACK,
// a session reset), given an Interrupt that stops it after
// k_abandon_timeout. Returns why it failed, if it did (the caller then
// gives the connection up); never throws.
std::optional<std::string> failure_within_abandon_timeout(
  const std::function<void(const Interrupt&)>& step) noexcept;

// A server's message without the newlines and spaces it ends with.
std::string trimmed(std::string_view message);

} // namespace jq::sql::server
