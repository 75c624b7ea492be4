#include "executor.hpp"

#include <jq/core/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <functional>

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

namespace {

JobError unknown_database(std::string_view name)
{
  return JobError(fmt::format("unknown database '{}'", name));
}

} // namespace

Session& Executor::session_for(std::string_view name,
                               const std::function<bool()>& should_interrupt)
{
  const auto found = m_entries.find(name);
  if (found == m_entries.end()) {
    throw unknown_database(name);
  }
  Entry& entry = found->second;
  if (!entry.session) {
    entry.session = entry.database->open_session(should_interrupt);
  }
  return *entry.session;
}

std::string Executor::run(const Request& request, const RunOptions& options)
{
  return session_for(request.db, options.should_interrupt)
    .run(request, options);
}

std::optional<std::string>
Executor::run_unless_shared_write(const Request& request,
                                  const RunOptions& options)
{
  return session_for(request.db, options.should_interrupt)
    .run_unless_shared_write(request, options);
}

bool Executor::is_shared_write(const Request& request,
                               const RunOptions& options)
{
  try {
    return session_for(request.db, options.should_interrupt)
      .is_shared_write(request, options);
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
    // Opening waits for another process's lock only while one of the
    // jobs that need it still wants to run.
    const std::function<bool()> all_interrupted = [&same] {
      return std::all_of(same.begin(), same.end(), [](BatchRun* batch_run) {
        const auto& should_interrupt = batch_run->options->should_interrupt;
        return should_interrupt && should_interrupt();
      });
    };
    Session* session = nullptr;
    try {
      session = &session_for(db, all_interrupted);
    } catch (...) {
      // A session that cannot open fails its jobs, as run() would.
      for (BatchRun* batch_run : same) {
        batch_run->result.fail_now();
      }
      continue;
    }
    session->run_batch(same);
  }
}

} // namespace jq::sql
