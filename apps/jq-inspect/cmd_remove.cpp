// jq-inspect remove: jobs gone from every list and set, as Bull's
// job.remove().

#include "commands.hpp"
#include "results.hpp"

#include <jq/queue/admin.hpp>

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

namespace inspect {

namespace {

struct RemoveOptions
{
  std::vector<std::string> ids;
  bool dry_run = false;
  bool json = false;
};

int run_remove(const Context& context, const RemoveOptions& options)
{
  ResultSink sink(make_style(options.json), options.dry_run);
  auto connection = context.connect();
  jq::queue::Admin admin(connection, context.common.keys(), options.dry_run);
  for (const auto& id : options.ids) {
    sink.add(admin.remove(id));
  }
  return sink.finish();
}

} // namespace

Command setup_remove(CLI::App& app, const Context& context)
{
  auto options = std::make_shared<RemoveOptions>();
  auto* sub = app.add_subcommand(
    "remove",
    "Remove jobs from every list and set with their hash and logs (Bull's "
    "job.remove(): refused while a worker holds the lock)");
  sub->add_option("ids", options->ids, "Job ids")->required();
  add_dry_run_flag(*sub, options->dry_run);
  add_json_flag(*sub, options->json);
  sub->footer(std::string("JSON fields, one line per job: id, action, result "
                          "(removed, would_remove, locked, missing), "
                          "dryRun.\n")
              + std::string(k_action_exit_codes));
  return {sub, [&context, options] { return run_remove(context, *options); }};
}

} // namespace inspect
