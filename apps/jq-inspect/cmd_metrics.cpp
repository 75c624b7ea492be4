// jq-inspect metrics: the queue's state in Prometheus' text format, for
// node_exporter's textfile collector or any scraper that reads a file.

#include "commands.hpp"

#include <jq/core/clock.hpp>
#include <jq/core/exit_code.hpp>
#include <jq/metrics/exposition.hpp>
#include <jq/metrics/queue_metrics.hpp>

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>
#include <span>

namespace inspect {

namespace {

struct MetricsOptions
{
  std::string queue; // empty: jq-inspect's own -q/--queue
  bool all_queues = false;
};

int run_metrics(const Context& context, const MetricsOptions& options)
{
  jq::cli::CommonOptions common = context.common;
  if (!options.queue.empty()) {
    common.queue = options.queue;
  }
  const jq::queue::Keys keys = common.keys(); // checks prefix and queue
  auto connection = context.connect();
  jq::metrics::Exposition out;
  if (options.all_queues) {
    jq::metrics::write_queue_metrics(
      out,
      jq::metrics::read_all_queue_metrics(
        connection, keys.prefix(), jq::now_ms()));
  } else {
    const auto one =
      jq::metrics::read_queue_metrics(connection, keys, jq::now_ms());
    jq::metrics::write_queue_metrics(out, std::span(&one, 1));
  }
  std::cout << out.text() << std::flush;
  return jq::to_int(jq::ExitCode::success);
}

} // namespace

Command setup_metrics(CLI::App& app, const Context& context)
{
  auto options = std::make_shared<MetricsOptions>();
  auto* sub = app.add_subcommand(
    "metrics",
    "The queue's state in the Prometheus text format 0.0.4: jobs per "
    "state, paused, the oldest waiting job's age, workers connected");
  auto* queue = sub->add_option(
    "-q,--queue",
    options->queue,
    "The queue (as jq-inspect -q QUEUE metrics; default jq-inspect's)");
  sub
    ->add_flag("--all-queues",
               options->all_queues,
               "Every queue under --prefix, as `jq-inspect queues` finds them")
    ->excludes(queue);
  sub->footer(
    "Always the text format, whatever stdout is: for node_exporter's "
    "textfile collector (write a temporary file, then rename it, so a scrape "
    "never reads half a file), e.g. from cron every minute:\n"
    "  jq-inspect metrics --all-queues > /var/lib/prometheus/node-exporter/"
    "jq.prom.$$ && mv /var/lib/prometheus/node-exporter/jq.prom.$$ "
    "/var/lib/prometheus/node-exporter/jq.prom\n"
    "Families: jq_jobs{queue,state} (waiting, active, delayed, completed, "
    "failed, paused: completed and failed count the jobs Redis still keeps, "
    "not all that ever finished), jq_queue_paused{queue}, "
    "jq_queue_oldest_waiting_age_seconds{queue} (0 when none waits), "
    "jq_queue_workers{queue}. A running jq-worker serves its own counters "
    "with --metrics-listen.");
  return {sub, [&context, options] { return run_metrics(context, *options); }};
}

} // namespace inspect
