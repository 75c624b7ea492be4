// jq-inspect: the operator's view of a Bull queue, and the operator's
// actions on it. Each subcommand lives in cmd_<name>.cpp; this file wires
// them up and dispatches.

#include "commands.hpp"

#include <jq/cli/common.hpp>
#include <jq/core/duration.hpp>
#include <jq/core/error.hpp>
#include <jq/core/exit_code.hpp>
#include <jq/core/log.hpp>

#include <CLI/CLI.hpp>

#include <iostream>
#include <vector>

namespace inspect {

jq::redis::Connection Context::connect() const
{
  return jq::redis::Connection::open(common.url());
}

void add_json_flag(CLI::App& app, bool& json)
{
  app.add_flag("--json",
               json,
               "JSON Lines, one object per row (default when stdout is not "
               "a terminal)");
}

void add_dry_run_flag(CLI::App& app, bool& dry_run)
{
  app.add_flag("--dry-run",
               dry_run,
               "Decide exactly as the action would and change nothing");
}

std::function<std::string(const std::string&)> duration_check()
{
  return [](const std::string& text) -> std::string {
    try {
      jq::parse_duration(text);
    } catch (const jq::UsageError& error) {
      return error.what();
    }
    return {};
  };
}

} // namespace inspect

int main(int argc, char** argv)
{
  using namespace inspect;
  return jq::cli::guarded_main(k_tool, [&] {
    CLI::App app;
    app.name(std::string(k_tool));
    app.description(
      "Show a Bull queue as an operator needs it, and act on it. Tables on "
      "a terminal, JSON Lines with --json or when piped.");
    Context context;
    jq::cli::add_common_options(app, context.common);
    jq::cli::add_examples(
      app,
      "  Jobs per state, then the failed ones:\n"
      "    $ jq-inspect counts\n"
      "    $ jq-inspect list --state failed --limit 50\n"
      "  One job in full:\n"
      "    $ jq-inspect show 42\n"
      "  Every failed job back in line: what would happen, then do it:\n"
      "    $ jq-inspect retry --all-failed --dry-run\n"
      "    $ jq-inspect retry --all-failed\n"
      "  Completed jobs older than a day, removed:\n"
      "    $ jq-inspect clean --state completed --grace 24h\n"
      "  For a monitor: exit 0 if healthy, else a code below:\n"
      "    $ jq-inspect health --max-wait-age 2m --json\n"
      "  The queue of a worker's settings file:\n"
      "    $ jq-inspect --config /etc/jq/worker.toml watch\n");
    // An operator points jq-inspect at a worker's config file to see its
    // queue: the keys meant for jq-worker (db, concurrency...) are skipped.
    app.allow_config_extras(CLI::config_extras_mode::ignore);
    app.require_subcommand(1);
    std::vector<Command> commands;
    for (const auto setup : {setup_queues,
                             setup_counts,
                             setup_list,
                             setup_show,
                             setup_watch,
                             setup_workers,
                             setup_health,
                             setup_retry,
                             setup_remove,
                             setup_clean,
                             setup_pause,
                             setup_resume,
                             setup_promote,
                             setup_metrics}) {
      commands.push_back(setup(app, context));
    }
    if (const int code = jq::cli::parse(app, argc, argv); code >= 0) {
      return code;
    }
    if (context.common.print_config) {
      std::cout << jq::cli::effective_config(app, context.common);
      return jq::to_int(jq::ExitCode::success);
    }
    if (context.common.verbose) {
      jq::log::set_level(jq::log::Level::debug);
    }
    for (const auto& command : commands) {
      if (command.app->parsed()) {
        return command.run();
      }
    }
    return jq::to_int(jq::ExitCode::usage);
  });
}
