#include "database.hpp"

#include <jq/core/log.hpp>

namespace jq::sql::server {

namespace {

class ServerSession final : public Session
{
public:
  ServerSession(std::shared_ptr<ServerDatabase> database,
                std::unique_ptr<ServerLink> link)
    : m_database(std::move(database)),
      m_link(std::move(link))
  {
  }

  std::string run(const Request& request, const RunOptions& options) override;

private:
  std::shared_ptr<ServerDatabase> m_database;
  std::unique_ptr<ServerLink> m_link; // null until connected, or once lost
};

std::string ServerSession::run(const Request& request,
                               const RunOptions& options)
{
  const Limits& limits = m_database->limits();
  if (request.sql.size() > limits.max_value_bytes) {
    throw JobError("the job's SQL is too long");
  }
  const Params::Kind kind = !request.rows ? request.params.kind
                            : request.rows->empty()
                              ? Params::Kind::none
                              : request.rows->front().kind;
  // Checked before any connection: a bad job fails even with the server
  // down.
  const Dialect& dialect = m_database->dialect();
  const TranslatedSql translated = dialect.translate(request.sql, kind);
  dialect.check(request.sql, translated);
  const ServerJob job{m_database->name(),
                      request,
                      options,
                      limits,
                      dialect,
                      m_database->spec().read_only,
                      translated,
                      kind};
  // Given up by an earlier job (a server that did not answer its cancel).
  if (m_link && m_link->is_lost()) {
    m_link.reset();
  }
  for (int attempt = 1;; ++attempt) {
    if (!m_link) {
      m_link = m_database->open_link(options.should_interrupt);
    }
    bool is_sent = false;
    try {
      return run_job(*m_link, job, is_sent);
    } catch (const SqlError&) {
      if (!m_link->is_lost()) {
        throw;
      }
      m_link.reset();
      // A connection found lost before the job was sent (the server
      // restarted since the last job) is opened again, once.
      if (is_sent || attempt > 1) {
        throw;
      }
    }
  }
}

} // namespace

ServerDatabase::ServerDatabase(DatabaseSpec spec,
                               const EngineOptions& options,
                               const Dialect& dialect)
  : Database(spec.name),
    m_spec(std::move(spec)),
    m_limits(options.limits),
    m_dialect(dialect)
{
}

void ServerDatabase::open_first_link()
{
  try {
    m_unused = open_link(Interrupt());
  } catch (const SqlError& e) {
    JQ_LOG(warn,
           "{}; starting anyway: its jobs fail until it can be reached",
           e.what());
  }
}

std::unique_ptr<Session>
ServerDatabase::open_session(const std::function<bool()>& /*should_interrupt*/)
{
  std::unique_ptr<ServerLink> link;
  {
    const std::lock_guard lock(m_unused_mutex);
    link = std::move(m_unused);
  }
  return std::make_unique<ServerSession>(shared_from_this(), std::move(link));
}

} // namespace jq::sql::server
