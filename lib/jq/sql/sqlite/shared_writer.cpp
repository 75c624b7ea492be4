#include "shared_writer.hpp"

#include <jq/core/error.hpp>

#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <optional>

namespace jq::sql::sqlite {

namespace {

template<typename T> bool contains(const std::vector<T>& items, const T& item)
{
  return std::find(items.begin(), items.end(), item) != items.end();
}

SqlError interrupted_while_waiting()
{
  return SqlError("interrupted while waiting for another job's write",
                  SQLITE_INTERRUPT,
                  SQLITE_INTERRUPT);
}

} // namespace

struct SharedWriter::Ticket
{
  Ticket(const Request& request_, const RunOptions& options_)
    : request(request_),
      options(options_)
  {
  }

  bool is_interrupted() const
  {
    return options.should_interrupt && options.should_interrupt();
  }

  const Request& request;
  const RunOptions& options;
  // Under the writer's mutex: queued, taken into a group by the leader,
  // or answered (`reply` or `error` set, and read only then).
  enum class State { queued, taken, answered } state = State::queued;
  std::string reply;
  std::exception_ptr error;
  // Notified when the ticket is answered, or its thread is to lead.
  std::condition_variable wake;
};

// One transaction of the leader's: after run(), each ticket is in
// answered() (its reply or error set) or in again() (its write was lost
// with the transaction, through no fault of its own).
class SharedWriter::Group
{
public:
  Group(SharedWriter& writer, std::vector<Ticket*> tickets)
    : m_writer(writer),
      m_connection(writer.m_link->connection),
      m_tickets(std::move(tickets))
  {
  }

  void run() noexcept;

  const std::vector<Ticket*>& answered() const noexcept
  {
    return m_answered;
  }
  const std::vector<Ticket*>& again() const noexcept
  {
    return m_again;
  }

private:
  enum class Outcome { ran, failed, transaction_lost };

  Outcome run_one(Ticket& ticket, bool in_savepoint);
  // Run `step` (the ledger's preparation, BEGIN or COMMIT) for the tickets
  // in `m_ran`; its wait for another connection's lock gives up when any of
  // them is interrupted (the step itself runs to its end). On failure,
  // answers the interrupted ones (or all, for any other error) with its
  // error, leaves the others to run again, and empties `m_ran`.
  bool run_for_all(const std::function<void()>& step) noexcept;
  void answer(Ticket& ticket, std::exception_ptr error)
  {
    ticket.error = std::move(error);
    ticket.reply.clear();
    m_answered.push_back(&ticket);
  }

  SharedWriter& m_writer;
  Connection& m_connection;
  std::vector<Ticket*> m_tickets;
  std::vector<Ticket*> m_ran;
  std::vector<Ticket*> m_answered;
  std::vector<Ticket*> m_again;
};

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
  for (std::size_t i = 0; i < to_run.size(); ++i) {
    if (i > 0 && std::chrono::steady_clock::now() - began >= k_max_group_time) {
      // The replies of the jobs that ran wait for the commit; the rest run
      // in the next group.
      m_again.insert(m_again.end(), to_run.begin() + i, to_run.end());
      break;
    }
    if (to_run[i]->is_interrupted()) {
      answer(*to_run[i], std::make_exception_ptr(interrupted_while_waiting()));
      continue;
    }
    Outcome outcome = Outcome::failed;
    try {
      outcome = run_one(*to_run[i], in_savepoints);
    } catch (...) {
      // The writer's own SAVEPOINT, RELEASE or ROLLBACK TO failed: the
      // transaction is in no state to commit.
      m_connection.rollback();
      const auto error = std::current_exception();
      for (std::size_t j = i; j < to_run.size(); ++j) {
        answer(*to_run[j], error);
      }
      for (Ticket* ran : m_ran) {
        answer(*ran, error);
      }
      m_ran.clear();
      return;
    }
    if (outcome == Outcome::ran) {
      m_ran.push_back(to_run[i]);
      continue;
    }
    m_writer.m_groups_with_savepoints = k_savepoint_groups;
    if (outcome == Outcome::transaction_lost) {
      // SQLite rolled the whole transaction back: what ran before is gone,
      // and what was to come runs in the next group, as does the former.
      m_again.insert(m_again.end(), m_ran.begin(), m_ran.end());
      m_again.insert(m_again.end(), to_run.begin() + i + 1, to_run.end());
      for (Ticket* lost : m_again) {
        lost->reply.clear();
      }
      m_ran.clear();
      return;
    }
  }
  if (m_ran.empty()) {
    m_connection.rollback();
    return;
  }
  if (!run_for_all([this] { m_connection.commit(); })) {
    m_connection.rollback();
    return;
  }
  m_answered.insert(m_answered.end(), m_ran.begin(), m_ran.end());
}

SharedWriter::Group::Outcome SharedWriter::Group::run_one(Ticket& ticket,
                                                          bool in_savepoint)
{
  Link& link = *m_writer.m_link;
  if (in_savepoint) {
    m_connection.run_own(m_writer.m_savepoint.get());
  }
  // Declared first so a statement the cache did not keep is finalized
  // after the rollback below.
  StatementPtr spare;
  std::exception_ptr error;
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
        ticket.reply = std::move(*recorded);
      }
      if (statement != nullptr) {
        const bool use_ledger = !ticket.options.idempotency_key.empty()
                                && sqlite3_stmt_readonly(statement) == 0;
        ticket.reply = run_in_transaction(link,
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
    answer(ticket, error);
    return Outcome::transaction_lost;
  }
  m_connection.run_own(m_writer.m_rollback_to.get());
  m_connection.run_own(m_writer.m_release.get());
  answer(ticket, error);
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

SharedWriter::SharedWriter(std::unique_ptr<Link> link, const Limits& limits)
  : m_link(std::move(link)),
    m_limits(limits)
{
  Connection& connection = m_link->connection;
  m_savepoint = connection.prepare_own("SAVEPOINT jq_job");
  m_release = connection.prepare_own("RELEASE jq_job");
  m_rollback_to = connection.prepare_own("ROLLBACK TO jq_job");
}

SharedWriter::~SharedWriter()
{
  // Finalized before the connection closes.
  m_savepoint.reset();
  m_release.reset();
  m_rollback_to.reset();
}

std::string SharedWriter::run(const Request& request, const RunOptions& options)
{
  Ticket ticket(request, options);
  const auto give_up =
    std::chrono::steady_clock::now() + Connection::k_busy_timeout;
  std::unique_lock lock(m_mutex);
  m_queued.push_back(&ticket);
  while (ticket.state != Ticket::State::answered) {
    if (!m_is_leading) {
      lead(ticket, lock);
      break;
    }
    ticket.wake.wait_for(lock, std::chrono::milliseconds(10));
    if (ticket.state != Ticket::State::queued || !m_is_leading) {
      continue;
    }
    const bool is_interrupted = ticket.is_interrupted();
    if (is_interrupted || std::chrono::steady_clock::now() >= give_up) {
      std::erase(m_queued, &ticket);
      if (is_interrupted) {
        throw interrupted_while_waiting();
      }
      throw SqlError("database is locked", SQLITE_BUSY, SQLITE_BUSY);
    }
  }
  lock.unlock();
  if (ticket.error) {
    std::rethrow_exception(ticket.error);
  }
  return std::move(ticket.reply);
}

void SharedWriter::lead(Ticket& own, std::unique_lock<std::mutex>& lock)
{
  m_is_leading = true;
  // However this ends, the lead passes to the oldest waiting ticket.
  const struct HandOver
  {
    SharedWriter& writer;
    ~HandOver()
    {
      writer.m_is_leading = false;
      if (!writer.m_queued.empty()) {
        writer.m_queued.front()->wake.notify_one();
      }
    }
  } hand_over{*this};

  while (own.state != Ticket::State::answered) {
    std::vector<Ticket*> tickets;
    tickets.reserve(k_max_group);
    while (!m_queued.empty() && tickets.size() < k_max_group) {
      Ticket* ticket = m_queued.front();
      m_queued.pop_front();
      ticket->state = Ticket::State::taken;
      tickets.push_back(ticket);
    }
    Group group(*this, std::move(tickets));
    lock.unlock();
    group.run();
    lock.lock();
    const auto& again = group.again();
    for (auto it = again.rbegin(); it != again.rend(); ++it) {
      (*it)->state = Ticket::State::queued;
      m_queued.push_front(*it);
    }
    for (Ticket* answered : group.answered()) {
      answered->state = Ticket::State::answered;
      if (answered != &own) {
        answered->wake.notify_one();
      }
    }
  }
}

} // namespace jq::sql::sqlite
