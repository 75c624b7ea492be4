#pragma once

#include <jq/sql/engine.hpp>

#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace jq::sql {

// Runs requests on the databases of one worker from one thread: finds the
// request's database by name and runs it on this thread's session there
// (opened at its first use). Not thread-safe: one per thread.
class Executor
{
public:
  explicit Executor(const Databases& databases);
  // Opens `specs` for this executor alone (tests, one-off use).
  explicit Executor(const std::vector<DatabaseSpec>& specs, Limits limits = {});

  // Run `request`; the reply as JSON text. Throws JobError for an unknown
  // database, and what the session throws (see Session::run).
  std::string run(const Request& request, const RunOptions& options = {});

  // Run each of `runs` as run() would (Session::run_batch), the runs on one
  // database together.
  void run_batch(std::span<BatchRun* const> runs);

  // Session::is_shared_write on `request`'s database (false for one it
  // does not have).
  bool is_shared_write(const Request& request, const RunOptions& options);

  // Session::run_unless_shared_write on `request`'s database; throws as
  // run() does.
  std::optional<std::string> run_unless_shared_write(const Request& request,
                                                     const RunOptions& options);

private:
  // The session of database `name`, opened on first use. Throws JobError
  // when there is no such database, and what opening it throws.
  Session& session_for(std::string_view name,
                       const std::function<bool()>& should_interrupt);

  struct Entry
  {
    std::shared_ptr<Database> database;
    std::unique_ptr<Session> session;
  };
  std::map<std::string, Entry, std::less<>> m_entries;
};

} // namespace jq::sql
