// jq-worker: run SQL jobs from a Bull queue against SQLite databases.

#include <jq/cli/allocator.hpp>
#include <jq/cli/common.hpp>
#include <jq/cli/sql_handler.hpp>
#include <jq/core/duration.hpp>
#include <jq/core/error.hpp>
#include <jq/core/exit_code.hpp>
#include <jq/core/log.hpp>
#include <jq/metrics/exposition.hpp>
#include <jq/metrics/http_server.hpp>
#include <jq/metrics/worker_metrics.hpp>
#include <jq/queue/job.hpp>
#include <jq/queue/worker.hpp>
#include <jq/sql/database_spec.hpp>
#include <jq/sql/engine.hpp>
#include <jq/sql/request.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <iostream>
#include <memory>
#include <optional>

namespace {

constexpr std::string_view k_tool = "jq-worker";

struct Options
{
  jq::cli::CommonOptions common;
  std::vector<std::string> databases;
  std::vector<std::string> database_files;
  int concurrency = 1;
  std::string lock_duration = "30s";
  std::string stalled_interval = "30s";
  int max_stalled = 1;
  std::string grace = "10s";
  bool quiet = false;
  std::string synchronous = "full";
  std::string log_format = "text";
  std::size_t max_rows = jq::sql::Limits{}.max_rows;
  std::size_t max_result_bytes = jq::sql::Limits{}.max_result_bytes;
  std::size_t max_value_bytes = jq::sql::Limits{}.max_value_bytes;
  std::size_t max_memory = 256 * 1024 * 1024;
  std::size_t max_payload_bytes = jq::sql::k_default_max_payload_bytes;
  std::string metrics_listen; // empty: no metrics endpoint
};

void setup(CLI::App& app, Options& options)
{
  app.description(
    "Run SQL jobs from a Bull queue against the SQLite, PostgreSQL, MySQL "
    "and MariaDB databases given.\n\n"
    "SIGTERM or SIGINT: stop taking jobs, finish the ones in hand, exit 0.\n");
  jq::cli::add_common_options(app, options.common);
  jq::cli::add_examples(
    app,
    "  Two databases, one read-only; four jobs at a time:\n"
    "    $ jq-worker --db app=app.sqlite --db ref=ref.sqlite:ro -c 4\n"
    "  The settings of a file (as the systemd unit runs it), checked:\n"
    "    $ jq-worker --config /etc/jq/worker.toml --print-config\n"
    "  Logs as JSON lines, warnings and errors only:\n"
    "    $ jq-worker --db app=app.sqlite --log-format json --quiet\n");
  app.add_option("--db",
                 options.databases,
                 "NAME=PATH[:ro] (an SQLite file), "
                 "NAME=postgresql://USER@HOST/DB[:ro] or "
                 "NAME=mysql://USER@HOST/DB[:ro] (repeatable); :ro "
                 "opens it read-only");
  app
    .add_option("--db-file",
                options.database_files,
                "Read --db values from this file, one per line (# comments); "
                "a URL with a password stays out of ps (repeatable)")
    ->envname("JQ_DB_FILE");
  app.add_option("-c,--concurrency", options.concurrency, "Jobs at a time")
    ->check(CLI::Range(1, 256))
    ->capture_default_str();
  app
    .add_option("--lock-duration",
                options.lock_duration,
                "Lock a job for this long, renewed at half of it")
    ->capture_default_str();
  app
    .add_option("--stalled-interval",
                options.stalled_interval,
                "How often to look for jobs of dead workers (0: never)")
    ->capture_default_str();
  app
    .add_option("--max-stalled",
                options.max_stalled,
                "Stalls a job may have before it fails")
    ->check(CLI::Range(0, 1000))
    ->capture_default_str();
  app
    .add_option("--grace",
                options.grace,
                "On stop, how long jobs in hand may take to finish")
    ->capture_default_str();
  app
    .add_option(
      "--max-rows", options.max_rows, "Fail a job whose result has more rows")
    ->check(CLI::PositiveNumber)
    ->capture_default_str();
  app
    .add_option("--max-result-bytes",
                options.max_result_bytes,
                "Fail a job whose result is larger (as JSON, roughly)")
    ->check(CLI::PositiveNumber)
    ->capture_default_str();
  app
    .add_option("--max-value-bytes",
                options.max_value_bytes,
                "Fail a job that makes, reads or binds a longer TEXT or BLOB "
                "(or sends longer SQL)")
    ->check(CLI::Range(std::size_t{1024}, std::size_t{1'000'000'000}))
    ->capture_default_str();
  app
    .add_option("--max-memory",
                options.max_memory,
                "The most memory all jobs together may take (SQLite's share "
                "is seven eighths, the rest is the worker's own); a job that "
                "needs more fails (0: no limit)")
    ->check(CLI::NonNegativeNumber)
    ->capture_default_str();
  app
    .add_option("--max-payload-bytes",
                options.max_payload_bytes,
                "Fail a job whose data is larger")
    ->check(CLI::PositiveNumber)
    ->capture_default_str();
  app
    .add_option("--synchronous",
                options.synchronous,
                "SQLite's synchronous setting for every database: full waits "
                "for the disk at each commit; normal, in WAL mode, does not "
                "(a power loss may lose the last commits, never corrupt)")
    ->check(CLI::IsMember({"full", "normal"}))
    ->capture_default_str();
  app.add_flag("--quiet", options.quiet, "Log only warnings and errors");
  app
    .add_option("--log-format",
                options.log_format,
                "text, or json: one JSON object per line (time, level, msg; "
                "job_id, queue, outcome, duration_ms when a job ends)")
    ->check(CLI::IsMember({"text", "json"}))
    ->capture_default_str();
  app
    .add_option("--metrics-listen",
                options.metrics_listen,
                "Serve this worker's counters for Prometheus at "
                "http://ADDR:PORT/metrics (ADDR:PORT, :PORT or PORT; ADDR "
                "is 127.0.0.1 unless given: 0.0.0.0 or [::] for every "
                "interface)")
    ->check([](const std::string& text) -> std::string {
      try {
        jq::metrics::parse_listen_address(text);
      } catch (const jq::UsageError& error) {
        return error.what();
      }
      return {};
    });
}

int run(const Options& options, const std::atomic<bool>& stop)
{
  std::vector<jq::sql::DatabaseSpec> specs;
  for (const auto& text : options.databases) {
    specs.push_back(jq::sql::parse_database_spec(text));
  }
  for (const auto& path : options.database_files) {
    auto more = jq::sql::read_database_file(path);
    specs.insert(specs.end(), more.begin(), more.end());
  }
  if (specs.empty()) {
    throw jq::UsageError("no database: give --db NAME=PATH or --db-file FILE");
  }
  jq::sql::EngineOptions engine;
  engine.limits = {
    options.max_rows, options.max_result_bytes, options.max_value_bytes};
  engine.sessions = options.concurrency;
  engine.synchronous_normal = options.synchronous == "normal";
  engine.max_memory = options.max_memory;
  // Opened once now: a bad path is a usage error before any job is taken.
  const jq::sql::Databases databases = jq::sql::open_databases(specs, engine);

  jq::queue::WorkerOptions worker_options;
  worker_options.concurrency = options.concurrency;
  worker_options.lock_duration = jq::parse_duration(options.lock_duration);
  worker_options.stalled_interval =
    jq::parse_duration(options.stalled_interval);
  worker_options.max_stalled = options.max_stalled;
  worker_options.grace = jq::parse_duration(options.grace);
  if (worker_options.lock_duration.count() < 2) {
    throw jq::UsageError("--lock-duration must be at least 2ms");
  }

  // Listening before Redis is reached: a port in use is a usage error
  // (exit 2) before any job is taken.
  jq::metrics::WorkerMetrics metrics;
  std::optional<jq::metrics::MetricsServer> metrics_server;
  if (!options.metrics_listen.empty()) {
    const auto address =
      jq::metrics::parse_listen_address(options.metrics_listen);
    metrics_server.emplace(address,
                           [&metrics, queue = options.common.keys().queue()] {
                             jq::metrics::Exposition out;
                             metrics.write(out, queue);
                             return out.text();
                           });
    worker_options.metrics = &metrics;
    JQ_LOG(info,
           "serving metrics at http://{}/metrics",
           jq::metrics::ListenAddress{address.host, metrics_server->port()}
             .to_string());
  }

  JQ_LOG(debug,
         "redis {} queue {}",
         options.common.url().redacted(),
         options.common.keys().base());
  jq::queue::Worker worker(
    options.common.url(),
    options.common.keys(),
    worker_options,
    jq::cli::sql_handler_factory(databases, options.max_payload_bytes));
  worker.run(stop);
  return jq::to_int(jq::ExitCode::success);
}

} // namespace

int main(int argc, char** argv)
{
  jq::cli::tune_allocator(argv, k_tool);
  static std::atomic<bool> stop{false};
  jq::cli::install_stop_signals(stop);
  return jq::cli::guarded_main(k_tool, [&] {
    CLI::App app;
    app.name(std::string(k_tool));
    Options options;
    setup(app, options);
    if (const int code = jq::cli::parse(app, argc, argv); code >= 0) {
      return code;
    }
    // Parsed (copied) now: a database password leaves `ps` (there is a
    // moment before this; --config or libpq's PGPASSFILE keep it out).
    for (int i = 1; i < argc; ++i) {
      jq::sql::mask_password_in_place(argv[i]);
    }
    if (options.common.print_config) {
      std::cout << jq::cli::effective_config(app, options.common);
      return jq::to_int(jq::ExitCode::success);
    }
    jq::log::set_format(jq::log::parse_format(options.log_format));
    jq::log::set_level(options.common.verbose ? jq::log::Level::debug
                       : options.quiet        ? jq::log::Level::warn
                                              : jq::log::Level::info);
    return run(options, stop);
  });
}
