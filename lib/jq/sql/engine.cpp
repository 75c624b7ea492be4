#include "engine.hpp"

#include <jq/core/error.hpp>
#include <jq/sql/engine_module.hpp>
#include <jq/sql/sqlite/engine.hpp>
#include <jq/sql/sqlite/sandbox.hpp>

#include <fmt/format.h>

namespace jq::sql {

void Session::run_batch(std::span<BatchRun* const> runs)
{
  for (BatchRun* batch_run : runs) {
    try {
      batch_run->result.succeed_now(
        run(*batch_run->request, *batch_run->options));
    } catch (...) {
      batch_run->result.fail_now();
    }
  }
}

bool Session::is_shared_write(const Request&, const RunOptions&)
{
  return false;
}

std::optional<std::string>
Session::run_unless_shared_write(const Request& request,
                                 const RunOptions& options)
{
  return run(request, options);
}

Databases open_databases(const std::vector<DatabaseSpec>& specs,
                         const EngineOptions& options)
{
  for (std::size_t i = 0; i < specs.size(); ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (specs[i].name == specs[j].name) {
        throw UsageError(
          fmt::format("database {} is given more than once", specs[i].name));
      }
    }
  }
  if (options.max_memory > 0) {
    sqlite::set_memory_limit(options.max_memory);
  }
  Databases databases;
  databases.reserve(specs.size());
  for (const auto& spec : specs) {
    switch (spec.engine) {
    case EngineKind::sqlite:
      databases.push_back(sqlite::open_database(spec, options));
      break;
    case EngineKind::postgresql:
    case EngineKind::mysql:
      // Server engines are modules of their own (engine_module.hpp).
      databases.push_back(
        load_engine_module(spec.engine, spec.name)(spec, options));
      break;
    }
  }
  return databases;
}

} // namespace jq::sql
