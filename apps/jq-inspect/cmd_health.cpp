// jq-inspect health: a check for monitors and orchestrators, with one exit
// code per failure and a bounded run time.

#include "commands.hpp"
#include "output.hpp"

#include <jq/core/duration.hpp>
#include <jq/core/exit_code.hpp>
#include <jq/queue/monitor.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <iostream>
#include <memory>

namespace inspect {

namespace {

using jq::queue::HealthReport;
using jq::queue::HealthStatus;

struct HealthOptions
{
  std::string max_wait_age = "5m";
  std::string timeout = "5s";
  bool json = false;
};

int exit_code(HealthStatus status)
{
  switch (status) {
  case HealthStatus::healthy:
    return jq::to_int(jq::ExitCode::success);
  case HealthStatus::redis_unreachable:
    return jq::to_int(jq::ExitCode::redis_unavailable);
  case HealthStatus::redis_refused:
    return jq::to_int(jq::ExitCode::redis_refused);
  case HealthStatus::no_worker:
    return jq::to_int(jq::ExitCode::no_worker);
  case HealthStatus::wait_too_old:
    break;
  }
  return jq::to_int(jq::ExitCode::wait_too_old);
}

void print_table(const HealthReport& report,
                 const Context& context,
                 const Style& style)
{
  const Cell ok{"ok", Colour::green};
  const Cell failed{"FAIL", Colour::red};
  const Cell unknown{"-", Colour::dim};
  const bool redis_ok = report.status != HealthStatus::redis_unreachable
                        && report.status != HealthStatus::redis_refused;
  Table table({"CHECK", "STATUS", "DETAIL"});
  table.add_row({{"redis"},
                 redis_ok ? ok : failed,
                 {redis_ok ? fmt::format("{} answered in {}",
                                         context.common.url().endpoint(),
                                         format_span(report.elapsed.count()))
                           : report.error}});
  if (!redis_ok) {
    table.add_row({{"workers"}, unknown, {}});
    table.add_row({{"wait"}, unknown, {}});
  } else {
    const long long workers = report.workers.value_or(0);
    table.add_row({{"workers"},
                   workers > 0 ? ok : failed,
                   {fmt::format("{} connected", workers)}});
    std::string detail =
      fmt::format("{} waiting{}",
                  report.waiting.value_or(0),
                  report.is_paused.value_or(false) ? " (queue paused)" : "");
    if (report.oldest_wait_ms) {
      detail += fmt::format(", oldest {} has waited {} (max {})",
                            report.oldest_id.value_or("?"),
                            format_span(*report.oldest_wait_ms),
                            format_span(report.max_wait_age.count()));
    }
    table.add_row({{"wait"},
                   report.status == HealthStatus::wait_too_old ? failed : ok,
                   {detail}});
  }
  table.print(std::cout, style);
}

int run_health(const Context& context, const HealthOptions& options)
{
  const Style style = make_style(options.json);
  const auto report =
    jq::queue::check_health(context.common.url(),
                            context.common.keys(),
                            jq::parse_duration(options.max_wait_age),
                            jq::parse_duration(options.timeout));
  if (style.is_json) {
    print_json_line(std::cout, report.to_json());
  } else {
    print_table(report, context, style);
  }
  return exit_code(report.status);
}

} // namespace

Command setup_health(CLI::App& app, const Context& context)
{
  auto options = std::make_shared<HealthOptions>();
  auto* sub = app.add_subcommand(
    "health",
    "Exit 0 when Redis answers, a worker is connected and the oldest "
    "waiting job is younger than --max-wait-age; a distinct code otherwise");
  sub
    ->add_option(
      "--max-wait-age", options->max_wait_age, "Longest a job may wait in line")
    ->check(duration_check())
    ->capture_default_str();
  sub
    ->add_option("--timeout",
                 options->timeout,
                 "Longest the whole check may take (connect included)")
    ->check(duration_check())
    ->capture_default_str();
  add_json_flag(*sub, options->json);
  sub->footer(
    "The checks run in this order; the first that fails sets the exit "
    "code:\n"
    "  0    healthy\n"
    "  69   Redis unreachable, refused the login or not answering within "
    "--timeout\n"
    "  76   Redis answered a command with an error (WRONGTYPE: a key of "
    "the queue holds something else; OOM; NOPERM)\n"
    "  10   no worker connected to the queue (CLIENT LIST, as Bull's "
    "getWorkers)\n"
    "  11   the oldest waiting job has waited longer than --max-wait-age\n"
    "  2    usage error\n"
    "The oldest waiting job is the oldest of the 10 next in line; it has "
    "waited since max(timestamp + delay, processedOn, retriedOn).\n"
    "JSON fields: status (healthy, redis_unreachable, redis_refused, "
    "no_worker, "
    "wait_too_old), healthy, error, workers, waiting, isPaused, "
    "oldestWaitingId, oldestWaitingAgeMs, maxWaitAgeMs, elapsedMs.");
  return {sub, [&context, options] { return run_health(context, *options); }};
}

} // namespace inspect
