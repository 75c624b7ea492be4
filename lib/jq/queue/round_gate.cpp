#include "round_gate.hpp"

namespace jq::queue {

RoundGate::Call::Call(RoundGate& gate, bool alone)
  : m_gate(gate),
    m_alone(alone)
{
  std::unique_lock lock(m_gate.m_mutex);
  m_gate.m_changed.wait(lock, [this] {
    const RoundGate& g = m_gate;
    if (g.m_reclaiming || g.m_alone_out) {
      return false;
    }
    return m_alone ? g.m_calls == 0
                   : g.m_reclaims_waiting == 0 && g.m_resends == 0;
  });
  ++m_gate.m_calls;
  m_gate.m_alone_out = m_alone;
}

RoundGate::Call::~Call()
{
  const std::lock_guard lock(m_gate.m_mutex);
  if (!m_replied) {
    m_gate.m_reclaim_due = true;
  }
  if (m_alone) {
    m_gate.m_alone_out = false;
  }
  --m_gate.m_calls;
  m_gate.m_changed.notify_all();
}

RoundGate::Reclaim::Reclaim(RoundGate& gate)
  : m_gate(gate)
{
  std::unique_lock lock(m_gate.m_mutex);
  ++m_gate.m_reclaims_waiting;
  m_gate.m_changed.wait(
    lock, [this] { return !m_gate.m_reclaiming && m_gate.m_calls == 0; });
  --m_gate.m_reclaims_waiting;
  m_gate.m_reclaiming = true;
}

RoundGate::Reclaim::~Reclaim()
{
  const std::lock_guard lock(m_gate.m_mutex);
  m_gate.m_reclaiming = false;
  m_gate.m_changed.notify_all();
}

bool RoundGate::Reclaim::due() const
{
  const std::lock_guard lock(m_gate.m_mutex);
  return m_gate.m_reclaim_due;
}

void RoundGate::Reclaim::done()
{
  const std::lock_guard lock(m_gate.m_mutex);
  m_gate.m_reclaim_due = false;
}

RoundGate::Resend::Resend(RoundGate& gate)
  : m_gate(gate)
{
  const std::lock_guard lock(m_gate.m_mutex);
  ++m_gate.m_resends;
}

RoundGate::Resend::~Resend()
{
  const std::lock_guard lock(m_gate.m_mutex);
  --m_gate.m_resends;
  m_gate.m_changed.notify_all();
}

bool RoundGate::reclaim_due()
{
  const std::lock_guard lock(m_mutex);
  return m_reclaim_due;
}

} // namespace jq::queue
