#pragma once

#include <jq/sql/engine.hpp>
#include <jq/sql/server/job.hpp>
#include <jq/sql/server/link.hpp>

#include <memory>
#include <mutex>

namespace jq::sql::server {

// A database on a server (PostgreSQL, MySQL): what its engine shares with
// the other. Each session has its own connection (a ServerLink), opened at
// its first job and opened again when it is found lost (the server
// restarted, the network broke): a job whose server cannot be reached
// fails with SqlError (SQLSTATE class 08), so its attempts and backoff
// apply, and the worker carries on. A connection found lost before the job
// was sent is opened again at once, for that job. Start-up does not wait
// for the server: one connection is tried and kept for the first session,
// and when the server cannot be reached a warning is logged and the worker
// starts anyway. An engine gives its dialect and says how to connect.
class ServerDatabase : public Database,
                       public std::enable_shared_from_this<ServerDatabase>
{
public:
  // Connects lazily, in the job's run: `should_interrupt` is not needed.
  std::unique_ptr<Session>
  open_session(const std::function<bool()>& should_interrupt) override;

  const DatabaseSpec& spec() const noexcept
  {
    return m_spec;
  }
  const Limits& limits() const noexcept
  {
    return m_limits;
  }
  const Dialect& dialect() const noexcept
  {
    return m_dialect;
  }

  // A new connection, with its ledger. Throws SqlError (SQLSTATE class 08)
  // when the server cannot be reached or refuses the login.
  virtual std::unique_ptr<ServerLink>
  open_link(const Interrupt& should_interrupt) const = 0;

protected:
  ServerDatabase(DatabaseSpec spec,
                 const EngineOptions& options,
                 const Dialect& dialect);

  // Try the first connection, kept for the first session. Called by the
  // engine's constructor once open_link() can be.
  void open_first_link();

private:
  DatabaseSpec m_spec;
  Limits m_limits;
  Dialect m_dialect;
  std::mutex m_unused_mutex;
  std::unique_ptr<ServerLink> m_unused;
};

} // namespace jq::sql::server
