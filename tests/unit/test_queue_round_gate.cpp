#include <jq/queue/round_gate.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <thread>

using jq::queue::RoundGate;

namespace {

using namespace std::chrono_literals;

// True when `enter` (run on a thread) waits while `held` is held and gets
// through once it is released (within a second).
template<typename Held, typename Enter>
bool waits_for(std::optional<Held>& held, Enter enter)
{
  std::atomic<bool> entered{false};
  std::thread other([&] {
    enter();
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
  const auto call = [&gate] { const RoundGate::Call out(gate, false); };
  const auto call_alone = [&gate] { const RoundGate::Call out(gate, true); };
  const auto reclaim = [&gate] { const RoundGate::Reclaim running(gate); };

  SUBCASE("calls on both links go out together")
  {
    const RoundGate::Call first(gate, false);
    const RoundGate::Call second(gate, false);
    // Neither waited (else the test would hang).
  }

  SUBCASE("a reclaim waits until no call is out")
  {
    std::optional<RoundGate::Call> out;
    out.emplace(gate, false);
    CHECK(waits_for(out, reclaim));
  }

  SUBCASE("no call goes out while a reclaim runs")
  {
    std::optional<RoundGate::Reclaim> running;
    running.emplace(gate);
    CHECK(waits_for(running, call));
  }

  SUBCASE("two reclaims run one after the other")
  {
    std::optional<RoundGate::Reclaim> running;
    running.emplace(gate);
    CHECK(waits_for(running, reclaim));
  }

  SUBCASE("after a lost reply, no other call goes out until it is resent")
  {
    std::optional<RoundGate::Resend> resend;
    resend.emplace(gate);
    CHECK(waits_for(resend, call));
  }

  SUBCASE("a call sent again goes out alone")
  {
    std::optional<RoundGate::Call> out;
    out.emplace(gate, false);
    CHECK(waits_for(out, call_alone)); // waits for the call out
    std::optional<RoundGate::Call> alone;
    alone.emplace(gate, true);
    CHECK(waits_for(alone, call)); // nothing beside it
  }

  SUBCASE("a reply lost leaves a reclaim due, for both links, until made")
  {
    CHECK_FALSE(gate.reclaim_due());
    {
      RoundGate::Call answered(gate, false);
      answered.replied();
    }
    CHECK_FALSE(gate.reclaim_due());
    {
      const RoundGate::Call lost(gate, false);
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
