// jq-inspect list: one page of a state's jobs, in Bull's getJobs() order.

#include "commands.hpp"
#include "output.hpp"

#include <jq/core/clock.hpp>
#include <jq/core/exit_code.hpp>
#include <jq/queue/inspector.hpp>

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

namespace inspect {

namespace {

using jq::queue::JobRow;
using jq::queue::JobState;

struct ListOptions
{
  std::string state;
  long long limit = 20;
  long long offset = 0;
  bool json = false;
};

std::string when(const std::optional<std::int64_t>& ms, std::int64_t now)
{
  if (!ms) {
    return "-";
  }
  return format_when(*ms, now);
}

// The time column that matters for `state`, and its heading.
std::pair<std::string, std::string>
time_column(JobState state, const JobRow& row, std::int64_t now)
{
  switch (state) {
  case JobState::active:
    return {"STARTED", when(row.processed_on, now)};
  case JobState::delayed:
    return {"DUE", when(row.due_at, now)};
  case JobState::completed:
  case JobState::failed:
    return {"FINISHED", when(row.finished_on, now)};
  default:
    return {"CREATED", when(row.timestamp, now)};
  }
}

int run_list(const Context& context, const ListOptions& options)
{
  const JobState state = jq::queue::parse_list_state(options.state);
  const Style style = make_style(options.json);
  auto connection = context.connect();
  const auto rows = jq::queue::list_jobs(
    connection, context.common.keys(), state, options.offset, options.limit);
  if (style.is_json) {
    for (const auto& row : rows) {
      print_json_line(std::cout, row.to_json());
    }
    return jq::to_int(jq::ExitCode::success);
  }
  const std::int64_t now = jq::now_ms();
  const bool is_failed = state == JobState::failed;
  JobRow blank;
  Table table({"ID",
               "NAME",
               time_column(state, blank, now).first,
               "ATTEMPTS",
               is_failed ? "REASON" : "DATA"});
  table.align_right(3);
  for (const auto& row : rows) {
    std::string detail = "(no hash)";
    if (is_failed) {
      detail = row.failed_reason.value_or("");
    } else if (row.data) {
      detail = *row.data;
    }
    table.add_row({{row.id},
                   {row.has_hash ? row.name : "-"},
                   {time_column(state, row, now).second},
                   {std::to_string(row.attempts_made)},
                   // Cut long payloads early; the table cuts again to
                   // the terminal's width.
                   {one_line(detail, 1000),
                    is_failed ? Colour::red
                              : (row.has_hash ? Colour::none : Colour::dim)}});
  }
  if (rows.empty()) {
    std::cerr << "jq-inspect: no " << jq::queue::to_string(state)
              << " jobs at offset " << options.offset << '\n';
  }
  table.print(std::cout, style);
  return jq::to_int(jq::ExitCode::success);
}

} // namespace

Command setup_list(CLI::App& app, const Context& context)
{
  auto options = std::make_shared<ListOptions>();
  auto* sub = app.add_subcommand(
    "list",
    "One page of a state's jobs: waiting, paused, active, delayed oldest "
    "(next) first; completed, failed newest first (as Bull's getJobs)");
  sub
    ->add_option("-s,--state",
                 options->state,
                 "waiting (or wait), active, "
                 "delayed, paused, completed "
                 "or failed")
    ->required();
  sub->add_option("-n,--limit", options->limit, "Jobs on the page")
    ->check(CLI::Range(1LL, 10'000LL))
    ->capture_default_str();
  sub->add_option("--offset", options->offset, "Jobs to skip")
    ->check(CLI::NonNegativeNumber)
    ->capture_default_str();
  add_json_flag(*sub, options->json);
  sub->footer(
    "JSON fields (null when absent; times in ms since the epoch): id, "
    "state, name, timestamp, processedOn, finishedOn, dueAt (delayed: when "
    "it is due), attemptsMade, priority, failedReason, data.\n"
    "Cost: one range read of the page and one HMGET per job shown.");
  return {sub, [&context, options] { return run_list(context, *options); }};
}

} // namespace inspect
