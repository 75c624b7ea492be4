#pragma once

// The parts of SharedWriter that its two source files share: a queued job
// (Ticket) and one transaction of the leader's (Group).

#include "shared_writer.hpp"

#include <jq/core/error.hpp>

#include <condition_variable>
#include <cstddef>
#include <exception>
#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace jq::sql::sqlite {

// The error of a job interrupted before its write ran.
SqlError interrupted_while_waiting();

// The thread that queued one or more tickets (one run or run_batch call).
struct SharedWriter::Waiter
{
  // Notified when all its tickets are answered, or its thread is to lead.
  std::condition_variable wake;
  // Its tickets not answered yet; under the writer's mutex.
  std::size_t unanswered = 0;
};

struct SharedWriter::Ticket
{
  Ticket(BatchRun& run_, Waiter& waiter_)
    : request(*run_.request),
      options(*run_.options),
      run(run_),
      waiter(waiter_)
  {
  }

  bool is_interrupted() const
  {
    return options.should_interrupt && options.should_interrupt();
  }

  const Request& request;
  const RunOptions& options;
  // Where the reply or error goes: set by the leader (the group's), read
  // by the waiter once the ticket is answered.
  BatchRun& run;
  Waiter& waiter;
  // Under the writer's mutex: queued, taken into a group by the leader,
  // or answered (`run` set, and read only then).
  enum class State { queued, taken, answered } state = State::queued;
  // The leader's: its failure undid the transaction after other jobs had
  // written in it, so it runs again first in a transaction, where what it
  // sees is committed (and its failure, if it fails again, final).
  bool run_first = false;
};

// One transaction of the leader's: after run(), each ticket is in
// answered() (its reply or error set) or in again(), to run in the next
// group (its write was lost with the transaction, or its failure may have
// come from writes that did not commit).
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
  // What became of a job in the transaction: its writes stand (`ran`), its
  // failure was undone with its savepoint (`failed`), or SQLite undid the
  // whole transaction with it (`transaction_lost`).
  enum class Outcome { ran, failed, transaction_lost };

  // Run `ticket`'s job; on failure its error is left in `error`. Throws
  // when the writer's own SAVEPOINT, RELEASE or ROLLBACK TO fails.
  Outcome run_one(Ticket& ticket, bool in_savepoint, std::exception_ptr& error);
  // Run `step` (the ledger's preparation, BEGIN or COMMIT) for the tickets
  // in `m_ran`; its wait for another connection's lock gives up when any of
  // them is interrupted (the step itself runs to its end). On failure,
  // answers the interrupted ones (or all, for any other error) with its
  // error, leaves the others to run again, and empties `m_ran`.
  bool run_for_all(const std::function<void()>& step) noexcept;
  void answer(Ticket& ticket, std::exception_ptr error)
  {
    ticket.run.result.error = std::move(error);
    ticket.run.result.reply.clear();
    m_answered.push_back(&ticket);
  }

  SharedWriter& m_writer;
  Connection& m_connection;
  std::vector<Ticket*> m_tickets;
  std::vector<Ticket*> m_ran;
  std::vector<Ticket*> m_answered;
  std::vector<Ticket*> m_again;
};

} // namespace jq::sql::sqlite
