// jq-inspect retry: failed jobs back in line, as Bull's job.retry().

#include "commands.hpp"
#include "results.hpp"

#include <jq/core/error.hpp>
#include <jq/queue/admin.hpp>

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

namespace inspect {

namespace {

struct RetryOptions
{
  std::vector<std::string> ids;
  bool all_failed = false;
  bool dry_run = false;
  bool json = false;
};

int run_retry(const Context& context, const RetryOptions& options)
{
  if (options.ids.empty() && !options.all_failed) {
    throw jq::UsageError("retry needs job ids or --all-failed");
  }
  ResultSink sink(make_style(options.json), options.dry_run);
  auto connection = context.connect();
  jq::queue::Admin admin(connection, context.common.keys(), options.dry_run);
  if (options.all_failed) {
    admin.retry_all_failed(
      [&](const jq::queue::JobResult& result) { sink.add(result); });
  }
  for (const auto& id : options.ids) {
    sink.add(admin.retry(id));
  }
  return sink.finish();
}

} // namespace

Command setup_retry(CLI::App& app, const Context& context)
{
  auto options = std::make_shared<RetryOptions>();
  auto* sub = app.add_subcommand(
    "retry",
    "Put failed jobs back in line (Bull's job.retry(): refused while locked; "
    "finishedOn, processedOn, failedReason cleared, retriedOn set, attempts "
    "kept)");
  auto* ids = sub->add_option("ids", options->ids, "Failed job ids");
  sub
    ->add_flag("--all-failed",
               options->all_failed,
               "Every job failed by now, oldest first, in atomic batches")
    ->excludes(ids);
  add_dry_run_flag(*sub, options->dry_run);
  add_json_flag(*sub, options->json);
  sub->footer(std::string("JSON fields, one line per job: id, action, result "
                          "(retried, would_retry, locked, not_failed, "
                          "missing), dryRun.\n")
              + std::string(k_action_exit_codes));
  return {sub, [&context, options] { return run_retry(context, *options); }};
}

} // namespace inspect
