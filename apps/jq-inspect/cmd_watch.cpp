// jq-inspect watch: counts and finished jobs per second, redrawn in place
// on a terminal, one JSON line per frame otherwise.

#include "commands.hpp"
#include "output.hpp"

#include <jq/cli/common.hpp>
#include <jq/core/duration.hpp>
#include <jq/core/error.hpp>
#include <jq/core/exit_code.hpp>
#include <jq/queue/monitor.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <atomic>
#include <csignal>
#include <iostream>
#include <memory>

namespace inspect {

namespace {

struct WatchOptions
{
  std::string interval = "2s";
  long long count = 0;
  bool json = false;
};

std::string rate(const std::optional<double>& value)
{
  return value ? fmt::format("{:.1f}", *value) : "-";
}

// Draw one frame; returns the number of lines written.
std::size_t draw(const jq::queue::WatchFrame& frame,
                 const Context& context,
                 std::string_view interval,
                 const Style& style)
{
  const auto& n = frame.counts;
  const std::string title =
    fmt::format("{}  {}  every {}  (Ctrl-C to stop)",
                context.common.keys().base().substr(
                  0, context.common.keys().base().size() - 1),
                format_time(frame.time_ms),
                interval);
  std::cout << paint(title, Colour::bold, style.has_colour) << "\n\n";
  Table table({"WAITING",
               "ACTIVE",
               "COMPLETED",
               "FAILED",
               "DELAYED",
               "PAUSED",
               "COMPLETED/S",
               "FAILED/S"});
  for (std::size_t c = 0; c < 8; ++c) {
    table.align_right(c);
  }
  table.add_row(
    {{std::to_string(n.waiting)},
     {std::to_string(n.active), Colour::cyan},
     {std::to_string(n.completed), Colour::green},
     {std::to_string(n.failed), n.failed > 0 ? Colour::red : Colour::none},
     {std::to_string(n.delayed), Colour::yellow},
     {std::to_string(n.paused), Colour::magenta},
     {rate(frame.completed_per_second), Colour::green},
     {rate(frame.failed_per_second),
      frame.failed_per_second.value_or(0) > 0 ? Colour::red : Colour::none}});
  Style plain = style;
  plain.width = 0; // no cutting: the row is short
  table.print(std::cout, plain);
  return 2 + table.line_count();
}

int run_watch(const Context& context, const WatchOptions& options)
{
  const auto interval = jq::parse_duration(options.interval);
  if (interval.count() < 10) {
    throw jq::UsageError("--interval must be at least 10ms");
  }
  const Style style = make_style(options.json);
  std::atomic<bool> stop{false};
  jq::cli::install_stop_signals(stop);
  jq::queue::Watcher watcher(context.common.url(), context.common.keys());

  std::size_t drawn = 0;
  const auto show = [&](const jq::queue::WatchFrame& frame) {
    if (style.is_json) {
      print_json_line(std::cout, frame.to_json());
      return;
    }
    if (drawn > 0) {
      // Back to the first line of the previous frame, and clear from there.
      std::cout << fmt::format("\033[{}A\r\033[J", drawn);
    }
    drawn = draw(frame, context, jq::format_duration(interval), style);
  };

  show(watcher.first());
  for (long long frames = 1; options.count == 0 || frames < options.count;
       ++frames) {
    const auto frame = watcher.next(interval, stop);
    if (!frame) {
      break;
    }
    show(*frame);
  }
  if (const int signal_number = jq::cli::stop_signal(); signal_number != 0) {
    return signal_number == SIGTERM ? jq::to_int(jq::ExitCode::terminated)
                                    : jq::to_int(jq::ExitCode::interrupted);
  }
  return jq::to_int(jq::ExitCode::success);
}

} // namespace

Command setup_watch(CLI::App& app, const Context& context)
{
  auto options = std::make_shared<WatchOptions>();
  auto* sub = app.add_subcommand(
    "watch",
    "Counts plus completed and failed jobs per second, every --interval; "
    "redrawn in place on a terminal. Runs until --count frames or SIGINT");
  sub->add_option("-i,--interval", options->interval, "Time between frames")
    ->check(duration_check())
    ->capture_default_str();
  sub
    ->add_option("-c,--count", options->count, "Stop after N frames (0: never)")
    ->check(CLI::NonNegativeNumber)
    ->capture_default_str();
  add_json_flag(*sub, options->json);
  sub->footer(
    "JSON fields, one line per frame: time (ms since the epoch), waiting, "
    "active, completed, failed, delayed, paused, completedPerSecond, "
    "failedPerSecond (from the completed/failed events since the previous "
    "frame; null on the first).\n"
    "Exit codes: 0 after --count frames, 130 on SIGINT, 143 on SIGTERM, "
    "69 Redis unreachable; 76 Redis refused a command.");
  return {sub, [&context, options] { return run_watch(context, *options); }};
}

} // namespace inspect
