#include <jq/queue/transitions.hpp>

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <vector>

using jq::queue::JobEnd;
using Strings = std::vector<std::string>;

namespace {

JobEnd completed(std::string id, long long keep_count)
{
  JobEnd end;
  end.kind = JobEnd::Kind::completed;
  end.id = std::move(id);
  end.value = "v-" + end.id;
  end.event = "e-" + end.id;
  end.finished_on = 7;
  end.keep.count = keep_count;
  return end;
}

Strings slice(const Strings& args, std::size_t at, std::size_t count)
{
  REQUIRE(at + count <= args.size());
  return {args.begin() + static_cast<std::ptrdiff_t>(at),
          args.begin() + static_cast<std::ptrdiff_t>(at + count)};
}

} // namespace

TEST_CASE("Transitions::finish_call: ends that share a run's values share "
          "its header, in the ends' order")
{
  // finish_jobs.lua reads: base, token, lock ms, now, how many to take, then
  // per run its kind, count, fields per end, keep count and keep age, then
  // per end 4 values and its field pairs.
  const jq::queue::Transitions transitions(
    jq::queue::Keys("bull", "q"), "tok", std::chrono::milliseconds(30000));
  JobEnd failed = completed("f", 5);
  failed.kind = JobEnd::Kind::failed;
  failed.fields = {"attemptsMade", "1", "stacktrace", "[]"};
  JobEnd retry;
  retry.kind = JobEnd::Kind::retry;
  retry.id = "12";
  retry.due_ms = 2;
  retry.to_head = true;
  retry.fields = {"attemptsMade", "1"};
  const std::vector<JobEnd> ends = {
    completed("a", 5), completed("b", 5), completed("c", 0), failed, retry};
  const auto call = transitions.finish_call(ends, 3, 1000);
  CHECK(call.keys.size() == 10);
  const Strings& args = call.args;
  CHECK(slice(args, 0, 5) == Strings{"bull:q:", "tok", "30000", "1000", "3"});
  CHECK(slice(args, 5, 5) == Strings{"completed", "2", "0", "5", "0"});
  CHECK(slice(args, 10, 8)
        == Strings{"a", "v-a", "e-a", "7", "b", "v-b", "e-b", "7"});
  CHECK(slice(args, 18, 5) == Strings{"completed", "1", "0", "0", "0"});
  CHECK(slice(args, 23, 4) == Strings{"c", "v-c", "e-c", "7"});
  CHECK(slice(args, 27, 5) == Strings{"failed", "1", "2", "5", "0"});
  CHECK(slice(args, 32, 8)
        == Strings{
          "f", "v-f", "e-f", "7", "attemptsMade", "1", "stacktrace", "[]"});
  // A retry: its due time, its delayed score (due * 4096 + the numeric id)
  // and whether it goes to the head of the line.
  CHECK(slice(args, 40, 5) == Strings{"retry", "1", "1", "-1", "0"});
  CHECK(slice(args, 45, 6)
        == Strings{"12", "2", "8204", "1", "attemptsMade", "1"});
  CHECK(args.size() == 51);
}
