// jq-inspect clean: remove a state's old jobs, as Bull's queue.clean().

#include "commands.hpp"
#include "results.hpp"

#include <jq/core/duration.hpp>
#include <jq/core/exit_code.hpp>
#include <jq/queue/admin.hpp>

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <string>

namespace inspect {

namespace {

struct CleanOptions
{
  std::string state;
  std::string grace;
  long long limit = 0;
  bool dry_run = false;
  bool json = false;
};

int run_clean(const Context& context, const CleanOptions& options)
{
  const auto state = jq::queue::parse_list_state(options.state);
  const auto grace = jq::parse_duration(options.grace);
  const Style style = make_style(options.json);
  auto connection = context.connect();
  jq::queue::Admin admin(connection, context.common.keys(), options.dry_run);
  const long long removed =
    admin.clean(state, grace, options.limit, [&](const auto& result) {
      if (style.is_json) {
        print_json_line(std::cout, result.to_json());
      }
    });
  if (!style.is_json) {
    Table table(
      {"STATE", options.dry_run ? "WOULD REMOVE" : "REMOVED", "OLDER THAN"});
    table.align_right(1);
    table.add_row({{std::string(jq::queue::to_string(state)),
                    state_colour(jq::queue::to_string(state))},
                   {std::to_string(removed), Colour::bold},
                   {jq::format_duration(grace)}});
    table.print(std::cout, style);
  }
  if (options.dry_run) {
    note_dry_run();
  }
  return jq::to_int(jq::ExitCode::success);
}

} // namespace

Command setup_clean(CLI::App& app, const Context& context)
{
  auto options = std::make_shared<CleanOptions>();
  auto* sub = app.add_subcommand(
    "clean",
    "Remove the unlocked jobs of a state older than --grace (Bull's clean(): "
    "age from finishedOn, else processedOn, else timestamp), oldest first, "
    "in atomic steps of at most 1000 jobs");
  sub
    ->add_option("-s,--state",
                 options->state,
                 "waiting (or wait), active, "
                 "delayed, paused, completed "
                 "or failed")
    ->required();
  sub->add_option("-g,--grace", options->grace, "Keep jobs younger than this")
    ->check(duration_check())
    ->required();
  sub->add_option("-n,--limit", options->limit, "Remove at most N (0: all)")
    ->check(CLI::NonNegativeNumber)
    ->capture_default_str();
  add_dry_run_flag(*sub, options->dry_run);
  add_json_flag(*sub, options->json);
  sub->footer(
    "Output: a one-row summary on a terminal; with --json (or piped) one "
    "line per removed job: id, action (clean), result (removed, "
    "would_remove), dryRun.\n"
    "Exit codes: 0 done, 2 usage, 69 Redis unreachable; 76 Redis refused a "
    "command.");
  return {sub, [&context, options] { return run_clean(context, *options); }};
}

} // namespace inspect
