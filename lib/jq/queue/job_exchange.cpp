#include "job_exchange.hpp"

#include <jq/core/log.hpp>

#include <algorithm>

namespace jq::queue {

namespace {

using std::chrono::milliseconds;

// A job that ran for less than this is quick: while they are, rounds take
// jobs ahead of the slots. A job held ahead waits about as long for a slot.
constexpr milliseconds k_quick(5);

// A job held ahead that has found no slot free for this long goes back to
// the line (checked on each maintenance pass, at least every 250 ms).
constexpr milliseconds k_hold_ahead(100);

} // namespace

JobExchange::JobExchange(redis::Url url_,
                         const Transitions& transitions_,
                         LockBook& book_,
                         std::chrono::milliseconds block_timeout_,
                         int slots_,
                         const std::atomic<bool>& stop,
                         const std::atomic<bool>& cancel_)
  : url(std::move(url_)),
    book(book_),
    m_stop(stop),
    slots(std::max(1, slots_)),
    pacing(slots, SlotPacing::usable_cpus()),
    link(url, transitions_, book_, gate, stop, cancel_),
    second_link(url, transitions_, book_, gate, stop, cancel_),
    fetcher(url, transitions_, block_timeout_, stop)
{
}

std::size_t JobExchange::open()
{
  fetcher.open();
  return fetcher.read_value_limit();
}

void JobExchange::wake()
{
  const std::lock_guard lock(mutex);
  changed.notify_all();
}

// Give out `taken`: the first to `mine` if it is empty (a slot keeping
// its next job), the rest to `ready` for the idle slots.
void JobExchange::hand_out(std::vector<Job> taken,
                           int want,
                           std::optional<Job>* mine)
{
  if (want > 0) {
    wait_empty = static_cast<int>(taken.size()) < want;
    // Until the next job ends quickly: the next burst may be slow jobs.
    set_quick(quick && !wait_empty);
  }
  const auto now = std::chrono::steady_clock::now();
  int added = 0;
  for (auto& job : taken) {
    if (mine && !*mine) {
      *mine = std::move(job);
    } else {
      ready.push_back({std::move(job), now});
      ++added;
    }
  }
  // One idle slot per job, not all of them: at -c 16 waking every slot for
  // each job made a lone caller's round trip half as slow again. Unpaced,
  // one for every held job; paced, only as many as make the running slots
  // SlotPacing's number.
  if (!paced()) {
    wake_for_held(static_cast<int>(ready.size()));
    return;
  }
  wake_for_held(std::min(added, pacing.running_wanted() - running()));
  if (!ready.empty() && !watching && idle > woken) {
    // One idle slot watches the held jobs' age.
    changed.notify_one();
  }
}

void JobExchange::wake_for_held(int count)
{
  count = std::min(count, idle - woken);
  for (int i = 0; i < count; ++i) {
    ++woken;
    changed.notify_one();
  }
}

bool JobExchange::may_start_held() const
{
  return !paced() || woken > 0
         || ready.front().since + k_quick <= std::chrono::steady_clock::now();
}

void JobExchange::set_quick(bool is_quick)
{
  const bool was_paced = paced();
  quick = is_quick;
  if (was_paced && !paced()) {
    // The held jobs may not wait for the running slots any more.
    wake_for_held(static_cast<int>(ready.size()));
  }
}

// One round trip on a free round link: send the outbox (or start `moved`)
// and take up to `want` jobs. Called and returns with `lock` held; the I/O
// happens without it.
std::vector<Job> JobExchange::round(std::unique_lock<std::mutex>& lock,
                                    int want,
                                    const std::vector<std::string>& moved)
{
  // At most two rounds are out: the second takes the link the first left.
  const bool first = !first_link_busy;
  if (first) {
    first_link_busy = true;
  }
  ++rounds_out;
  taking += want;
  std::vector<JobEnd> ends;
  const bool alone = moved.empty() && retries_waiting > 0;
  if (moved.empty()) {
    ends.swap(outbox);
    retries_waiting = 0;
  }
  alone_out = alone_out || alone;
  lock.unlock();
  std::vector<Job> taken =
    (first ? link : second_link).exchange(ends, want, moved);
  lock.lock();
  if (first) {
    first_link_busy = false;
  }
  --rounds_out;
  taking -= want;
  if (alone) {
    alone_out = false;
  }
  // Wake the fetchers that wait for the connection (on a variable of their
  // own: with `wait` running empty, waking every idle slot with them cost
  // 35 context switches per job at -c 16), and one idle slot when there is
  // a round to make.
  if (io_wanted > 0) {
    io_freed.notify_all();
  }
  if (!outbox.empty()) {
    changed.notify_one();
  }
  return taken;
}

std::optional<Job> JobExchange::take_held()
{
  const std::lock_guard lock(mutex);
  // Only while the jobs keep the CPUs busy: jobs that wait (for a database
  // server, a lock) run better side by side, each on a slot of its own.
  // Those SlotPacing wants more slots to start stay for them.
  if (!paced() || pacing.running_wanted() >= slots
      || static_cast<int>(ready.size())
           <= std::max(0, pacing.running_wanted() - running())) {
    return std::nullopt;
  }
  Job job = std::move(ready.front().job);
  ready.pop_front();
  ++in_batches;
  return job;
}

void JobExchange::give_back(Job job)
{
  const std::lock_guard lock(mutex);
  --in_batches;
  ready.push_front({std::move(job), std::chrono::steady_clock::now()});
  if (paced() && !watching && idle > woken) {
    // An idle slot watches its age: the slot that gave it back may be
    // busy for a while with its batch.
    changed.notify_one();
  }
}

// A slot's ends go out, in this slot's round or the current owner's;
// returns the slot's next job when its round took one.
std::optional<Job> JobExchange::deliver(std::vector<JobEnd> ends,
                                        std::chrono::nanoseconds ran,
                                        std::optional<PaceSample> sample)
{
  for (const JobEnd& end : ends) {
    book.mark_finishing(end.id);
  }
  std::unique_lock lock(mutex);
  // Counted from when take_held() gave them (every end after the first):
  // the held jobs of a batch are held until here.
  in_batches -= std::max(0, static_cast<int>(ends.size()) - 1);
  for (JobEnd& end : ends) {
    if (end.kind == JobEnd::Kind::retry) {
      ++retries_waiting;
    }
    outbox.push_back(std::move(end));
  }
  // By the whole run: a job held behind a batch waits for all of it.
  set_quick(ran < k_quick);
  if (sample) {
    pacing.job_ended(sample->ran, sample->cpu);
  }
  std::optional<Job> mine;
  // A job held ahead is next, before any the round takes.
  if (!ready.empty()) {
    mine = std::move(ready.front().job);
    ready.pop_front();
  }
  while (may_send_round() && !outbox.empty()) {
    const int want = wanted(mine ? 0 : 1);
    hand_out(round(lock, want), want, &mine);
    // Ends that came in meanwhile go with an idle slot's round.
    if (mine && leave_ends_to_idle()) {
      break;
    }
  }
  return mine;
}

bool JobExchange::leave_ends_to_idle()
{
  // An idle slot takes a job held ahead before it makes a round; the
  // fetcher is blocked elsewhere, and a slot starting a moved job sends no
  // ends (its round is for that job alone).
  if (idle - (fetching ? 1 : 0) - io_wanted <= static_cast<int>(ready.size())) {
    return false;
  }
  changed.notify_one();
  return true;
}

// The next job for an idle slot, or std::nullopt when the worker stops.
std::optional<Job> JobExchange::obtain()
{
  std::unique_lock lock(mutex);
  ++idle;
  for (;;) {
    if (ready.empty()) {
      woken = 0;
    } else if (may_start_held()) {
      if (woken == 0 && paced()) {
        // The oldest held job waited too long: the running slots are busy
        // with slower jobs; wake a slot for every held job.
        wake_for_held(static_cast<int>(ready.size()) - 1);
      }
      woken = std::max(0, woken - 1);
      Job job = std::move(ready.front().job);
      ready.pop_front();
      --idle;
      if (paced() && !ready.empty() && !watching && idle > woken) {
        // This slot may have been the watcher: another one takes over.
        changed.notify_one();
      }
      // The ends waiting go out before this job runs, unless an idle slot
      // is left to send them.
      while (may_send_round() && !outbox.empty() && !leave_ends_to_idle()) {
        const int want = wanted(0);
        hand_out(round(lock, want), want, nullptr);
      }
      return job;
    }
    const int want = wanted(0);
    if (may_send_round() && (!outbox.empty() || (want > 0 && !wait_empty))) {
      hand_out(round(lock, want), want, nullptr);
      continue;
    }
    if (stopping()) {
      if (outbox.empty() && rounds_out == 0 && !fetching) {
        --idle;
        changed.notify_all();
        return std::nullopt;
      }
    } else if (wait_empty && !fetching) {
      fetching = true;
      lock.unlock();
      const auto moved = fetcher.fetch();
      lock.lock();
      fetching = false;
      std::optional<Job> mine;
      if (moved) {
        mine = start_moved(lock, *moved);
      }
      if (mine) {
        // Another idle slot blocks for the next job now: one is enough.
        changed.notify_one();
        --idle;
        return mine;
      }
      continue;
    }
    if (!ready.empty() && !watching) {
      // Held jobs no slot was woken for: watch how long they wait.
      watching = true;
      changed.wait_for(lock, k_quick);
      watching = false;
      continue;
    }
    // Everything that matters notifies; the timeout is a safety net.
    changed.wait_for(lock, milliseconds(250));
  }
}

// Start job `id`, which a BRPOPLPUSH moved into active, with as many
// more as there are idle slots; the fetching slot keeps the first.
std::optional<Job> JobExchange::start_moved(std::unique_lock<std::mutex>& lock,
                                            const std::string& id)
{
  if (stopping()) {
    // Taken by a BRPOPLPUSH that was already waiting when the stop came:
    // back to the head of the line, untouched.
    fetcher.put_back(id);
    return std::nullopt;
  }
  // Counted, not flagged: two slots may wait with a job each (one fetched
  // again while the first waited), and each must hear the round end.
  ++io_wanted;
  io_freed.wait(lock, [this] { return rounds_out == 0 || may_send_second(); });
  --io_wanted;
  const int want = std::max(1, idle - static_cast<int>(ready.size()) - taking);
  std::optional<Job> mine;
  hand_out(round(lock, want, {id}), want, &mine);
  return mine;
}

void JobExchange::tend()
{
  std::unique_lock lock(mutex);
  const auto due = std::chrono::steady_clock::now() - k_hold_ahead;
  std::vector<JobEnd> plain;       // no priority: each RPUSHed to the head
  std::vector<JobEnd> prioritized; // each placed among its priority's
  while (!ready.empty() && ready.front().since <= due) {
    const Job& job = ready.front().job;
    JobEnd end;
    end.kind = JobEnd::Kind::retry;
    end.id = job.id;
    end.to_head = true;
    book.mark_finishing(end.id);
    JQ_LOG(info,
           "job {}: no slot came free within {} ms; giving it back to the "
           "head of the line",
           end.id,
           k_hold_ahead.count());
    (job.priority == 0 ? plain : prioritized).push_back(std::move(end));
    ready.pop_front();
  }
  if (!plain.empty() || !prioritized.empty()) {
    // The slots are busy with slower jobs: hold none ahead for now.
    set_quick(false);
    retries_waiting += static_cast<int>(plain.size() + prioritized.size());
    // Back in the order they were taken: the plain ones last first, as
    // each goes to the head.
    outbox.insert(outbox.end(),
                  std::make_move_iterator(plain.rbegin()),
                  std::make_move_iterator(plain.rend()));
    outbox.insert(outbox.end(),
                  std::make_move_iterator(prioritized.begin()),
                  std::make_move_iterator(prioritized.end()));
  }
  // With any slot's end left waiting, in a round of its own: the slots are
  // busy.
  if (may_send_round() && !outbox.empty()) {
    hand_out(round(lock, 0), 0, nullptr);
  }
}

} // namespace jq::queue
