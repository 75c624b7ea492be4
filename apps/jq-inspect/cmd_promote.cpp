// jq-inspect promote: delayed jobs into line now, as Bull's job.promote().

#include "commands.hpp"
#include "results.hpp"

#include <jq/queue/admin.hpp>

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <vector>

namespace inspect {

namespace {

struct PromoteOptions
{
  std::vector<std::string> ids;
  bool dry_run = false;
  bool json = false;
};

int run_promote(const Context& context, const PromoteOptions& options)
{
  ResultSink sink(make_style(options.json), options.dry_run);
  auto connection = context.connect();
  jq::queue::Admin admin(connection, context.common.keys(), options.dry_run);
  for (const auto& id : options.ids) {
    sink.add(admin.promote(id));
  }
  return sink.finish();
}

} // namespace

Command setup_promote(CLI::App& app, const Context& context)
{
  auto options = std::make_shared<PromoteOptions>();
  auto* sub = app.add_subcommand(
    "promote",
    "Move delayed jobs into line now (Bull's job.promote(): to the back of "
    "the line, or by priority; refused, -1 in Bull, if not delayed)");
  sub->add_option("ids", options->ids, "Delayed job ids")->required();
  add_dry_run_flag(*sub, options->dry_run);
  add_json_flag(*sub, options->json);
  sub->footer(std::string("JSON fields, one line per job: id, action, result "
                          "(promoted, would_promote, not_delayed, missing), "
                          "dryRun.\n")
              + std::string(k_action_exit_codes));
  return {sub, [&context, options] { return run_promote(context, *options); }};
}

} // namespace inspect
