#pragma once

#include <jq/cli/common.hpp>
#include <jq/redis/connection.hpp>

#include <functional>
#include <string_view>

namespace CLI {
class App;
}

namespace inspect {

constexpr std::string_view k_tool = "jq-inspect";

// What every subcommand shares: the common flags (parsed by the main app).
struct Context
{
  jq::cli::CommonOptions common;

  jq::redis::Connection connect() const;
};

// A subcommand: its CLI11 app (to see whether it was chosen) and what runs
// it, returning the exit code. Options live in the closure.
struct Command
{
  CLI::App* app = nullptr;
  std::function<int()> run;
};

// One setup_<name> per subcommand, in cmd_<name>.cpp (CLI11's
// subcom_in_files layout). Each adds its subcommand to `app`.
Command setup_queues(CLI::App& app, const Context& context);
Command setup_counts(CLI::App& app, const Context& context);
Command setup_list(CLI::App& app, const Context& context);
Command setup_show(CLI::App& app, const Context& context);
Command setup_watch(CLI::App& app, const Context& context);
Command setup_workers(CLI::App& app, const Context& context);
Command setup_health(CLI::App& app, const Context& context);
Command setup_retry(CLI::App& app, const Context& context);
Command setup_remove(CLI::App& app, const Context& context);
Command setup_clean(CLI::App& app, const Context& context);
Command setup_pause(CLI::App& app, const Context& context);
Command setup_resume(CLI::App& app, const Context& context);
Command setup_promote(CLI::App& app, const Context& context);
Command setup_metrics(CLI::App& app, const Context& context);

// Add `--json` to `app`.
void add_json_flag(CLI::App& app, bool& json);
// Add `--dry-run` to `app`.
void add_dry_run_flag(CLI::App& app, bool& dry_run);

// A CLI11 check for durations (`250ms`, `5s`, `2m`, `1h`, bare seconds).
std::function<std::string(const std::string&)> duration_check();

} // namespace inspect
