// jq-inspect show ID: one job in full, its state decided as Bull's
// job.getState() decides it.

#include "commands.hpp"
#include "output.hpp"

#include <jq/cli/common.hpp>
#include <jq/core/clock.hpp>
#include <jq/core/exit_code.hpp>
#include <jq/core/json.hpp>
#include <jq/queue/inspector.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <iostream>
#include <memory>

namespace inspect {

namespace {

struct ShowOptions
{
  std::string id;
  long long logs = 100;
  bool json = false;
};

void print_details(const jq::queue::JobDetails& job, const Style& style)
{
  const auto json = job.to_json();
  const std::int64_t now = jq::now_ms();
  const auto label = [&](std::string_view name) {
    return paint(fmt::format("{:<12}", name), Colour::bold, style.has_colour);
  };
  const auto line = [&](std::string_view name,
                        std::string_view value,
                        Colour colour = Colour::none) {
    std::cout << label(name) << paint(value, colour, style.has_colour) << '\n';
  };
  const auto time_line = [&](std::string_view name, std::string_view field) {
    if (json[field].is_number_integer()) {
      line(name, format_when(json[field].get<std::int64_t>(), now));
    }
  };
  const auto json_line = [&](std::string_view name, std::string_view field) {
    if (!json[field].is_null()) {
      line(name,
           json[field].is_string() ? json[field].get<std::string>()
                                   : jq::dump_json(json[field]));
    }
  };

  line("id", job.id);
  const std::string state(jq::queue::to_string(job.state));
  line("state", state, state_colour(state));
  if (!job.has_hash) {
    line("hash",
         "missing: the id is listed but the job's hash is gone",
         Colour::red);
  } else {
    line("name", json["name"].get<std::string>());
  }
  json_line("data", "data");
  json_line("opts", "opts");
  time_line("created", "timestamp");
  if (json["delay"].get<long long>() > 0) {
    line("delay", format_span(json["delay"].get<long long>()));
  }
  time_line("due", "dueAt");
  time_line("processed", "processedOn");
  time_line("finished", "finishedOn");
  time_line("retried", "retriedOn");
  if (json["finishedOn"].is_number_integer()
      && json["processedOn"].is_number_integer()) {
    line("took",
         format_span(json["finishedOn"].get<std::int64_t>()
                     - json["processedOn"].get<std::int64_t>()));
  }
  line("attempts",
       fmt::format("{} made of {}",
                   json["attemptsMade"].get<long long>(),
                   json["attempts"].get<long long>()));
  if (json["priority"].get<long long>() != 0) {
    line("priority", std::to_string(json["priority"].get<long long>()));
  }
  if (json["stalledCounter"].get<long long>() != 0) {
    line("stalled", std::to_string(json["stalledCounter"].get<long long>()));
  }
  json_line("progress", "progress");
  if (job.lock_token) {
    line("lock",
         fmt::format("held by {}{}",
                     *job.lock_token,
                     job.lock_ttl_ms
                       ? fmt::format(", {} left", format_span(*job.lock_ttl_ms))
                       : std::string()),
         Colour::cyan);
  }
  if (!json["failedReason"].is_null()) {
    line("reason", json["failedReason"].get<std::string>(), Colour::red);
  }
  if (json["stacktrace"].is_array() && !json["stacktrace"].empty()) {
    std::cout << label("stacktrace") << '\n';
    for (const auto& entry : json["stacktrace"]) {
      const std::string text =
        entry.is_string() ? entry.get<std::string>() : jq::dump_json(entry);
      std::string_view rest = text;
      while (!rest.empty()) {
        const std::size_t end = std::min(rest.find('\n'), rest.size());
        std::cout << "  " << one_line(rest.substr(0, end)) << '\n';
        rest.remove_prefix(std::min(end + 1, rest.size()));
      }
    }
  }
  json_line("returnvalue", "returnvalue");
  if (job.log_count > 0) {
    std::cout << label("logs")
              << (static_cast<long long>(job.logs.size()) < job.log_count
                    ? fmt::format("{} lines, the newest {}:",
                                  job.log_count,
                                  job.logs.size())
                    : fmt::format("{} lines:", job.log_count))
              << '\n';
    for (const auto& entry : job.logs) {
      std::cout << "  " << one_line(entry) << '\n';
    }
  }
  std::cout << std::flush;
}

int run_show(const Context& context, const ShowOptions& options)
{
  const Style style = make_style(options.json);
  auto connection = context.connect();
  const auto job = jq::queue::find_job(
    connection, context.common.keys(), options.id, options.logs);
  if (!job) {
    jq::cli::print_error(
      k_tool,
      fmt::format("no job {} in queue {}", options.id, context.common.queue));
    return jq::to_int(jq::ExitCode::no_such_job);
  }
  if (style.is_json) {
    print_json_line(std::cout, job->to_json());
  } else {
    print_details(*job, style);
  }
  return jq::to_int(jq::ExitCode::success);
}

} // namespace

Command setup_show(CLI::App& app, const Context& context)
{
  auto options = std::make_shared<ShowOptions>();
  auto* sub = app.add_subcommand(
    "show",
    "One job in full; its state as Bull's getState() decides it (completed, "
    "failed, delayed, active, waiting, paused, else stuck)");
  sub->add_option("id", options->id, "Job id")->required();
  sub->add_option("--logs", options->logs, "Newest log lines to show")
    ->check(CLI::Range(0LL, 100'000LL))
    ->capture_default_str();
  add_json_flag(*sub, options->json);
  sub->footer(
    "JSON fields (null when absent; times in ms since the epoch): id, "
    "state, name, data, opts, progress, returnvalue, stacktrace (parsed when "
    "they are JSON), failedReason, attemptsMade, attempts, priority, delay, "
    "timestamp, processedOn, finishedOn, retriedOn, dueAt, stalledCounter, "
    "lockToken, lockTtlMs, logCount, logs.\n"
    "Exit codes: 0 shown, 3 no such job, 2 usage, 69 Redis unreachable; 76 "
    "Redis refused a command.");
  return {sub, [&context, options] { return run_show(context, *options); }};
}

} // namespace inspect
