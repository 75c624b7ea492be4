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

Executor::Entry* Executor::find(std::string_view name)
{
  const auto found = m_entries.find(name);
  if (found == m_entries.end()) {
    return nullptr;
  }
  Entry& entry = found->second;
  if (!entry.session) {
    entry.session = entry.database->open_session();
  }
  return &entry;
}

namespace {

JobError unknown_database(std::string_view name)
{
  return JobError(fmt::format("unknown database '{}'", name));
}

} // namespace

std::string Executor::run(const Request& request, const RunOptions& options)
{
  Entry* entry = find(request.db);
  if (entry == nullptr) {
    throw unknown_database(request.db);
  }
  return entry->session->run(request, options);
}

std::optional<std::string>
Executor::run_unless_shared_write(const Request& request,
                                  const RunOptions& options)
{
  Entry* entry = find(request.db);
  if (entry == nullptr) {
    throw unknown_database(request.db);
  }
  return entry->session->run_unless_shared_write(request, options);
}

bool Executor::is_shared_write(const Request& request,
                               const RunOptions& options)
{
  try {
    Entry* entry = find(request.db);
    return entry != nullptr
           && entry->session->is_shared_write(request, options);
  } catch (const std::exception&) {
    return false; // run() reports it
  }
}

void Executor::run_batch(std::span<BatchRun* const> runs)
{
  std::vector<BatchRun*> left(runs.begin(), runs.end());
  std::vector<BatchRun*> same;
  while (!left.empty()) {
    const std::string& db = left.front()->request->db;
    same.clear();
    std::erase_if(left, [&db, &same](BatchRun* batch_run) {
      if (batch_run->request->db != db) {
        return false;
      }
      same.push_back(batch_run);
      return true;
    });
    Entry* entry = nullptr;
    try {
      entry = find(db);
      if (entry == nullptr) {
        throw unknown_database(db);
      }
    } catch (...) {
      // A session that cannot open fails its jobs, as run() would.
      for (BatchRun* batch_run : same) {
        batch_run->result.fail_now();
      }
      continue;
    }
    entry->session->run_batch(same);
  }
}

} // namespace jq::sql
