#pragma once

#include "output.hpp"

#include <jq/queue/admin.hpp>

#include <cstddef>
#include <vector>

namespace inspect {

// Collects the per-job results of an action: prints each as a JSON line
// at once, or one table at the end; decides the exit code.
class ResultSink
{
public:
  ResultSink(Style style, bool is_dry_run);

  void add(const jq::queue::JobResult& result);

  // Print the table (or nothing for JSON) and a dry-run note on stderr.
  // Returns 0 if every job was done (or would be), 1 if at least one was
  // refused (locked, not failed, not delayed), else 3 if at least one id
  // is unknown.
  int finish();

  std::size_t applied() const noexcept
  {
    return m_applied;
  }

private:
  Style m_style;
  bool m_is_dry_run;
  std::vector<jq::queue::JobResult> m_rows;
  std::size_t m_applied = 0;
  std::size_t m_refused = 0;
  std::size_t m_missing = 0;
};

// Print the dry-run note on stderr.
void note_dry_run();

// The exit codes of the job actions, for their --help footers.
constexpr std::string_view k_action_exit_codes =
  "Exit codes: 0 every job done (or, with --dry-run, would be); 1 at least "
  "one refused (locked by a worker, or not in the state the action needs); "
  "3 otherwise at least one id unknown; 2 usage; 69 Redis unreachable; 76 "
  "Redis refused a command.";

} // namespace inspect
