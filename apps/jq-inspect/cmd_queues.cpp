// jq-inspect queues: every queue under the prefix, with its counts.

#include "commands.hpp"
#include "output.hpp"

#include <jq/core/exit_code.hpp>
#include <jq/queue/queue_discovery.hpp>

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

namespace inspect {

Command setup_queues(CLI::App& app, const Context& context)
{
  auto json = std::make_shared<bool>(false);
  auto* sub = app.add_subcommand(
    "queues",
    "Every queue under --prefix (found with SCAN, never KEYS), with counts");
  add_json_flag(*sub, *json);
  sub->footer("JSON fields: queue, waiting, active, completed, failed, "
              "delayed, paused, isPaused.");
  return {sub, [&context, json] {
            const Style style = make_style(*json);
            auto connection = context.connect();
            const auto queues = jq::queue::find_queues(
              connection, context.common.keys().prefix());
            if (style.is_json) {
              for (const auto& queue : queues) {
                print_json_line(std::cout, queue.to_json());
              }
              return jq::to_int(jq::ExitCode::success);
            }
            Table table({"QUEUE",
                         "WAITING",
                         "ACTIVE",
                         "COMPLETED",
                         "FAILED",
                         "DELAYED",
                         "PAUSED",
                         "STATE"});
            for (std::size_t c = 1; c <= 6; ++c) {
              table.align_right(c);
            }
            for (const auto& queue : queues) {
              const auto& n = queue.counts;
              table.add_row({{queue.name},
                             {std::to_string(n.waiting)},
                             {std::to_string(n.active), Colour::cyan},
                             {std::to_string(n.completed), Colour::green},
                             {std::to_string(n.failed),
                              n.failed > 0 ? Colour::red : Colour::none},
                             {std::to_string(n.delayed), Colour::yellow},
                             {std::to_string(n.paused), Colour::magenta},
                             queue.is_paused ? Cell{"paused", Colour::magenta}
                                             : Cell{"running", Colour::green}});
            }
            table.print(std::cout, style);
            return jq::to_int(jq::ExitCode::success);
          }};
}

} // namespace inspect
