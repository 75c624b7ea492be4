#pragma once

#include <condition_variable>
#include <mutex>

namespace jq::queue {

// Keeps a worker's calls that take jobs and record ends, on its two round
// connections, apart where running them side by side would run a job
// twice:
// - After a call's reply was lost, the jobs in active locked with the
//   worker's token that its LockBook does not hold were taken by that call
//   and are orphans. But a call on the other connection whose reply is
//   still to come may have locked jobs the book does not hold yet: put
//   back in line, they would run twice. So a reclaim waits until no call
//   is out, and no call goes out while a reclaim runs or waits to. One
//   reclaim covers both connections: whichever goes out next makes it.
// - The call sent again after a lost reply carries ends that may already
//   be recorded. Were a job of those back in line meanwhile (an operator's
//   retry) and taken by another call, the end sent again would pass the
//   lock check (one token) and apply to that new run. So from the loss
//   until the call is sent again and answered, no other call goes out, and
//   the call sent again goes out alone (Resend, Call's `alone`).
// Thread-safe.
class RoundGate
{
public:
  // Held from before a call is sent until the jobs it took are in the
  // book. A call that ends without replied() leaves a reclaim due. `alone`:
  // a call sent again after a lost reply, which waits until no call is out.
  class Call
  {
  public:
    Call(RoundGate& gate, bool alone);
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
    bool m_alone;
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

  // Held from a lost reply until the call is sent again and answered, or
  // given up: other calls wait meanwhile.
  class Resend
  {
  public:
    explicit Resend(RoundGate& gate);
    ~Resend();
    Resend(const Resend&) = delete;
    Resend& operator=(const Resend&) = delete;

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
  int m_resends = 0;
  bool m_alone_out = false;
  bool m_reclaiming = false;
  bool m_reclaim_due = false;
};

} // namespace jq::queue
