#include <jq/queue/pending_set.hpp>

#include <doctest/doctest.h>

#include <deque>

using jq::queue::PendingSet;
using jq::queue::Submission;
using jq::queue::Waited;
using namespace std::chrono_literals;

namespace {

Submission attach(std::string id, std::chrono::milliseconds timeout = 30s)
{
  Submission submission;
  submission.id = std::move(id);
  submission.timeout = timeout;
  return submission;
}

// A feed of submissions, as jq-submit's input gives them.
struct Feed
{
  std::deque<Submission> items;
  std::optional<Submission> operator()()
  {
    if (items.empty()) {
      return std::nullopt;
    }
    auto item = std::move(items.front());
    items.pop_front();
    return item;
  }
};

} // namespace

TEST_CASE("pending set: admits up to its capacity and holds back a twin id")
{
  PendingSet set(2);
  Feed feed{{attach("a"), attach("a"), attach("b"), attach("c")}};
  bool is_done = false;
  auto ids = set.admit(std::ref(feed), {}, is_done);
  CHECK(ids == std::vector<std::string>{"a", "b"});
  CHECK(set.has_held_back());
  CHECK_FALSE(set.has_room());
  CHECK(set.stats().in_flight == 2);

  auto result = set.finish("a", Waited::Kind::missing, std::nullopt);
  REQUIRE(result);
  CHECK(result->id == "a");
  CHECK(set.stats().failed == 1);
  CHECK_FALSE(set.finish("a", Waited::Kind::missing, std::nullopt));

  // The held-back twin goes first, then the input.
  ids = set.admit(std::ref(feed), {}, is_done);
  CHECK(ids == std::vector<std::string>{"a"});
  CHECK_FALSE(is_done);
}

TEST_CASE("pending set: due reports expired jobs and watchdog looks")
{
  PendingSet set(10);
  Feed feed{{attach("short", 2s), attach("long", 1h)}};
  bool is_done = false;
  set.admit(std::ref(feed), {}, is_done);
  CHECK(is_done);

  const auto now = PendingSet::Clock::now();
  auto due = set.due(now, now + 250ms);
  CHECK(due.expired.empty());
  CHECK(due.next <= now + 250ms);

  due = set.due(now + 2100ms, now + 3s);
  CHECK(due.expired == std::vector<std::string>{"short"});
  CHECK(due.to_check.empty());
  set.finish("short", Waited::Kind::timed_out, std::nullopt);

  due = set.due(now + PendingSet::k_watchdog + 1ms, now + 1h);
  CHECK(due.to_check == std::vector<std::string>{"long"});
  // Until then, nothing is due and the set is not walked again.
  due = set.due(now + 1s, now + 1h);
  CHECK(due.expired.empty());
  CHECK(due.to_check.empty());
}
