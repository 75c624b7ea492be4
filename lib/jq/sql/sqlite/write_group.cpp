#include "write_group.hpp"

#include <sqlite3.h>

#include <algorithm>
#include <chrono>

namespace jq::sql::sqlite {

namespace {

template<typename T> bool contains(const std::vector<T>& items, const T& item)
{
  return std::find(items.begin(), items.end(), item) != items.end();
}

// Whether `error` is the job's own interrupt (its time ran out), which
// does not depend on what other jobs wrote.
bool is_interrupt(const std::exception_ptr& error)
{
  try {
    std::rethrow_exception(error);
  } catch (const SqlError& e) {
    return e.code() == SQLITE_INTERRUPT;
  } catch (...) {
    return false;
  }
}

} // namespace

SqlError interrupted_while_waiting()
{
  return SqlError("interrupted while waiting for another job's write",
                  SQLITE_INTERRUPT,
                  SQLITE_INTERRUPT);
}

void SharedWriter::Group::run() noexcept
{
  Link& link = *m_writer.m_link;
  // The ledger's table and pruning commit on their own, before the
  // transaction (see Ledger::prepare), for the jobs that keep a record.
  for (Ticket* ticket : m_tickets) {
    if (!ticket->options.idempotency_key.empty()) {
      m_ran.push_back(ticket);
    }
  }
  if (!m_ran.empty()) {
    run_for_all([&link] { link.ledger.prepare(); });
  }
  m_ran.clear();
  for (Ticket* ticket : m_tickets) {
    if (contains(m_answered, ticket) || contains(m_again, ticket)) {
      continue;
    }
    // Its time ran out while it waited: it stops here, costing no one
    // else the work of the group (an interrupted write rolls it all back).
    if (ticket->is_interrupted()) {
      answer(*ticket, std::make_exception_ptr(interrupted_while_waiting()));
    } else {
      m_ran.push_back(ticket);
    }
  }
  if (m_ran.empty() || !run_for_all([this] { m_connection.begin(true); })) {
    return;
  }

  // Savepoints only after a recent failure: without them a failure rolls
  // back the group, and the others run again; with them, SQLite keeps a
  // journal of each job's pages (64 KiB of memory, two more statements).
  // One job alone never needs one.
  const bool in_savepoints =
    m_ran.size() > 1 && m_writer.m_groups_with_savepoints > 0;
  if (in_savepoints) {
    --m_writer.m_groups_with_savepoints;
  }
  const auto began = std::chrono::steady_clock::now();
  std::vector<Ticket*> to_run;
  to_run.swap(m_ran);
  // Jobs that failed after others had written in the transaction: their
  // failure stands only if those writes commit.
  std::vector<Ticket*> failed;
  // A failure that may have come from what others wrote before it runs
  // again, first in the next group, where what it sees is committed.
  const auto run_again_first = [&](Ticket& ticket) {
    ticket.run_first = true;
    m_again.push_back(&ticket);
  };
  // Undo the transaction: what ran in it, what failed in it and what was
  // still to run in it run again, in the next group.
  const auto lose = [&](std::size_t rest_from) {
    m_connection.rollback();
    for (Ticket* ticket : failed) {
      run_again_first(*ticket);
    }
    m_again.insert(m_again.end(), m_ran.begin(), m_ran.end());
    m_again.insert(m_again.end(), to_run.begin() + rest_from, to_run.end());
    m_ran.clear();
  };
  for (std::size_t i = 0; i < to_run.size(); ++i) {
    Ticket& ticket = *to_run[i];
    // Nothing is written yet that a rollback could take back.
    const bool is_first = m_ran.empty();
    if (!is_first
        && (ticket.run_first
            || std::chrono::steady_clock::now() - began >= k_max_group_time)) {
      // The rest runs in the next group: it must run first, or the jobs
      // that ran have waited long enough for their commit.
      m_again.insert(m_again.end(), to_run.begin() + i, to_run.end());
      break;
    }
    if (ticket.is_interrupted()) {
      answer(ticket, std::make_exception_ptr(interrupted_while_waiting()));
      continue;
    }
    ticket.run_first = false;
    std::exception_ptr error;
    Outcome outcome = Outcome::failed;
    try {
      outcome = run_one(ticket, in_savepoints, error);
    } catch (...) {
      // The writer's own statement failed (out of memory, an I/O error):
      // the transaction is in no state to commit, as if SQLite had undone
      // it. The job keeps its own error, if it had one.
      if (!error) {
        error = std::current_exception();
      }
      outcome = Outcome::transaction_lost;
    }
    if (outcome == Outcome::ran) {
      m_ran.push_back(&ticket);
      continue;
    }
    m_writer.m_groups_with_savepoints = k_savepoint_groups;
    // Final now when it saw committed data only, or ran out of time.
    const bool is_final = is_first || is_interrupt(error);
    if (outcome == Outcome::failed) {
      if (is_final) {
        answer(ticket, error);
      } else {
        ticket.run.result.error = error;
        failed.push_back(&ticket);
      }
      continue;
    }
    // The whole transaction is undone.
    if (is_final) {
      answer(ticket, error);
    } else {
      run_again_first(ticket);
    }
    lose(i + 1);
    return;
  }
  if (m_ran.empty()) {
    m_connection.rollback();
    return;
  }
  if (!run_for_all([this] { m_connection.commit(); })) {
    // run_for_all() dealt with what ran; the failures saw writes that are
    // gone, and run again.
    lose(to_run.size());
    return;
  }
  m_answered.insert(m_answered.end(), m_ran.begin(), m_ran.end());
  for (Ticket* ticket : failed) {
    answer(*ticket, ticket->run.result.error);
  }
}

SharedWriter::Group::Outcome SharedWriter::Group::run_one(
  Ticket& ticket, bool in_savepoint, std::exception_ptr& error)
{
  Link& link = *m_writer.m_link;
  if (in_savepoint) {
    m_connection.run_own(m_writer.m_savepoint.get());
  }
  // Declared first so a statement the cache did not keep is finalized
  // after the rollback below.
  StatementPtr spare;
  {
    const InterruptScope interrupt(m_connection,
                                   ticket.options.should_interrupt);
    try {
      sqlite3_stmt* statement = nullptr;
      try {
        statement = job_statement(m_connection, ticket.request, spare);
      } catch (const JobError&) {
        auto recorded = recorded_reply(link, ticket.options);
        if (!recorded) {
          throw;
        }
        ticket.run.result.reply = std::move(*recorded);
      }
      if (statement != nullptr) {
        const bool use_ledger = !ticket.options.idempotency_key.empty()
                                && sqlite3_stmt_readonly(statement) == 0;
        ticket.run.result.reply = run_in_transaction(link,
                                                     statement,
                                                     ticket.request,
                                                     ticket.options,
                                                     m_writer.m_limits,
                                                     use_ledger);
      }
    } catch (...) {
      error = std::current_exception();
    }
  }
  if (!error) {
    if (in_savepoint) {
      m_connection.run_own(m_writer.m_release.get());
    }
    return Outcome::ran;
  }
  if (!in_savepoint || sqlite3_get_autocommit(m_connection.handle()) != 0) {
    m_connection.rollback();
    return Outcome::transaction_lost;
  }
  m_connection.run_own(m_writer.m_rollback_to.get());
  m_connection.run_own(m_writer.m_release.get());
  return Outcome::failed;
}

bool SharedWriter::Group::run_for_all(
  const std::function<void()>& step) noexcept
{
  const std::function<bool()> any_interrupted = [this] {
    for (const Ticket* ticket : m_ran) {
      if (ticket->is_interrupted()) {
        return true;
      }
    }
    return false;
  };
  std::exception_ptr error;
  bool was_interrupted = false;
  try {
    const InterruptScope interrupt(
      m_connection, any_interrupted, InterruptReach::waits_only);
    step();
    return true;
  } catch (const SqlError& e) {
    error = std::current_exception();
    was_interrupted = e.code() == SQLITE_INTERRUPT;
  } catch (...) {
    error = std::current_exception();
  }
  std::vector<Ticket*> others;
  for (Ticket* ticket : m_ran) {
    if (was_interrupted && !ticket->is_interrupted()) {
      others.push_back(ticket);
    } else {
      answer(*ticket, error);
    }
  }
  // Someone was interrupted, or the error is everyone's.
  if (others.size() == m_ran.size()) {
    for (Ticket* ticket : others) {
      answer(*ticket, error);
    }
    others.clear();
  }
  m_again.insert(m_again.end(), others.begin(), others.end());
  m_ran.clear();
  return false;
}

} // namespace jq::sql::sqlite
