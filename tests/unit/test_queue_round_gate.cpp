#include <jq/queue/round_gate.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

using jq::queue::RoundGate;

namespace {

using namespace std::chrono_literals;

// True when a thread entering `Entering` on `gate` waits while `held` is
// held and gets through once it is released (within a second).
template<typename Entering, typename Held>
bool waits_for(RoundGate& gate, std::optional<Held>& held)
{
  std::atomic<bool> entered{false};
  std::thread other([&] {
    const Entering entering(gate);
    entered = true;
  });
  std::this_thread::sleep_for(50ms);
  const bool waited = !entered.load();
  held.reset();
  for (int i = 0; i < 1000 && !entered.load(); ++i) {
    std::this_thread::sleep_for(1ms);
  }
  const bool got_through = entered.load();
  other.join();
  return waited && got_through;
}

} // namespace

TEST_CASE("jq::queue::RoundGate")
{
  RoundGate gate;

  SUBCASE("calls on several links go out together")
  {
    const RoundGate::Call first(gate);
    const RoundGate::Call second(gate);
    // Neither waited (else the test would hang).
  }

  SUBCASE("a reclaim waits until no call is out")
  {
    std::optional<RoundGate::Call> call;
    call.emplace(gate);
    CHECK(waits_for<RoundGate::Reclaim>(gate, call));
  }

  SUBCASE("no call goes out while a reclaim runs")
  {
    std::optional<RoundGate::Reclaim> reclaim;
    reclaim.emplace(gate);
    CHECK(waits_for<RoundGate::Call>(gate, reclaim));
  }

  SUBCASE("two reclaims run one after the other")
  {
    std::optional<RoundGate::Reclaim> reclaim;
    reclaim.emplace(gate);
    CHECK(waits_for<RoundGate::Reclaim>(gate, reclaim));
  }

  SUBCASE("a reply lost leaves a reclaim due, for every link, until made")
  {
    CHECK_FALSE(gate.reclaim_due());
    {
      RoundGate::Call answered(gate);
      answered.replied();
    }
    CHECK_FALSE(gate.reclaim_due());
    {
      const RoundGate::Call lost(gate);
    }
    CHECK(gate.reclaim_due());
    {
      const RoundGate::Reclaim refused(gate); // made, but not done()
      CHECK(refused.due());
    }
    CHECK(gate.reclaim_due());
    {
      RoundGate::Reclaim made(gate);
      made.done();
    }
    CHECK_FALSE(gate.reclaim_due());
    // A second link that waited meanwhile finds it made.
    const RoundGate::Reclaim late(gate);
    CHECK_FALSE(late.due());
  }
}
