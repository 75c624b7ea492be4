#pragma once

#include <jq/queue/job.hpp>
#include <jq/queue/job_fetcher.hpp>
#include <jq/queue/lock_book.hpp>
#include <jq/queue/round_gate.hpp>
#include <jq/queue/round_link.hpp>
#include <jq/queue/slot_pacing.hpp>
#include <jq/queue/transitions.hpp>
#include <jq/redis/url.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace jq::metrics {
class WorkerMetrics;
}

namespace jq::queue {

// How a worker's slots get their jobs and send their ends, sharing three
// connections. Jobs are taken and ends recorded in rounds: a slot that
// finds a round link free sends every end waiting in the outbox and asks
// for as many jobs as there are idle slots, in one script call; what comes
// back goes to the slots. A slot that finds no link free leaves its end to
// a round's owner or to the next idle slot. While one round is out, a
// second goes out on the other link only once the ends waiting make a full
// round (k_second_round_per_slot per slot), or to start a job a BRPOPLPUSH
// moved: Redis then runs one round while the worker reads the other's
// reply. A round that carries a retry (the job back in line, or due
// later) goes out alone: another round could take that job again before
// the first round's reply is in, or before it is sent again after a lost
// reply, and the retry would then apply to the new run. RoundGate keeps a
// reclaim after a lost reply apart from the rounds.
// When wait is empty, one idle slot blocks in BRPOPLPUSH on the third
// connection, so a lone job starts at once.
//
// While jobs run quickly, a round also takes up to k_ahead_per_slot jobs
// per slot more than there are idle slots: the slots then find their next
// jobs in hand instead of waiting a round trip for them, and the rounds
// are larger (a round's script call costs Redis less per job the more
// jobs it carries). A job held ahead that finds no
// slot free for long (all of them busy with slower jobs) is given back to
// the head of the line, for any worker.
//
// While jobs are quick, a job added to the held ones wakes an idle slot
// only when fewer slots run than SlotPacing wants: the running slots take
// the held jobs as they end theirs, without the two context switches of a
// wake-up. One idle slot then watches: when the oldest held job has waited
// as long as a quick job runs (the running slots are busy with slower
// ones), it wakes as many slots as there are held jobs. Thread-safe.
class JobExchange
{
public:
  JobExchange(redis::Url url,
              const Transitions& transitions,
              LockBook& book,
              std::chrono::milliseconds block_timeout,
              int slots,
              const std::atomic<bool>& stop,
              const std::atomic<bool>& cancel);

  // The next job for an idle slot, or std::nullopt once the worker stops
  // and nothing it took is left to run.
  std::optional<Job> obtain();

  // While jobs run quickly and keep the CPUs busy (SlotPacing runs fewer
  // slots than there are), the oldest job held ahead, for the calling slot
  // to run with its own (Handler's MoreJobs): held jobs wait for a running
  // slot anyway. std::nullopt otherwise, or when the held jobs are all for
  // the slots SlotPacing wants started.
  std::optional<Job> take_held();
  // Return a job take_held() gave, unrun, to the head of the held jobs.
  void give_back(Job job);

  // Send a slot's ends (in its own round or the current owner's), of jobs
  // that ran together for `ran`, with SlotPacing's `sample` of that run
  // (std::nullopt: not measured); returns the slot's next job when its
  // round took one.
  // `ends` holds the first job's end and those of the jobs the slot took
  // with take_held().
  std::optional<Job> deliver(std::vector<JobEnd> ends,
                             std::chrono::nanoseconds ran,
                             std::optional<PaceSample> sample);

  // Give the jobs held ahead that found no slot free for a while back to
  // the head of the line, and send any end left waiting, in a round of the
  // caller's (the maintenance thread's) when one may go out; call now and
  // then.
  void tend();

  // Open and name the blocking connection, so the worker is listed from
  // the start (even while it has work, when it does not block). Throws
  // RedisIoError when Redis cannot be reached; call before any slot runs.
  // Returns the longest value Redis takes, read on that connection
  // (read_value_limit).
  std::size_t open();

  // Wake the idle slots, e.g. to notice a stop.
  void wake();

  // Count the connections that break in `metrics` (none: nullptr; not
  // owned). Call before any slot runs.
  void count_in(metrics::WorkerMetrics* metrics) noexcept
  {
    link.count_in(metrics);
    second_link.count_in(metrics);
    fetcher.count_in(metrics);
  }

private:
  bool stopping() const
  {
    return m_stop.load();
  }
  // How many jobs a round may take beyond the idle slots; mutex held.
  int ahead() const
  {
    return paced() ? k_ahead_per_slot * slots : 0;
  }
  // How many jobs a round asks for: one per idle slot and `own` more for
  // the caller, plus those taken ahead, less those already held (waiting,
  // or in a slot's batch behind its first); mutex held.
  int wanted(int own) const
  {
    return stopping()
             ? 0
             : std::max(0,
                        idle + own + ahead() - static_cast<int>(ready.size())
                          - in_batches - taking);
  }
  // True when a round for the ends waiting may go out now; mutex held.
  bool may_send_round() const
  {
    return rounds_out == 0
           || (may_send_second() && retries_waiting == 0
               && static_cast<int>(outbox.size())
                    >= k_second_round_per_slot * slots);
  }
  // True when a round may go out beside the one out; mutex held.
  bool may_send_second() const
  {
    return rounds_out == 1 && !alone_out;
  }
  // Slots running a job or about to (woken for a held one); mutex held.
  int running() const
  {
    return slots - idle + woken;
  }
  // True while idle slots are woken for held jobs only as SlotPacing
  // wants; mutex held.
  bool paced() const
  {
    return quick && !stopping();
  }
  // True when an idle slot may start the oldest held job: it was woken for
  // it, or that job has waited too long; mutex held.
  bool may_start_held() const;
  // Set `quick`; when that ends pacing, wake a slot for every held job;
  // mutex held.
  void set_quick(bool is_quick);
  // Wake up to `count` idle slots to start held jobs; mutex held.
  void wake_for_held(int count);
  void hand_out(std::vector<Job> taken, int want, std::optional<Job>* mine);
  // True, and one idle slot woken, when an idle slot is left to make the
  // next round; mutex held.
  bool leave_ends_to_idle();
  std::vector<Job> round(std::unique_lock<std::mutex>& lock,
                         int want,
                         const std::vector<std::string>& moved = {});
  std::optional<Job> start_moved(std::unique_lock<std::mutex>& lock,
                                 const std::string& id);

  redis::Url url;
  LockBook& book;
  const std::atomic<bool>& m_stop;

  std::mutex mutex; // guards everything below but the connections
  std::condition_variable changed;  // for the idle slots
  std::condition_variable io_freed; // for the fetchers (io_wanted)
  struct Held
  {
    Job job;
    std::chrono::steady_clock::time_point since;
  };
  std::deque<Held> ready;       // taken and locked, not yet started
  std::vector<JobEnd> outbox;   // ends not yet sent
  int idle = 0;                 // slots waiting for a job
  int woken = 0;                // idle slots woken to start a held job
  bool watching = false;        // an idle slot watches the held jobs' age
  int rounds_out = 0;           // rounds in progress (on the links)
  bool first_link_busy = false; // else a round out is on the second
  bool alone_out = false;       // the round out carries a retry
  int retries_waiting = 0;      // retries among the ends in the outbox
  int taking = 0;               // jobs the rounds out asked for
  int in_batches = 0;           // held jobs slots took with theirs
  int io_wanted = 0;            // fetchers waiting for a link
  bool fetching = false;        // a slot is blocked on `blocker`
  bool wait_empty = false;      // the last round found wait empty
  bool quick = false;           // the last job to end ran quickly
  // Jobs held ahead per slot while jobs are quick. 4 against 1: at -c 16,
  // 20,000 selects ran 10-15% faster and inserts 10-30%, each costing Redis
  // 10-20% less; more than 4 gained nothing.
  static constexpr int k_ahead_per_slot = 4;
  // Ends per slot that make a second round worth sending while one is out.
  // At -c 16, 2 made 20,000 selects 15-25% faster (inserts, bound by the
  // worker's CPU, did not change); 0.5 made them slower: small rounds cost
  // Redis more per job.
  static constexpr int k_second_round_per_slot = 2;
  const int slots;
  SlotPacing pacing;

  // Shared by the two round links.
  RoundGate gate;
  // Each used by the owner of its round alone.
  RoundLink link;
  RoundLink second_link;
  // Used by the fetching slot alone.
  JobFetcher fetcher;
};

} // namespace jq::queue
