// jq-inspect pause / resume: the whole queue, for every worker (Bull's
// global queue.pause() / resume()).

#include "commands.hpp"
#include "results.hpp"

#include <jq/core/exit_code.hpp>
#include <jq/queue/admin.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <iostream>
#include <memory>

namespace inspect {

namespace {

struct PauseOptions
{
  bool dry_run = false;
  bool json = false;
};

int run_pause(const Context& context,
              const PauseOptions& options,
              jq::queue::Action action)
{
  const Style style = make_style(options.json);
  auto connection = context.connect();
  jq::queue::Admin admin(connection, context.common.keys(), options.dry_run);
  const auto result =
    action == jq::queue::Action::pause ? admin.pause() : admin.resume();
  const auto json = result.to_json();
  if (style.is_json) {
    print_json_line(std::cout, json);
  } else {
    Table table({"QUEUE", "RESULT", "JOBS MOVED"});
    table.align_right(2);
    table.add_row({{context.common.queue},
                   {json["result"].get<std::string>(),
                    result.changed ? Colour::green : Colour::yellow},
                   {std::to_string(result.jobs_moved)}});
    table.print(std::cout, style);
  }
  if (options.dry_run) {
    note_dry_run();
  }
  return jq::to_int(jq::ExitCode::success);
}

Command setup(CLI::App& app,
              const Context& context,
              jq::queue::Action action,
              std::string description)
{
  auto options = std::make_shared<PauseOptions>();
  auto* sub = app.add_subcommand(std::string(jq::queue::to_string(action)),
                                 std::move(description));
  add_dry_run_flag(*sub, options->dry_run);
  add_json_flag(*sub, options->json);
  sub->footer(
    "JSON fields: action, result (paused, already_paused, resumed, "
    "not_paused; would_pause, would_resume with --dry-run), changed, "
    "jobsMoved, dryRun.\n"
    "Exit codes: 0 done (also when it already was so), 2 usage, 69 Redis "
    "unreachable.");
  return {sub, [&context, options, action] {
            return run_pause(context, *options, action);
          }};
}

} // namespace

Command setup_pause(CLI::App& app, const Context& context)
{
  return setup(app,
               context,
               jq::queue::Action::pause,
               "Pause the queue for every worker: wait renamed to paused, "
               "meta-paused set, `paused` published (as Bull's pause())");
}

Command setup_resume(CLI::App& app, const Context& context)
{
  return setup(app,
               context,
               jq::queue::Action::resume,
               "Resume the queue: paused renamed to wait, meta-paused "
               "deleted, `resumed` published (as Bull's resume())");
}

} // namespace inspect
