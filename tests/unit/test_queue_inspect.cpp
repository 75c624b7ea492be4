#include <jq/core/error.hpp>
#include <jq/queue/admin.hpp>
#include <jq/queue/inspector.hpp>
#include <jq/queue/keys.hpp>
#include <jq/queue/monitor.hpp>

#include <doctest/doctest.h>

using jq::queue::JobState;
using jq::queue::Keys;

TEST_CASE("jq::queue::Keys::match_queue_key")
{
  SUBCASE("queue-level keys name their queue and type")
  {
    const auto wait = Keys::match_queue_key("bull", "bull:jq:wait");
    REQUIRE(wait);
    CHECK(wait->queue == "jq");
    CHECK(wait->type == "list");
    CHECK(Keys::match_queue_key("bull", "bull:jq:id")->type == "string");
    CHECK(Keys::match_queue_key("bull", "bull:jq:completed")->type == "zset");
    const auto paused = Keys::match_queue_key("bull", "bull:jq:meta-paused");
    REQUIRE(paused);
    CHECK(paused->queue == "jq");
    CHECK(paused->type == "string");
    // Queue names may hold colons.
    CHECK(Keys::match_queue_key("bull", "bull:a:b:failed")->queue == "a:b");
  }

  SUBCASE("other keys are not queues")
  {
    CHECK_FALSE(Keys::match_queue_key("bull", "bull:jq:42"));
    CHECK_FALSE(Keys::match_queue_key("bull", "bull:jq:42:lock"));
    CHECK_FALSE(Keys::match_queue_key("bull", "bull:jq:meta"));
    CHECK_FALSE(Keys::match_queue_key("bull", "bull::wait"));
    CHECK_FALSE(Keys::match_queue_key("bull", "other:jq:wait"));
    CHECK_FALSE(Keys::match_queue_key("bull", "bullx:jq:wait"));
  }

  SUBCASE("the scan pattern escapes the prefix")
  {
    CHECK(Keys::queue_scan_pattern("bull") == "bull:*[dte]");
    CHECK(Keys::queue_scan_pattern("a*b?[c]") == "a\\*b\\?\\[c\\]:*[dte]");
  }

  SUBCASE("new key names")
  {
    const Keys keys("bull", "jq");
    CHECK(keys.debounce("x") == "bull:jq:de:x");
    CHECK(keys.limiter_index() == "bull:jq:limiter:index");
    CHECK(keys.delayed_channel() == "bull:jq:delayed");
  }
}

TEST_CASE("jq::queue::parse_client_list")
{
  const auto clients = jq::queue::parse_client_list(
    "id=3 addr=127.0.0.1:5000 laddr=127.0.0.1:6379 fd=8 name=bull:anE= "
    "age=12 idle=0 db=0 cmd=brpoplpush user=default\n"
    "id=4 addr=127.0.0.1:5001 name= age=1 idle=1 cmd=client|list\n");
  REQUIRE(clients.size() == 2);
  CHECK(clients[0].at("name") == "bull:anE=");
  CHECK(clients[0].at("cmd") == "brpoplpush");
  CHECK(clients[0].at("age") == "12");
  CHECK(clients[1].at("name").empty());
  CHECK(clients[1].at("cmd") == "client|list");
  CHECK(jq::queue::parse_client_list("").empty());
}

TEST_CASE("jq::queue::parse_list_state")
{
  CHECK(jq::queue::parse_list_state("wait") == JobState::waiting);
  CHECK(jq::queue::parse_list_state("waiting") == JobState::waiting);
  CHECK(jq::queue::parse_list_state("failed") == JobState::failed);
  CHECK_THROWS_AS(jq::queue::parse_list_state("stuck"), jq::UsageError);
  CHECK_THROWS_AS(jq::queue::parse_list_state(""), jq::UsageError);
  CHECK(jq::queue::is_list_state(JobState::paused));
  CHECK_FALSE(jq::queue::is_list_state(JobState::delayed));
  CHECK(jq::queue::to_string(JobState::stuck) == "stuck");
}

TEST_CASE("jq::queue::JobResult")
{
  using jq::queue::Action;
  using jq::queue::ActionResult;
  using jq::queue::JobResult;
  CHECK(JobResult{"1", Action::retry, ActionResult::applied, false}.result()
        == "retried");
  CHECK(JobResult{"1", Action::retry, ActionResult::applied, true}.result()
        == "would_retry");
  CHECK(JobResult{"1", Action::clean, ActionResult::applied, false}.result()
        == "removed");
  CHECK(
    JobResult{"1", Action::promote, ActionResult::wrong_state, false}.result()
    == "not_delayed");
  CHECK(JobResult{"1", Action::retry, ActionResult::wrong_state, false}.result()
        == "not_failed");
  CHECK(
    JobResult{"1", Action::remove, ActionResult::locked, false}.to_json().dump()
    == R"({"id":"1","action":"remove","result":"locked","dryRun":false})");
}
