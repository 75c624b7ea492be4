#pragma once

#include <condition_variable>
#include <mutex>

namespace jq::queue {

// Keeps a worker's reclaim of orphans apart from its calls that take jobs.
// After a call's reply was lost, the jobs in active locked with the
// worker's token that its LockBook does not hold were taken by that call
// and are orphans. But a call on another connection whose reply is still
// to come may have locked jobs the book does not hold yet: put back in
// line, they would run twice. So a reclaim waits until no call is out,
// and no call goes out while a reclaim runs or waits to. One reclaim
// covers every connection: whichever goes out next makes it. Thread-safe.
class RoundGate
{
public:
  // Held from before a call is sent until the jobs it took are in the
  // book. A call that ends without replied() leaves a reclaim due.
  class Call
  {
  public:
    explicit Call(RoundGate& gate);
    ~Call();
    Call(const Call&) = delete;
    Call& operator=(const Call&) = delete;

    // The reply is in: nothing it took is unknown.
    void replied() noexcept
    {
      m_replied = true;
    }

  private:
    RoundGate& m_gate;
    bool m_replied = false;
  };

  // Held while a reclaim runs, once no call is out.
  class Reclaim
  {
  public:
    explicit Reclaim(RoundGate& gate);
    ~Reclaim();
    Reclaim(const Reclaim&) = delete;
    Reclaim& operator=(const Reclaim&) = delete;

    // True while the reclaim is due (another connection may have made it
    // while this one waited).
    bool due() const;
    // The reclaim was made.
    void done();

  private:
    RoundGate& m_gate;
  };

  // True when a reply was lost since the last reclaim.
  bool reclaim_due();

private:
  std::mutex m_mutex;
  std::condition_variable m_changed;
  int m_calls = 0;
  int m_reclaims_waiting = 0;
  bool m_reclaiming = false;
  bool m_reclaim_due = false;
};

} // namespace jq::queue
