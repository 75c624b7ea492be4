// jq-submit: put a SQL job on a Bull queue and wait for that job's reply.

#include <jq/cli/common.hpp>
#include <jq/cli/format.hpp>
#include <jq/cli/job_input.hpp>
#include <jq/core/clock.hpp>
#include <jq/core/duration.hpp>
#include <jq/core/error.hpp>
#include <jq/core/exit_code.hpp>
#include <jq/core/log.hpp>
#include <jq/core/uuid.hpp>
#include <jq/queue/job.hpp>
#include <jq/queue/producer.hpp>
#include <jq/queue/waiter.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <unistd.h>

#include <iostream>

namespace {

constexpr std::string_view k_tool = "jq-submit";

struct Options
{
  jq::cli::CommonOptions common;
  std::string db;
  std::string sql;
  std::vector<std::string> params;
  std::string params_json;
  std::string rows_json;
  std::string timeout = "30s";
  std::string job_id;
  bool no_wait = false;
  std::string format;
  int attempts = 1;
  std::string backoff;
  std::string delay;
  int priority = 0;
  bool lifo = false;
  std::string keep = "1h";
  std::string job_timeout;
};

void setup(CLI::App& app, Options& options)
{
  app.description(
    "Put a SQL job on a Bull queue and wait for its reply.\n\n"
    "  jq-submit --db app --sql 'select * from board where id = ?' "
    "--param 7\n"
    "  n=$(jq-submit --db app --sql 'select count(*) from board' "
    "--format value)\n");
  jq::cli::add_common_options(app, options.common);
  app.add_option("--db", options.db, "Database name the worker knows")
    ->required();
  app.add_option("--sql", options.sql, "SQL statement (one)")->required();
  app.add_option("--param",
                 options.params,
                 "Positional parameter (repeatable); numbers, true, false "
                 "and null are typed, anything else is text");
  app.add_option("--params",
                 options.params_json,
                 "Parameters as JSON: [1, \"x\"] or {\":id\": 1}");
  app.add_option("--rows",
                 options.rows_json,
                 "Run once per row in one transaction: [[1, \"a\"], ...]");
  app
    .add_option("--timeout", options.timeout, "How long to wait for the reply")
    ->capture_default_str();
  app.add_option("--job-id",
                 options.job_id,
                 "Job id (default: a new UUID); an existing id is attached "
                 "to, not added again");
  app.add_flag("--no-wait", options.no_wait, "Print the job id and exit");
  app.add_option("--format",
                 options.format,
                 "json|table|csv|tsv|value (default: table on a terminal, "
                 "json otherwise)");
  app.add_option("--attempts", options.attempts, "Tries before the job fails")
    ->check(CLI::Range(1, 1000))
    ->capture_default_str();
  app.add_option(
    "--backoff", options.backoff, "Wait between tries: fixed:DUR or exp:DUR");
  app.add_option("--delay", options.delay, "Run no earlier than DUR from now");
  app.add_option("--priority", options.priority, "1 is the most urgent")
    ->check(CLI::Range(0, 2'097'152));
  app.add_flag("--lifo", options.lifo, "Run before the jobs already waiting");
  app.add_option("--job-timeout",
                 options.job_timeout,
                 "Interrupt and fail an attempt that runs longer (Bull's "
                 "opts.timeout)");
  app
    .add_option(
      "--keep", options.keep, "How long the reply is kept after the job ends")
    ->capture_default_str();
}

jq::queue::JobOptions job_options(const Options& options,
                                  std::chrono::milliseconds timeout)
{
  jq::queue::JobOptions job;
  job.job_id = options.job_id.empty() ? jq::make_uuid() : options.job_id;
  job.attempts = options.attempts;
  if (!options.backoff.empty()) {
    job.backoff = jq::queue::Backoff::parse(options.backoff);
  }
  if (!options.delay.empty()) {
    job.delay = jq::parse_duration(options.delay);
  }
  job.priority = options.priority;
  job.lifo = options.lifo;
  if (!options.job_timeout.empty()) {
    job.timeout = jq::parse_duration(options.job_timeout);
  }
  if (!options.no_wait && job.delay >= timeout) {
    throw jq::UsageError(
      "--delay is not shorter than --timeout: the reply could never arrive "
      "in time (raise --timeout, or use --no-wait and --wait later)");
  }
  if (!options.no_wait) {
    // Nobody waits for the reply after this: a worker must not start the
    // job later, nor let it run past it.
    job.deadline_ms = jq::now_ms() + timeout.count();
  }
  // Keep the reply at least as long as anyone waits for it.
  const auto keep = std::max(jq::parse_duration(options.keep), timeout);
  const long long keep_seconds = (keep.count() + 999) / 1000;
  job.remove_on_complete = {{"age", keep_seconds}};
  job.remove_on_fail = {{"age", keep_seconds}};
  return job;
}

int print_outcome(const jq::queue::Outcome& outcome,
                  jq::cli::Format format,
                  long long elapsed_ms)
{
  const bool is_completed =
    outcome.status == jq::queue::Outcome::Status::completed;
  if (format == jq::cli::Format::json) {
    std::cout << jq::queue::dump_json(jq::cli::envelope(outcome, elapsed_ms))
              << '\n';
  } else if (is_completed) {
    jq::cli::write_result(std::cout, format, outcome.result);
  }
  std::cout.flush();
  if (!is_completed) {
    jq::cli::print_error(
      k_tool,
      fmt::format("job {} failed: {}", outcome.id, outcome.failed_reason));
    return jq::to_int(jq::ExitCode::job_failed);
  }
  return jq::to_int(jq::ExitCode::success);
}

int run(const Options& options)
{
  const auto started = std::chrono::steady_clock::now();
  const auto timeout = jq::parse_duration(options.timeout);
  const auto format = options.format.empty()
                        ? (isatty(STDOUT_FILENO) != 0 ? jq::cli::Format::table
                                                      : jq::cli::Format::json)
                        : jq::cli::parse_format(options.format);
  const auto data = jq::cli::job_data(options.db,
                                      options.sql,
                                      options.params,
                                      options.params_json,
                                      options.rows_json);
  const jq::queue::NewJob job{
    "__default__", jq::queue::dump_json(data), job_options(options, timeout)};
  const auto url = options.common.url();
  const auto keys = options.common.keys();
  JQ_LOG(debug, "redis {} queue {}", url.redacted(), keys.base());

  auto commands = jq::redis::Connection::open(url);
  // Subscribe before adding: the reply cannot slip past us.
  std::optional<jq::queue::ReplyWaiter> waiter;
  if (!options.no_wait) {
    waiter.emplace(url, keys);
  }
  jq::queue::Producer producer(commands, keys);
  const auto added = producer.add(job);
  if (!added.is_new) {
    std::cerr << fmt::format(
      "{}: job {} already exists; attaching to it\n", k_tool, added.id);
  }
  if (options.no_wait) {
    std::cout << added.id << '\n';
    return jq::to_int(jq::ExitCode::success);
  }
  const auto waited = waiter->wait(commands, added.id, started + timeout);
  const auto elapsed = std::chrono::duration_cast<std::chrono::milliseconds>(
                         std::chrono::steady_clock::now() - started)
                         .count();
  switch (waited.kind) {
  case jq::queue::Waited::Kind::finished:
    return print_outcome(*waited.outcome, format, elapsed);
  case jq::queue::Waited::Kind::missing:
    jq::cli::print_error(k_tool, fmt::format("no such job: {}", added.id));
    return jq::to_int(jq::ExitCode::no_such_job);
  case jq::queue::Waited::Kind::gone:
    jq::cli::print_error(
      k_tool,
      fmt::format("job {} finished but its reply is no longer kept", added.id));
    return jq::to_int(jq::ExitCode::reply_gone);
  case jq::queue::Waited::Kind::timed_out:
    break;
  }
  jq::cli::print_error(
    k_tool,
    fmt::format("timed out after {} waiting for job {} (it may still run)",
                jq::format_duration(timeout),
                added.id));
  return jq::to_int(jq::ExitCode::timeout);
}

} // namespace

int main(int argc, char** argv)
{
  return jq::cli::guarded_main(k_tool, [&] {
    CLI::App app;
    app.name(std::string(k_tool));
    Options options;
    setup(app, options);
    if (const int code = jq::cli::parse(app, argc, argv); code >= 0) {
      return code;
    }
    if (options.common.verbose) {
      jq::log::set_level(jq::log::Level::debug);
    }
    return run(options);
  });
}
