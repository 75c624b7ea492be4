#include "executor.hpp"

#include <jq/core/error.hpp>

#include <fmt/format.h>

namespace jq::sql {

Executor::Executor(const Databases& databases)
{
  for (const auto& database : databases) {
    m_entries.emplace(database->name(), Entry{database, nullptr});
  }
}

Executor::Executor(const std::vector<DatabaseSpec>& specs, Limits limits)
  : Executor(open_databases(specs, EngineOptions{limits, 1, false, 0}))
{
}

std::string Executor::run(const Request& request, const RunOptions& options)
{
  const auto found = m_entries.find(request.db);
  if (found == m_entries.end()) {
    throw JobError(fmt::format("unknown database '{}'", request.db));
  }
  Entry& entry = found->second;
  if (!entry.session) {
    entry.session = entry.database->open_session();
  }
  return entry.session->run(request, options);
}

} // namespace jq::sql
