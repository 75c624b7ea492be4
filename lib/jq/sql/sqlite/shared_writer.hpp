#pragma once

#include <jq/sql/engine.hpp>
#include <jq/sql/sqlite/checkpointer.hpp>
#include <jq/sql/sqlite/job_run.hpp>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

namespace jq::sql::sqlite {

// The one connection on which the sessions of a database write, with group
// commit: the writes that queue while one group runs go together in the
// next, in one transaction (one WAL append, one set of locks, one hand-over
// between threads).
//
// What a job sees is as if it ran alone: its reply is given once the group
// committed, and its failure undoes its own writes. When the failure undid
// the others' too (an error that rolls back the whole transaction: an
// interrupt, a full disk, an ON CONFLICT ROLLBACK; or a group run without
// savepoints), the others run again in the next group. A failure is final
// when nothing uncommitted was written before it in its transaction, or
// when what was written commits; otherwise the job runs again, first in a
// transaction. Once a job failed, the next groups run each job in a
// savepoint of its own, whose rollback leaves the others' writes in place.
// A job's ledger row goes with its write, so exactly-once holds as before.
//
// A thread may queue several jobs at once (run_batch): they go in the same
// group when they fit, and the thread is woken once, when all are answered.
// The thread of the oldest waiting job leads: it runs groups until its own
// jobs are answered, then hands the lead to the next waiting job's thread.
// Before it takes a group short of k_max_group, it yields the CPU once, so
// that the writes on their way queue for it. The log of a WAL database is
// copied back into its file by a Checkpointer, not by the commits.
// Thread-safe.
class SharedWriter
{
public:
  SharedWriter(std::unique_ptr<Link> link, const Limits& limits);
  ~SharedWriter();
  SharedWriter(const SharedWriter&) = delete;
  SharedWriter& operator=(const SharedWriter&) = delete;

  // Run the write `request` and return its reply (see Session::run). A job
  // still waiting for the writer gives up when it is interrupted, or after
  // Connection::k_busy_timeout; once in a group, it may wait that long
  // again for another connection's lock (BEGIN's busy wait).
  std::string run(const Request& request, const RunOptions& options);

  // Run each of `runs` as run() would, and set its reply or error and
  // `done` (when its group committed).
  void run_batch(std::span<BatchRun* const> runs);

  // The most jobs in one group: a job's reply waits for the group's
  // commit, so for the jobs run before it in its group.
  static constexpr std::size_t k_max_group = 32;
  // A group starts no further job once it has run this long: the jobs that
  // ran are not kept waiting for their commit by many more.
  static constexpr std::chrono::milliseconds k_max_group_time{20};
  // After a job fails, the next this many groups run each job in a
  // savepoint, so that a failure costs the others nothing.
  static constexpr std::size_t k_savepoint_groups = 256;

private:
  struct Ticket;
  struct Waiter;
  class Group;

  // Take the lead and run groups of queued tickets until `own`'s are
  // answered, then hand the lead to the oldest waiting ticket. Called and
  // returns with `lock` held; the groups run without it.
  void lead(Waiter& own, std::unique_lock<std::mutex>& lock);

  // Everything below is the leader's, except where noted.
  std::unique_ptr<Link> m_link;
  // Thread-safe, with a thread of its own; destroyed before the link's
  // connection, whose commits wake it.
  Checkpointer m_checkpointer;
  Limits m_limits;
  StatementPtr m_savepoint;
  StatementPtr m_release;
  StatementPtr m_rollback_to;
  // Groups still to run with a savepoint per job, since the last failure.
  std::size_t m_groups_with_savepoints = 0;

  // Under m_mutex.
  std::mutex m_mutex;
  std::deque<Ticket*> m_queued;
  bool m_is_leading = false;
};

} // namespace jq::sql::sqlite
