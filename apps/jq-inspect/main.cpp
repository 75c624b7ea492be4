// jq-inspect: the operator's view of a Bull queue.

#include <jq/cli/common.hpp>
#include <jq/core/exit_code.hpp>
#include <jq/core/log.hpp>
#include <jq/queue/inspector.hpp>
#include <jq/redis/connection.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <unistd.h>

#include <iostream>

namespace {

constexpr std::string_view k_tool = "jq-inspect";

struct Options
{
  jq::cli::CommonOptions common;
  bool json = false;
};

int run_counts(const Options& options)
{
  auto connection = jq::redis::Connection::open(options.common.url());
  const auto counts =
    jq::queue::count_jobs(connection, options.common.keys()).to_json();
  if (options.json || isatty(STDOUT_FILENO) == 0) {
    std::cout << counts.dump() << '\n';
  } else {
    for (const auto& [state, count] : counts.items()) {
      std::cout << fmt::format(
        "{:<10} {:>10}\n", state, count.get<long long>());
    }
  }
  return jq::to_int(jq::ExitCode::success);
}

} // namespace

int main(int argc, char** argv)
{
  return jq::cli::guarded_main(k_tool, [&] {
    CLI::App app;
    app.name(std::string(k_tool));
    app.description("Show a Bull queue as an operator needs it.");
    Options options;
    jq::cli::add_common_options(app, options.common);
    app.require_subcommand(1);
    auto* counts = app.add_subcommand(
      "counts", "Jobs per state, as Bull's getJobCounts() gives them");
    counts->add_flag(
      "--json", options.json, "One JSON object (default when piped)");
    if (const int code = jq::cli::parse(app, argc, argv); code >= 0) {
      return code;
    }
    if (options.common.verbose) {
      jq::log::set_level(jq::log::Level::debug);
    }
    if (counts->parsed()) {
      return run_counts(options);
    }
    return jq::to_int(jq::ExitCode::usage);
  });
}
