// jq-inspect counts: jobs per state, as Bull's getJobCounts() gives them.

#include "commands.hpp"
#include "output.hpp"

#include <jq/core/exit_code.hpp>
#include <jq/core/json.hpp>
#include <jq/queue/inspector.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <iostream>
#include <memory>

namespace inspect {

Command setup_counts(CLI::App& app, const Context& context)
{
  auto json = std::make_shared<bool>(false);
  auto* sub = app.add_subcommand(
    "counts", "Jobs per state, as Bull's getJobCounts() gives them");
  sub->add_flag("--json", *json, "One JSON object (default when piped)");
  sub->footer("JSON: one object {waiting, active, completed, failed, "
              "delayed, paused}, Bull's names and order.");
  return {
    sub, [&context, json] {
      auto connection = context.connect();
      const auto counts =
        jq::queue::count_jobs(connection, context.common.keys()).to_json();
      if (make_style(*json).is_json) {
        std::cout << jq::dump_json(counts) << '\n';
      } else {
        for (const auto& [state, count] : counts.items()) {
          std::cout << fmt::format(
            "{:<10} {:>10}\n", state, count.get<long long>());
        }
      }
      return jq::to_int(jq::ExitCode::success);
    }};
}

} // namespace inspect
