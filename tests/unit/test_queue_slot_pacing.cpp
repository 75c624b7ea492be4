#include <jq/queue/slot_pacing.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <thread>

using jq::queue::SlotPacing;
using std::chrono::microseconds;

TEST_CASE("jq::queue::SlotPacing: every slot runs until a job has ended")
{
  const SlotPacing pacing(16, 2);
  CHECK(pacing.running_wanted() == 16);
}

TEST_CASE("jq::queue::SlotPacing: jobs that keep a CPU busy run one per CPU")
{
  SlotPacing pacing(16, 2);
  for (int i = 0; i < 100; ++i) {
    pacing.job_ended(microseconds(20), microseconds(20));
  }
  CHECK(pacing.running_wanted() == 2);
  // The clocks differ a little: more CPU time than time counts as all.
  pacing.job_ended(microseconds(20), microseconds(25));
  CHECK(pacing.running_wanted() == 2);
}

TEST_CASE("jq::queue::SlotPacing: jobs that wait let more slots run")
{
  SlotPacing pacing(16, 2);
  for (int i = 0; i < 100; ++i) {
    pacing.job_ended(microseconds(40), microseconds(20));
  }
  CHECK(pacing.running_wanted() == 4);
  // Waiting jobs (a database server, a group commit) move the average
  // within a few dozen jobs.
  for (int i = 0; i < 100; ++i) {
    pacing.job_ended(microseconds(1000), microseconds(0));
  }
  CHECK(pacing.running_wanted() == 16);
  // And back.
  for (int i = 0; i < 100; ++i) {
    pacing.job_ended(microseconds(20), microseconds(20));
  }
  CHECK(pacing.running_wanted() == 2);
}

TEST_CASE("jq::queue::SlotPacing: a job of no measurable time is ignored")
{
  SlotPacing pacing(8, 2);
  pacing.job_ended(microseconds(0), microseconds(5));
  CHECK(pacing.running_wanted() == 8);
}

TEST_CASE("jq::queue::SlotPacing: never fewer than one slot, never more than "
          "there are")
{
  SlotPacing one(1, 4);
  one.job_ended(microseconds(10), microseconds(0));
  CHECK(one.running_wanted() == 1);
  SlotPacing many(4, 8);
  many.job_ended(microseconds(10), microseconds(10));
  CHECK(many.running_wanted() == 4);
  CHECK(SlotPacing::usable_cpus() >= 1);
}

TEST_CASE("jq::queue::thread_cpu_time counts this thread's work, not its "
          "sleep")
{
  const auto before = jq::queue::thread_cpu_time();
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const auto slept = jq::queue::thread_cpu_time() - before;
  CHECK(slept < std::chrono::milliseconds(10));
  volatile unsigned sink = 0;
  const auto start = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - start
         < std::chrono::milliseconds(20)) {
    sink = sink + 1;
  }
  CHECK(jq::queue::thread_cpu_time() - before >= std::chrono::milliseconds(5));
}
