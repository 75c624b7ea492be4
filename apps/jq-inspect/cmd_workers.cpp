// jq-inspect workers: the connections Bull's getWorkers() would list.

#include "commands.hpp"
#include "output.hpp"

#include <jq/core/exit_code.hpp>
#include <jq/queue/monitor.hpp>

#include <CLI/CLI.hpp>

#include <iostream>
#include <memory>

namespace inspect {

Command setup_workers(CLI::App& app, const Context& context)
{
  auto json = std::make_shared<bool>(false);
  auto* sub = app.add_subcommand(
    "workers",
    "Worker connections of the queue: CLIENT LIST entries named "
    "prefix:base64(queue), as Bull's getWorkers() finds them");
  add_json_flag(*sub, *json);
  sub->footer("JSON fields: id (client id), addr, name, age (s), idle (s), "
              "db, cmd (its last command).");
  return {sub, [&context, json] {
            const Style style = make_style(*json);
            auto connection = context.connect();
            const auto workers =
              jq::queue::find_workers(connection, context.common.keys());
            if (style.is_json) {
              for (const auto& worker : workers) {
                print_json_line(std::cout, worker.to_json());
              }
              return jq::to_int(jq::ExitCode::success);
            }
            Table table({"ID", "ADDR", "AGE", "IDLE", "CMD"});
            table.align_right(0);
            table.align_right(2);
            table.align_right(3);
            for (const auto& worker : workers) {
              table.add_row({{std::to_string(worker.client_id)},
                             {worker.addr},
                             {format_span(worker.age_seconds * 1000)},
                             {format_span(worker.idle_seconds * 1000)},
                             {worker.command, Colour::dim}});
            }
            if (workers.empty()) {
              std::cerr << "jq-inspect: no worker connected to queue "
                        << context.common.queue << '\n';
            }
            table.print(std::cout, style);
            return jq::to_int(jq::ExitCode::success);
          }};
}

} // namespace inspect
