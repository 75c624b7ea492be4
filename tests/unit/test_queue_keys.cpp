#include <jq/queue/keys.hpp>

#include <doctest/doctest.h>

#include <string>

using jq::queue::Keys;

TEST_CASE("jq::queue::Keys")
{
  const Keys keys("bull", "jq");

  SUBCASE("parts")
  {
    CHECK(keys.prefix() == "bull");
    CHECK(keys.queue() == "jq");
    CHECK(keys.base() == "bull:jq:");
  }

  SUBCASE("queue keys")
  {
    CHECK(keys.wait() == "bull:jq:wait");
    CHECK(keys.paused() == "bull:jq:paused");
    CHECK(keys.meta_paused() == "bull:jq:meta-paused");
    CHECK(keys.meta() == "bull:jq:meta");
    CHECK(keys.active() == "bull:jq:active");
    CHECK(keys.priority() == "bull:jq:priority");
    CHECK(keys.delayed() == "bull:jq:delayed");
    CHECK(keys.completed() == "bull:jq:completed");
    CHECK(keys.failed() == "bull:jq:failed");
    CHECK(keys.id() == "bull:jq:id");
    CHECK(keys.stalled() == "bull:jq:stalled");
    CHECK(keys.stalled_check() == "bull:jq:stalled-check");
  }

  SUBCASE("job keys")
  {
    CHECK(keys.job("42") == "bull:jq:42");
    CHECK(keys.lock("42") == "bull:jq:42:lock");
    CHECK(keys.logs("42") == "bull:jq:42:logs");
    CHECK(keys.job("order-7") == "bull:jq:order-7");
  }

  SUBCASE("channels")
  {
    CHECK(keys.waiting_channel("tok") == "bull:jq:waiting@tok");
    CHECK(keys.active_channel("tok") == "bull:jq:active@tok");
    CHECK(keys.stalled_channel() == "bull:jq:stalled@");
    CHECK(keys.duplicated_channel("tok") == "bull:jq:duplicated@tok");
    CHECK(keys.drained_channel() == "bull:jq:drained");
    CHECK(keys.paused_channel() == "bull:jq:paused");
    CHECK(keys.resumed_channel() == "bull:jq:resumed");
    // `completed` and `failed` share their key's name.
    CHECK(keys.completed() == "bull:jq:completed");
    CHECK(keys.failed() == "bull:jq:failed");
  }

  SUBCASE("another prefix and queue")
  {
    const Keys other("myapp", "reports.daily");
    CHECK(other.base() == "myapp:reports.daily:");
    CHECK(other.wait() == "myapp:reports.daily:wait");
    CHECK(other.lock("1") == "myapp:reports.daily:1:lock");
  }
}

TEST_CASE("jq::queue::Keys::worker_client_name")
{
  CHECK(Keys("bull", "jq").worker_client_name() == "bull:anE=");
  CHECK(Keys("bull", "foobar").worker_client_name() == "bull:Zm9vYmFy");
  CHECK(Keys("myapp", "f").worker_client_name() == "myapp:Zg==");
}

TEST_CASE("jq::queue::Keys::job_id_problem")
{
  SUBCASE("refused, each with its rule")
  {
    const std::pair<const char*, const char*> cases[] = {
      {"", "cannot be empty"},
      {"wait", "own keys"},
      {"meta-paused", "own keys"},
      {"stalled-check", "own keys"},
      {"repeat", "own keys"},
      {"lock", "own keys"},
      {"logs", "own keys"},
      {"b:wait", "cannot contain ':'"},
      {"7:lock", "cannot contain ':'"},
      {"de:abc", "cannot contain ':'"},
      {"order:7", "cannot contain ':'"},
    };
    for (const auto& [id, rule] : cases) {
      CAPTURE(id);
      const auto problem = Keys::job_id_problem(id);
      REQUIRE(problem);
      CHECK(problem->find(rule) != std::string::npos);
    }
  }

  SUBCASE("ordinary ids")
  {
    for (const char* id : {"1",
                           "42",
                           "order-7",
                           "Wait",
                           "waits",
                           "x-lockout",
                           "7a",
                           "-1",
                           "1.5",
                           "élan",
                           "3f2b8c1e-0d4a-4c6b-9e1f-2a3b4c5d6e7f"}) {
      CAPTURE(id);
      CHECK_FALSE(Keys::job_id_problem(id));
    }
  }
}
