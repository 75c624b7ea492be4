// jq-submit: put a SQL job on a Bull queue and wait for that job's reply.

#include <jq/cli/batch.hpp>
#include <jq/cli/common.hpp>
#include <jq/cli/format.hpp>
#include <jq/cli/job_input.hpp>
#include <jq/cli/line_reader.hpp>
#include <jq/core/clock.hpp>
#include <jq/core/duration.hpp>
#include <jq/core/error.hpp>
#include <jq/core/exit_code.hpp>
#include <jq/core/json.hpp>
#include <jq/core/log.hpp>
#include <jq/core/uuid.hpp>
#include <jq/queue/job.hpp>
#include <jq/queue/outcome.hpp>
#include <jq/queue/producer.hpp>
#include <jq/queue/submitter.hpp>
#include <jq/redis/connection.hpp>
#include <jq/sql/request.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <sys/stat.h>
#include <unistd.h>

#include <iostream>

namespace {

constexpr std::string_view k_tool = "jq-submit";
// How long --replicas waits for the acknowledgements of one round of adds.
constexpr std::chrono::seconds k_replica_timeout(5);

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
  bool from_stdin = false;
  int jobs = 64;
  bool ordered = false;
  std::vector<std::string> wait_ids;
  int replicas = 0;
  std::size_t max_payload_bytes = jq::sql::k_default_max_payload_bytes;
};

void setup(CLI::App& app, Options& options)
{
  app.description(
    "Put a SQL job on a Bull queue and wait for its reply.\n\n"
    "With --stdin each input line is a JSON object: db, sql, params or "
    "rows,\nand optionally id, timeout, attempts, backoff, delay, priority, "
    "lifo,\njob_timeout, keep (durations as \"5s\" or \"250ms\", or a "
    "number of\nmilliseconds as Bull writes them). Each output line "
    "is\n{\"line\", \"id\", \"status\", \"result\", "
    "\"error\", \"attempts\", \"elapsed_ms\"}; status is\ncompleted, "
    "failed, timeout, invalid, missing or gone.\n");
  jq::cli::add_common_options(app, options.common);
  jq::cli::add_examples(
    app,
    "  One job; the parameters are bound, never pasted into the SQL:\n"
    "    $ jq-submit --db app --sql 'select * from t where id = ?' "
    "--param 7\n"
    "  One value, for a shell variable:\n"
    "    $ n=$(jq-submit --db app --format value --sql \"$sql\")\n"
    "  Many jobs: JSON Lines in, JSON Lines out, 64 in flight:\n"
    "    $ jq-submit --stdin -j 64 < jobs.jsonl > replies.jsonl\n"
    "  Retried twice, 5 s apart, if it fails:\n"
    "    $ jq-submit --db app --sql \"$sql\" --attempts 3 "
    "--backoff fixed:5s\n"
    "  Submit now, collect the reply later (or elsewhere):\n"
    "    $ id=$(jq-submit --db app --sql \"$sql\" --no-wait)\n"
    "    $ jq-submit --wait \"$id\" --timeout 5m\n");
  app.add_option("--db", options.db, "Database name the worker knows");
  app.add_option("--sql", options.sql, "SQL statement (one)");
  app.add_flag("--stdin",
               options.from_stdin,
               "Read jobs as JSON Lines from stdin, write replies as JSON "
               "Lines");
  app.add_option("-j,--jobs", options.jobs, "With --stdin: jobs in flight")
    ->check(CLI::Range(1, 100'000))
    ->capture_default_str();
  app.add_flag("--ordered",
               options.ordered,
               "With --stdin: replies in input order (default: as they "
               "finish)");
  app
    .add_option("--replicas",
                options.replicas,
                "Wait until N Redis replicas have each added job (WAIT), so "
                "a failover cannot lose it")
    ->check(CLI::Range(0, 100));
  app.add_option("--wait",
                 options.wait_ids,
                 "Attach to jobs submitted earlier (e.g. with --no-wait)");
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
                 "json otherwise); value: the one cell of a one-row, "
                 "one-column result (otherwise the reply as JSON, exit 5)");
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
    .add_option("--max-payload-bytes",
                options.max_payload_bytes,
                "Refuse a job whose data is larger, unsent (jq-worker fails "
                "such a job; keep the two alike); --stdin answers a line "
                "longer than this and 64 KiB invalid, read past and not kept")
    ->check(CLI::PositiveNumber)
    ->capture_default_str();
  app
    .add_option("--keep",
                options.keep,
                "How long the reply is kept after the job ends (at least "
                "--timeout when waiting)")
    ->capture_default_str();
}

jq::queue::JobOptions job_options(const Options& options)
{
  jq::queue::JobOptions job;
  if (!options.job_id.empty()) {
    job.job_id = options.job_id;
  }
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
  return job;
}

jq::cli::JobDefaults job_defaults(const Options& options)
{
  jq::cli::JobDefaults defaults;
  defaults.options = job_options(options);
  defaults.timeout = jq::parse_duration(options.timeout);
  defaults.keep = jq::parse_duration(options.keep);
  defaults.is_waiting = !options.no_wait;
  defaults.max_payload_bytes = options.max_payload_bytes;
  return defaults;
}

void say_attached(const jq::queue::SubmissionResult& result)
{
  if (result.existed) {
    jq::cli::print_note(
      k_tool, fmt::format("job {} already existed; attached to it", result.id));
  }
}

// One job (from flags, or one --wait id): print its reply in `format`.
int print_single(const jq::queue::SubmissionResult& result,
                 jq::cli::Format format,
                 std::chrono::milliseconds timeout)
{
  say_attached(result);
  using Kind = jq::queue::Waited::Kind;
  switch (result.kind) {
  case Kind::finished:
    break;
  case Kind::missing:
    jq::cli::print_error(k_tool, fmt::format("no such job: {}", result.id));
    return jq::to_int(jq::ExitCode::no_such_job);
  case Kind::gone:
    jq::cli::print_error(
      k_tool,
      fmt::format("job {} finished but its reply is no longer kept",
                  result.id));
    return jq::to_int(jq::ExitCode::reply_gone);
  case Kind::timed_out:
    jq::cli::print_error(
      k_tool,
      fmt::format("timed out after {} waiting for job {} (it may still run)",
                  jq::format_duration(timeout),
                  result.id));
    return jq::to_int(jq::ExitCode::timeout);
  }
  const auto& outcome = *result.outcome;
  const bool is_completed =
    outcome.status == jq::queue::Outcome::Status::completed;
  if (format == jq::cli::Format::json) {
    std::cout << jq::dump_json(jq::cli::envelope(outcome, result.elapsed_ms))
              << '\n';
  } else if (is_completed) {
    try {
      jq::cli::write_result(std::cout, format, outcome.result);
    } catch (const jq::cli::NotOneValue& shape) {
      // The job ran: its data is printed all the same, as JSON, and the
      // exit code says it completed with a shape the caller did not expect.
      std::cout << jq::dump_json(outcome.result) << '\n' << std::flush;
      jq::cli::print_error(
        k_tool,
        fmt::format("job {} completed, but {}; its reply is printed as JSON",
                    outcome.id,
                    shape.what()));
      return jq::to_int(jq::ExitCode::not_one_value);
    }
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

// Feed `submissions` one by one and collect every result.
std::vector<jq::queue::SubmissionResult>
run_all(jq::queue::Submitter& submitter,
        std::vector<jq::queue::Submission> submissions)
{
  std::vector<jq::queue::SubmissionResult> results;
  std::size_t next = 0;
  submitter.run(
    [&]() -> std::optional<jq::queue::Submission> {
      if (next == submissions.size()) {
        return std::nullopt;
      }
      return std::move(submissions[next++]);
    },
    [&](jq::queue::SubmissionResult result) {
      results.push_back(std::move(result));
    });
  return results;
}

int run_stdin(const Options& options)
{
  if (!options.db.empty() || !options.sql.empty() || !options.params.empty()
      || !options.params_json.empty() || !options.rows_json.empty()
      || !options.job_id.empty()) {
    throw jq::UsageError(
      "--stdin takes jobs from its input: --db, --sql, --param(s), --rows "
      "and --job-id go in each line");
  }
  if (!options.format.empty() && options.format != "json") {
    throw jq::UsageError("--stdin writes JSON Lines: --format must be json");
  }
  const auto defaults = job_defaults(options);
  // std::cin with a buffer of its own, so it can tell whether a line can be
  // read without blocking (in_avail counts what it holds and what the
  // kernel has for it).
  std::ios::sync_with_stdio(false);
  // std::cin stays tied to std::cout: each getline flushes what was written
  // before it may block, such as the reply to an invalid line (a caller may
  // wait for it before writing more). Ends come through on_pause below.
  const auto input_ready = [] { return std::cin.rdbuf()->in_avail() > 0; };
  std::optional<std::uintmax_t> input_bytes;
  struct stat info = {};
  if (fstat(STDIN_FILENO, &info) == 0 && S_ISREG(info.st_mode)) {
    input_bytes = static_cast<std::uintmax_t>(info.st_size);
  }
  jq::cli::Progress progress(isatty(STDERR_FILENO) != 0, input_bytes);
  jq::cli::LineWriter writer(std::cout, options.ordered);
  jq::queue::Submitter submitter(
    options.common.url(), options.common.keys(), options.jobs);
  submitter.require_replicas(options.replicas, k_replica_timeout);

  std::uint64_t line_number = 0;
  std::uintmax_t bytes_read = 0;
  long long invalid = 0;
  long long not_completed = 0;
  std::string line;
  const std::size_t line_limit = jq::cli::line_limit(options.max_payload_bytes);
  submitter.run(
    [&]() -> std::optional<jq::queue::Submission> {
      for (;;) {
        const auto read = jq::cli::read_line(std::cin, line, line_limit);
        using Kind = jq::cli::LineRead::Kind;
        if (read.kind == Kind::end) {
          break;
        }
        ++line_number;
        bytes_read += read.length + 1;
        if (read.kind == Kind::too_long) {
          ++invalid;
          writer.write(line_number,
                       jq::cli::invalid_line(
                         line_number,
                         fmt::format("the line is over {} bytes (the most "
                                     "--max-payload-bytes leaves it); "
                                     "read past, not kept",
                                     line_limit)));
          continue;
        }
        if (line.find_first_not_of(" \t\r") == std::string::npos) {
          writer.skip(line_number); // blank lines are not jobs
          continue;
        }
        auto parsed = jq::cli::parse_job_line(line, line_number, defaults);
        if (auto* submission = std::get_if<jq::queue::Submission>(&parsed)) {
          return std::move(*submission);
        }
        ++invalid;
        writer.write(
          line_number,
          jq::cli::invalid_line(line_number, std::get<std::string>(parsed)));
      }
      return std::nullopt;
    },
    [&](jq::queue::SubmissionResult result) {
      say_attached(result);
      if (result.kind != jq::queue::Waited::Kind::finished
          || result.outcome->status != jq::queue::Outcome::Status::completed) {
        ++not_completed;
      }
      const auto tag = result.tag;
      writer.write(tag, jq::cli::result_line(std::move(result), tag));
    },
    // A line is read only when it is there, or when nothing is pending: a
    // caller that writes its next line after reading a reply must get that
    // reply first.
    [&] {
      return writer.held() < static_cast<std::size_t>(options.jobs)
             && (submitter.stats().in_flight == 0 || input_ready());
    },
    [&](const jq::queue::SubmitterStats& stats) {
      progress.update(stats, bytes_read, invalid);
    },
    // A caller with nothing more to say may be waiting for these lines;
    // once all input is read, one write per round of replies, not per line.
    [&] {
      if (!input_ready()) {
        std::cout.flush();
      }
    });
  progress.finish();
  std::cout.flush();
  return jq::to_int(invalid + not_completed == 0 ? jq::ExitCode::success
                                                 : jq::ExitCode::job_failed);
}

int run_wait(const Options& options, jq::cli::Format format)
{
  const auto timeout = jq::parse_duration(options.timeout);
  std::vector<jq::queue::Submission> submissions;
  for (const auto& id : options.wait_ids) {
    jq::queue::Submission submission;
    submission.id = id;
    submission.timeout = timeout;
    submissions.push_back(std::move(submission));
  }
  jq::queue::Submitter submitter(options.common.url(),
                                 options.common.keys(),
                                 static_cast<int>(submissions.size()));
  auto results = run_all(submitter, std::move(submissions));
  if (results.size() == 1) {
    return print_single(results.front(), format, timeout);
  }
  // Several: one JSON line each; 0 only if all completed.
  bool all_completed = true;
  for (auto& result : results) {
    all_completed =
      all_completed && result.outcome
      && result.outcome->status == jq::queue::Outcome::Status::completed;
    std::cout << jq::cli::result_line(std::move(result), 0) << '\n';
  }
  return jq::to_int(all_completed ? jq::ExitCode::success
                                  : jq::ExitCode::job_failed);
}

int run(const Options& options)
{
  const auto format = options.format.empty()
                        ? (isatty(STDOUT_FILENO) != 0 ? jq::cli::Format::table
                                                      : jq::cli::Format::json)
                        : jq::cli::parse_format(options.format);
  if (options.from_stdin) {
    return run_stdin(options);
  }
  if (!options.wait_ids.empty()) {
    return run_wait(options, format);
  }
  if (options.db.empty() || options.sql.empty()) {
    throw jq::UsageError(
      "--db and --sql are required (or --stdin, or --wait ID)");
  }
  const auto defaults = job_defaults(options);
  auto submission = jq::cli::make_submission(
    0,
    jq::dump_json(jq::cli::job_data(options.db,
                                    options.sql,
                                    options.params,
                                    options.params_json,
                                    options.rows_json)),
    defaults.options,
    defaults.timeout,
    defaults.keep,
    defaults.is_waiting,
    defaults.max_payload_bytes);
  const auto url = options.common.url();
  const auto keys = options.common.keys();
  JQ_LOG(debug, "redis {} queue {}", url.redacted(), keys.base());
  if (options.no_wait) {
    auto connection = jq::redis::Connection::open(url);
    const auto added =
      jq::queue::Producer(keys).add(connection, *submission.job);
    if (options.replicas > 0) {
      const auto acknowledged =
        connection
          .command({"WAIT",
                    std::to_string(options.replicas),
                    std::to_string(
                      std::chrono::milliseconds(k_replica_timeout).count())})
          .integer();
      if (acknowledged < options.replicas) {
        throw jq::RedisIoError(
          fmt::format("only {} of {} replica(s) acknowledged job {}",
                      acknowledged,
                      options.replicas,
                      added.id));
      }
    }
    if (!added.is_new) {
      jq::cli::print_note(
        k_tool, fmt::format("job {} already exists; left as it is", added.id));
    }
    std::cout << added.id << '\n';
    return jq::to_int(jq::ExitCode::success);
  }
  jq::queue::Submitter submitter(url, keys, 1);
  submitter.require_replicas(options.replicas, k_replica_timeout);
  const auto results = run_all(submitter, {std::move(submission)});
  return print_single(results.front(), format, defaults.timeout);
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
    if (options.common.print_config) {
      std::cout << jq::cli::effective_config(app, options.common);
      return jq::to_int(jq::ExitCode::success);
    }
    if (options.common.verbose) {
      jq::log::set_level(jq::log::Level::debug);
    }
    return run(options);
  });
}
