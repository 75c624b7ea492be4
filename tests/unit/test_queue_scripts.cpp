#include <jq/core/sha1.hpp>
#include <jq/queue/scripts.hpp>

#include <doctest/doctest.h>

#include <string_view>
#include <utility>
#include <vector>

namespace scripts = jq::queue::scripts;

namespace {

// Every script of scripts.hpp, with its name for the failure message.
const std::vector<std::pair<std::string_view, const jq::redis::Script& (*)()>>
  k_scripts = {
    {"add_jobs", scripts::add_jobs},
    {"take_jobs", scripts::take_jobs},
    {"finish_jobs", scripts::finish_jobs},
    {"extend_locks", scripts::extend_locks},
    {"promote_delayed", scripts::promote_delayed},
    {"job_outcome", scripts::job_outcome},
    {"move_stalled_to_wait", scripts::move_stalled_to_wait},
    {"reclaim_orphans", scripts::reclaim_orphans},
    {"unlocked_active", scripts::unlocked_active},
    {"requeue_unlocked", scripts::requeue_unlocked},
    {"job_state", scripts::job_state},
    {"reprocess_job", scripts::reprocess_job},
    {"reprocess_failed_jobs", scripts::reprocess_failed_jobs},
    {"remove_job", scripts::remove_job},
    {"clean_jobs", scripts::clean_jobs},
    {"pause_queue", scripts::pause_queue},
    {"promote_job", scripts::promote_job},
};

} // namespace

TEST_CASE("jq::queue::scripts: the SHA-1 the build wrote is the one Redis "
          "computes of the text sent")
{
  // A wrong one would never match a script Redis loaded, so every call
  // would pay a NOSCRIPT round trip and the full text: slow, not broken.
  for (const auto& [name, script] : k_scripts) {
    CAPTURE(name);
    CHECK(script().sha() == jq::sha1_hex(script().source()));
  }
}

TEST_CASE("jq::queue::scripts: the helpers a script names go in front of it")
{
  // take_jobs.lua starts with `-- helpers: include/queue.lua`: its text is
  // queue.lua's, then its own, which calls queue.lua's job_starter.
  const std::string_view take = scripts::take_jobs().source();
  const auto helper = take.find("local function job_starter(");
  const auto own = take.find("-- helpers: include/queue.lua\n");
  REQUIRE(helper != std::string_view::npos);
  REQUIRE(own != std::string_view::npos);
  CHECK(helper < own);
  CHECK(take.find("job_starter(base", own) != std::string_view::npos);

  // Two helpers, in the order named.
  const std::string_view requeue = scripts::requeue_unlocked().source();
  const auto queue = requeue.find("local function wait_target(");
  const auto back = requeue.find("local function back_to_head(");
  REQUIRE(queue != std::string_view::npos);
  REQUIRE(back != std::string_view::npos);
  CHECK(queue < back);

  // A script without helpers is its file alone.
  CHECK(scripts::extend_locks().source().starts_with(
    "-- Renew the locks of every job a worker holds"));
}
