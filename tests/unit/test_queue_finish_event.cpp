#include <jq/core/json.hpp>
#include <jq/queue/finish_event.hpp>

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

using jq::queue::decode_finish_event;
using jq::queue::encode_finish_event;
using jq::queue::FinishEvent;
using jq::queue::Outcome;
using jq::queue::to_outcome;
using nlohmann::json;

TEST_CASE("finish event: jq-worker's event round-trips whole, val unchanged")
{
  FinishEvent event;
  event.job_id = "job \"1\"";
  event.is_completed = false;
  event.attempts = 3;
  event.processed_on = 1'000;
  event.finished_on = 2'000;
  event.val = "no such table: t\n";
  event.stack = "SqlError: no such table: t";
  const std::string text = encode_finish_event(event);
  CHECK(event.val == "no such table: t\n");

  // Bull reads jobId and val from it.
  const json parsed = json::parse(text);
  CHECK(parsed["jobId"] == "job \"1\"");
  CHECK(parsed["val"] == "no such table: t\n");

  const auto decoded = decode_finish_event(text, false);
  REQUIRE(decoded);
  CHECK(decoded->is_whole);
  const Outcome outcome = to_outcome(*decoded);
  CHECK(outcome.status == Outcome::Status::failed);
  CHECK(outcome.id == "job \"1\"");
  CHECK(outcome.attempts == 3);
  CHECK(outcome.processed_on == 1'000);
  CHECK(outcome.finished_on == 2'000);
  CHECK(outcome.failed_reason == "no such table: t\n");
  CHECK(outcome.stack == "SqlError: no such table: t");
}

TEST_CASE("finish event: written as dumping the same JSON object would")
{
  // Quotes, control characters, non-ASCII, bytes that are not UTF-8 (replaced),
  // empty text, and the limits of the numbers.
  const std::string texts[] = {"",
                               "plain",
                               "a \"quoted\" \\ path\n\t\x01\x1f",
                               "caf\xc3\xa9 \xe2\x82\xac",
                               "bad \xff\xfe bytes \xc3",
                               std::string(300, 'x')};
  for (const std::string& text : texts) {
    for (const bool completed : {true, false}) {
      for (const bool has_val : {true, false}) {
        FinishEvent event;
        event.job_id = text;
        event.is_completed = completed;
        event.attempts = completed ? 1 : INT64_MAX;
        event.processed_on = completed ? 0 : INT64_MIN;
        event.finished_on = 1'796'614'379'766;
        if (has_val) {
          event.val = text + "!";
        }
        event.stack = "stack: " + text;
        json expected = {{"jobId", event.job_id},
                         {"attempts", event.attempts},
                         {"processedOn", event.processed_on},
                         {"finishedOn", event.finished_on}};
        if (has_val) {
          expected["val"] = *event.val;
        }
        if (!completed) {
          expected["stack"] = event.stack;
        }
        CHECK(encode_finish_event(event)
              == expected.dump(-1, ' ', false, json::error_handler_t::replace));
        // Moved out and back, unchanged.
        CHECK(event.job_id == text);
        CHECK(event.stack == "stack: " + text);
        if (has_val) {
          CHECK(event.val == text + "!");
        }
      }
    }
  }
}

TEST_CASE("finish event: a completed event's val is parsed as the result")
{
  FinishEvent event;
  event.job_id = "7";
  event.attempts = 1;
  event.finished_on = 5;
  event.val = R"({"rows":[[1,"a"]],"changes":0})";
  const auto decoded = decode_finish_event(encode_finish_event(event), true);
  REQUIRE(decoded);
  const Outcome outcome = to_outcome(*decoded);
  CHECK(outcome.status == Outcome::Status::completed);
  CHECK(outcome.result == json::parse(R"({"rows":[[1,"a"]],"changes":0})"));
}

TEST_CASE("finish event: Bull's event is not whole; its val may be anything")
{
  auto event = decode_finish_event(R"({"jobId":"3","val":"not json"})", true);
  REQUIRE(event);
  CHECK_FALSE(event->is_whole);
  CHECK(to_outcome(*event).result == "not json");

  // A numeric job id, a returnvalue left undefined.
  event = decode_finish_event(R"({"jobId":12})", true);
  REQUIRE(event);
  CHECK(event->job_id == "12");
  CHECK(to_outcome(*event).result.is_null());
  CHECK(to_outcome(*event).attempts == 1);
}

TEST_CASE("finish event: foreign and hostile payloads")
{
  CHECK_FALSE(decode_finish_event("", true));
  CHECK_FALSE(decode_finish_event("[1,2]", true));
  CHECK_FALSE(decode_finish_event("\"jobId\"", true));
  CHECK_FALSE(decode_finish_event(R"({"val":"1"})", true));
  CHECK_FALSE(decode_finish_event(R"({"jobId":{"a":1},"val":"1"})", true));
  CHECK_FALSE(decode_finish_event(R"({"jobId":"1","val":"1")", true));
  // Deeper than anyone writes: refused without recursion.
  const std::string deep = R"({"jobId":"1","x":)" + std::string(100'000, '[')
                           + std::string(100'000, ']') + "}";
  CHECK_FALSE(decode_finish_event(deep, true));
  // Nested fields of the same names are not the event's.
  auto event = decode_finish_event(
    R"({"x":{"jobId":"2","attempts":9},"jobId":"1","attempts":1.5,)"
    R"("finishedOn":-4,"processedOn":18446744073709551615})",
    false);
  REQUIRE(event);
  CHECK(event->job_id == "1");
  CHECK_FALSE(event->is_whole); // attempts is not an integer
  CHECK(event->finished_on == 0);
  CHECK(event->processed_on == 0);
}

TEST_CASE("finish event: another caller's event is dropped by the filter")
{
  const jq::queue::JobIdFilter only_mine = [](const std::string& id) {
    return id == "mine";
  };
  CHECK(decode_finish_event(R"({"jobId":"mine","val":"1"})", true, only_mine));
  CHECK_FALSE(
    decode_finish_event(R"({"jobId":"theirs","val":"1"})", true, only_mine));
}
