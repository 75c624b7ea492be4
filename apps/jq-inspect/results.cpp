#include "results.hpp"

#include "commands.hpp"

#include <jq/cli/common.hpp>
#include <jq/core/exit_code.hpp>

#include <iostream>

namespace inspect {

using jq::queue::ActionResult;

ResultSink::ResultSink(Style style, bool is_dry_run)
  : m_style(style),
    m_is_dry_run(is_dry_run)
{
}

void ResultSink::add(const jq::queue::JobResult& result)
{
  switch (result.outcome) {
  case ActionResult::applied:
    ++m_applied;
    break;
  case ActionResult::missing:
    ++m_missing;
    break;
  case ActionResult::locked:
  case ActionResult::wrong_state:
    ++m_refused;
    break;
  }
  if (m_style.is_json) {
    print_json_line(std::cout, result.to_json());
  } else {
    m_rows.push_back(result);
  }
}

int ResultSink::finish()
{
  if (!m_style.is_json) {
    Table table({"ID", "RESULT"});
    for (const auto& row : m_rows) {
      Colour colour = Colour::yellow;
      if (row.outcome == ActionResult::applied) {
        colour = Colour::green;
      } else if (row.outcome == ActionResult::missing) {
        colour = Colour::red;
      }
      table.add_row({{row.id}, {row.result(), colour}});
    }
    if (!m_rows.empty()) {
      table.print(std::cout, m_style);
    }
  }
  if (m_is_dry_run) {
    note_dry_run();
  }
  if (m_refused > 0) {
    // Not a job failure: the action was refused for some job.
    return jq::to_int(jq::ExitCode::job_failed);
  }
  if (m_missing > 0) {
    return jq::to_int(jq::ExitCode::no_such_job);
  }
  return jq::to_int(jq::ExitCode::success);
}

void note_dry_run()
{
  jq::cli::print_note(k_tool, "dry run: nothing was changed");
}

} // namespace inspect
