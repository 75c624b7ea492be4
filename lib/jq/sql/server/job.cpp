#include "job.hpp"

#include <jq/core/log.hpp>
#include <jq/sql/reply_text.hpp>

#include <fmt/format.h>

#include <optional>

namespace jq::sql::server {

namespace {

// One transaction on a link; rolled back unless committed.
class Transaction
{
public:
  Transaction(ServerLink& link,
              bool read_only,
              const Interrupt& should_interrupt)
    : m_link(link)
  {
    try {
      m_link.begin(read_only, should_interrupt);
    } catch (...) {
      // BEGIN may have reached the server before it was interrupted.
      if (!m_link.is_lost()) {
        m_link.rollback();
      }
      throw;
    }
  }
  ~Transaction()
  {
    if (!m_is_done) {
      m_link.rollback();
      // A ROLLBACK that failed leaves the link lost: closed now, so the
      // server ends the transaction and frees its locks at once, not at
      // this slot's next job.
      if (m_link.is_lost()) {
        m_link.close();
      }
    }
  }
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;

  void commit(const Interrupt& should_interrupt)
  {
    m_link.commit(should_interrupt);
    m_is_done = true;
  }

private:
  ServerLink& m_link;
  bool m_is_done = false;
};

// Resets the link's session when it goes, if the job's statement was sent:
// declared before the job's statements and transaction, so after them. A
// connection whose session cannot be reset, within k_abandon_timeout, is
// closed.
class SessionReset
{
public:
  SessionReset(ServerLink& link, const ServerJob& job, const bool& is_sent)
    : m_link(link),
      m_job(job),
      m_is_sent(is_sent)
  {
  }
  ~SessionReset()
  {
    if (!m_is_sent || m_link.is_lost()) {
      return;
    }
    const auto failure = failure_within_abandon_timeout(
      [&](const Interrupt& give_up) { m_link.reset_session(give_up); });
    if (failure) {
      JQ_LOG(warn,
             "database {}: cannot reset the session after a job ({}); its "
             "connection is closed",
             m_job.database,
             *failure);
      m_link.close();
    }
  }
  SessionReset(const SessionReset&) = delete;
  SessionReset& operator=(const SessionReset&) = delete;

private:
  ServerLink& m_link;
  const ServerJob& m_job;
  const bool& m_is_sent;
};

// Run the job's statement: once, or once per row of its batch (a row whose
// parameters are of another kind than the first's translated for them).
void run_statement(ServerLink& link,
                   ServerStatement& statement,
                   const ServerJob& job,
                   StatementReply& reply)
{
  const auto& should_interrupt = job.options.should_interrupt;
  if (!job.request.rows) {
    statement.run(job.request.params, reply, should_interrupt);
    return;
  }
  const auto& batch = *job.request.rows;
  for (std::size_t i = 0; i < batch.size(); ++i) {
    try {
      if (batch[i].kind == job.kind) {
        statement.run(batch[i], reply, should_interrupt);
      } else {
        const TranslatedSql other =
          job.dialect.translate(job.request.sql, batch[i].kind);
        link.statement(other, job.limits, should_interrupt)
          ->run(batch[i], reply, should_interrupt);
      }
    } catch (const SqlError& e) {
      throw SqlError(fmt::format("row {}: {}", i + 1, e.what()), e.sqlstate());
    } catch (const JobError& e) {
      throw JobError(fmt::format("row {}: {}", i + 1, e.what()));
    }
  }
}

// The reply's JSON: the same shape and key order as SQLite's.
std::string reply_json(const StatementReply& reply)
{
  return reply_text(reply.changes,
                    reply.columns,
                    reply.last_insert_rowid,
                    reply.rows,
                    reply.budget.non_finite(),
                    "NaN, Infinity or -Infinity");
}

// The reply another delivery of this job committed, looked up in a
// transaction of its own (so it sees that commit); std::nullopt when there
// is none, when the job is being interrupted, or when the lookup fails.
std::optional<std::string> twin_reply(ServerLink& link,
                                      const std::string& key,
                                      const Interrupt& should_interrupt)
{
  if (should_interrupt && should_interrupt()) {
    return std::nullopt;
  }
  try {
    const Transaction lookup(link, true, should_interrupt);
    return link.ledger().lookup(key, should_interrupt);
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

} // namespace

std::string run_job(ServerLink& link, const ServerJob& job, bool& is_sent)
{
  const auto& should_interrupt = job.options.should_interrupt;
  const std::string& key = job.options.idempotency_key;
  const bool use_ledger = !job.read_only && !key.empty();

  if (use_ledger) {
    link.ledger().prepare(should_interrupt);
  }
  const SessionReset reset(link, job, is_sent);
  const std::unique_ptr<ServerStatement> statement =
    link.statement(job.translated, job.limits, should_interrupt);
  std::optional<Transaction> transaction;
  transaction.emplace(link, job.read_only, should_interrupt);
  if (use_ledger) {
    if (auto recorded = link.ledger().lookup(key, should_interrupt)) {
      return std::move(*recorded);
    }
  }
  is_sent = true;

  StatementReply reply(job.limits);
  if (job.dialect.has_insert_id) {
    reply.last_insert_rowid = 0;
  }
  try {
    run_statement(link, *statement, job, reply);
  } catch (const SqlError&) {
    // A twin delivery, under way at the same time, may have committed the
    // same write first (this one then waited for its row lock and failed
    // on the job's own unique key, before reaching the ledger's): its reply
    // stands.
    if (!use_ledger || link.is_lost()) {
      throw;
    }
    transaction.reset();
    if (auto recorded = twin_reply(link, key, should_interrupt)) {
      return std::move(*recorded);
    }
    throw;
  }
  if (!link.in_transaction()) {
    throw SqlError("the job's statement ended its transaction", "25000");
  }
  const std::uint64_t changes = reply.changes;
  std::string text = reply_json(reply);
  // The rows, larger than their text, are not kept through the ledger's
  // record and the commit.
  reply.rows = nullptr;
  reply.columns = nullptr;
  if (use_ledger
      && (job.dialect.records_reply == nullptr
          || job.dialect.records_reply(job.translated, changes))) {
    try {
      link.ledger().record(key, text, should_interrupt);
    } catch (const SqlError& e) {
      if (!link.ledger().is_duplicate_key(e)) {
        throw;
      }
      // Another delivery of this job committed first: its reply stands.
      transaction.reset();
      if (auto recorded = twin_reply(link, key, should_interrupt)) {
        return std::move(*recorded);
      }
      throw;
    }
  }
  // Past its time limit before COMMIT: nothing lands, the job fails. Once
  // COMMIT is sent, its outcome is the job's: a cancel that arrived as it
  // committed would report a write that landed as failed, so only the
  // abandon timeout bounds it.
  if (should_interrupt && should_interrupt()) {
    throw SqlError("interrupted before its COMMIT", "57014");
  }
  transaction->commit(deadline_in(k_abandon_timeout));
  return text;
}

} // namespace jq::sql::server
