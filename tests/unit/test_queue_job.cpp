#include <jq/core/error.hpp>
#include <jq/core/json.hpp>
#include <jq/queue/job.hpp>
#include <jq/queue/scripts.hpp>
#include <jq/redis/reply.hpp>

#include <doctest/doctest.h>
#include <hiredis/hiredis.h>
#include <nlohmann/json.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using jq::queue::Backoff;
using jq::queue::Job;
using jq::queue::JobOptions;
using jq::queue::KeepPolicy;
using jq::queue::StoredOpts;
using nlohmann::json;

TEST_CASE("jq::queue::Backoff::parse")
{
  SUBCASE("fixed and exponential")
  {
    const auto fixed = Backoff::parse("fixed:1s");
    CHECK(fixed.kind == Backoff::Kind::fixed);
    CHECK(fixed.delay == 1s);

    const auto exp = Backoff::parse("exp:200ms");
    CHECK(exp.kind == Backoff::Kind::exponential);
    CHECK(exp.delay == 200ms);

    const auto exponential = Backoff::parse("exponential:1s");
    CHECK(exponential.kind == Backoff::Kind::exponential);
    CHECK(exponential.delay == 1s);
  }

  SUBCASE("bad ones are UsageError")
  {
    for (const char* text : {"",
                             "fixed",
                             "1s",
                             "fixed:",
                             "fixed:abc",
                             "fixed:-1s",
                             "exp:5x",
                             "linear:1s",
                             "Fixed:1s",
                             ":1s"}) {
      CAPTURE(text);
      CHECK_THROWS_AS(Backoff::parse(text), jq::UsageError);
    }
  }
}

TEST_CASE("jq::queue::Backoff::from_opts")
{
  SUBCASE("a number is a fixed delay")
  {
    const auto backoff = Backoff::from_opts(json(500));
    CHECK(backoff.kind == Backoff::Kind::fixed);
    CHECK(backoff.delay == 500ms);
  }

  SUBCASE("an object with a type and a delay")
  {
    const auto exp =
      Backoff::from_opts(json::parse(R"({"type":"exponential","delay":200})"));
    CHECK(exp.kind == Backoff::Kind::exponential);
    CHECK(exp.delay == 200ms);

    const auto fixed =
      Backoff::from_opts(json::parse(R"({"type":"fixed","delay":1000})"));
    CHECK(fixed.kind == Backoff::Kind::fixed);
    CHECK(fixed.delay == 1s);
  }

  SUBCASE("unknown or missing types give none")
  {
    for (const char* text : {R"({"type":"custom","delay":200})",
                             R"({"delay":200})",
                             R"({})",
                             "null",
                             R"("exponential")",
                             "true",
                             "[]"}) {
      CAPTURE(text);
      const auto backoff = Backoff::from_opts(json::parse(text));
      CHECK(backoff.kind == Backoff::Kind::none);
      CHECK(backoff.delay_for(1) == 0ms);
    }
  }

  SUBCASE("a negative delay becomes 0")
  {
    CHECK(Backoff::from_opts(json(-5)).delay == 0ms);
    CHECK(
      Backoff::from_opts(json::parse(R"({"type":"fixed","delay":-5})")).delay
      == 0ms);
  }

  SUBCASE("round trips through to_opts")
  {
    const auto exp = Backoff::parse("exp:200ms");
    CHECK(exp.to_opts()
          == json::parse(R"({"type":"exponential","delay":200})"));
    const auto again = Backoff::from_opts(exp.to_opts());
    CHECK(again.kind == exp.kind);
    CHECK(again.delay == exp.delay);
    CHECK(Backoff::parse("fixed:1s").to_opts()
          == json::parse(R"({"type":"fixed","delay":1000})"));
  }
}

TEST_CASE("jq::queue::Backoff::delay_for")
{
  SUBCASE("none retries at once")
  {
    const Backoff none;
    CHECK(none.delay_for(1) == 0ms);
    CHECK(none.delay_for(5) == 0ms);
  }

  SUBCASE("fixed waits the same each time")
  {
    const auto fixed = Backoff::parse("fixed:1s");
    CHECK(fixed.delay_for(1) == 1s);
    CHECK(fixed.delay_for(2) == 1s);
    CHECK(fixed.delay_for(10) == 1s);
  }

  SUBCASE("exponential is Bull's (2^n - 1) * d")
  {
    const auto exp = Backoff::parse("exp:200ms");
    CHECK(exp.delay_for(1) == 200ms);
    CHECK(exp.delay_for(2) == 600ms);
    CHECK(exp.delay_for(3) == 1400ms);
    CHECK(exp.delay_for(4) == 3000ms);
  }

  SUBCASE("a huge exponential delay stays positive")
  {
    Backoff exp;
    exp.kind = Backoff::Kind::exponential;
    exp.delay = 24h;
    for (const int attempts : {30, 40, 100, 1000}) {
      CAPTURE(attempts);
      CHECK(exp.delay_for(attempts) > 24h);
    }
    CHECK(exp.delay_for(100) == exp.delay_for(40));
  }
}

TEST_CASE("jq::queue::KeepPolicy::from_opts")
{
  const auto keep = [](const char* text) {
    return KeepPolicy::from_opts(json::parse(text));
  };

  SUBCASE("booleans and null")
  {
    CHECK(keep("true").count == 0);
    CHECK(keep("false").count == -1);
    CHECK(keep("null").count == -1);
    CHECK(keep("null").age_seconds == 0);
  }

  SUBCASE("a number keeps the newest n")
  {
    CHECK(keep("5").count == 5);
    CHECK(keep("0").count == 0);
    CHECK(keep("5").age_seconds == 0);
  }

  SUBCASE("a negative count keeps all, as in Bull's scripts")
  {
    CHECK(keep("-1").count == -1);
    CHECK(keep("-5").count == -1);
    CHECK(keep(R"({"count":-3})").count == -1);
  }

  SUBCASE("an object with an age and a count")
  {
    const auto age = keep(R"({"age":60})");
    CHECK(age.age_seconds == 60);
    CHECK(age.count == -1);

    const auto both = keep(R"({"age":60,"count":3})");
    CHECK(both.age_seconds == 60);
    CHECK(both.count == 3);

    const auto count = keep(R"({"count":3})");
    CHECK(count.count == 3);
    CHECK(count.age_seconds == 0);

    CHECK(keep(R"({"age":60,"count":0})").count == 0);
    CHECK(keep("{}").count == -1);
  }
}

TEST_CASE("jq::queue::JobOptions::opts_text")
{
  SUBCASE("the defaults")
  {
    const JobOptions options;
    const std::string text = options.opts_text(1'700'000'000'000);
    CHECK(text == R"({"attempts":1,"delay":0,"timestamp":1700000000000})");
    const json opts = json::parse(text);
    CHECK(opts["attempts"] == 1);
    CHECK(opts["delay"] == 0);
    CHECK(opts["timestamp"] == 1'700'000'000'000);
    CHECK_FALSE(opts.contains("jobId"));
    CHECK_FALSE(opts.contains("backoff"));
    CHECK_FALSE(opts.contains("priority"));
    CHECK_FALSE(opts.contains("lifo"));
    CHECK_FALSE(opts.contains("timeout"));
    CHECK_FALSE(opts.contains("removeOnComplete"));
    CHECK_FALSE(opts.contains("removeOnFail"));
  }

  SUBCASE("every option set")
  {
    JobOptions options;
    options.job_id = "order-7";
    options.attempts = 3;
    options.backoff = Backoff::parse("exp:200ms");
    options.delay = 5s;
    options.priority = 2;
    options.lifo = true;
    options.timeout = 30s;
    options.remove_on_complete = json::parse(R"({"age":60,"count":3})");
    options.remove_on_fail = false;
    options.deadline_ms = 99;
    const std::string text = options.opts_text(42);
    // As dumping the object writes it: members by name.
    CHECK(text == jq::dump_json(json::parse(text)));
    const json opts = json::parse(text);
    CHECK(opts["deadline"] == 99);
    CHECK(opts["jobId"] == "order-7");
    CHECK(opts["attempts"] == 3);
    CHECK(opts["backoff"]
          == json::parse(R"({"type":"exponential","delay":200})"));
    CHECK(opts["delay"] == 5000);
    CHECK(opts["priority"] == 2);
    CHECK(opts["lifo"] == true);
    CHECK(opts["timeout"] == 30000);
    CHECK(opts["removeOnComplete"] == json::parse(R"({"age":60,"count":3})"));
    CHECK(opts["removeOnFail"] == false);
    CHECK(opts["timestamp"] == 42);
  }

  SUBCASE("an id that needs escaping is written as dumping it would")
  {
    for (const char* id :
         {"a\"b", "back\\slash", "tab\there", "\x01", "caf\u00e9", "\xff"}) {
      CAPTURE(id);
      JobOptions options;
      options.job_id = id;
      const std::string text = options.opts_text(1);
      json expected = {
        {"attempts", 1}, {"delay", 0}, {"jobId", id}, {"timestamp", 1}};
      CHECK(text == jq::dump_json(expected));
    }
  }

  SUBCASE("a worker reads back what a producer wrote")
  {
    JobOptions options;
    options.attempts = 4;
    options.backoff = Backoff::parse("fixed:1s");
    options.timeout = 250ms;
    options.lifo = true;
    options.remove_on_complete = 5;
    options.remove_on_fail = true;
    Job job;
    job.opts = StoredOpts::parse(options.opts_text(1));
    CHECK(job.attempts() == 4);
    CHECK(job.backoff().kind == Backoff::Kind::fixed);
    CHECK(job.backoff().delay == 1s);
    CHECK(job.timeout() == 250ms);
    CHECK(job.lifo());
    CHECK(job.keep_completed().count == 5);
    CHECK(job.keep_failed().count == 0);
  }
}

TEST_CASE("jq::queue::Job accessors on foreign opts")
{
  Job job;
  job.opts = StoredOpts::parse(
    R"({"attempts":"3","timeout":-1,"lifo":"yes","backoff":"fast"})");
  CHECK(job.attempts() == 1);
  CHECK_FALSE(job.timeout().has_value());
  CHECK_FALSE(job.lifo());
  CHECK(job.backoff().kind == Backoff::Kind::none);
  CHECK(job.keep_completed().count == -1);

  job.opts = StoredOpts::parse(R"({"attempts":0,"timeout":1500.7})");
  CHECK(job.attempts() == 1);
  CHECK(job.timeout() == 1500ms);

  // Out-of-range numbers are clamped, never cast as they are (UB).
  job.opts = StoredOpts::parse(R"({"attempts":1e300,"timeout":1e300,
    "deadline":18446744073709551615,"backoff":{"type":"fixed","delay":-1e300},
    "removeOnComplete":1e300})");
  CHECK(job.attempts() == 1'000'000);
  REQUIRE(job.timeout().has_value());
  CHECK(job.timeout()->count() == 9'200'000'000'000'000);
  CHECK(job.deadline_ms() == 9'200'000'000'000'000);
  CHECK(job.backoff().delay == 0ms);
  CHECK(job.keep_completed().count == 9'200'000'000'000'000);
}

TEST_CASE("jq::dump_json")
{
  SUBCASE("compact, UTF-8 kept as is")
  {
    CHECK(jq::dump_json(json::parse(R"({"a":[1,"é"]})"))
          == "{\"a\":[1,\"é\"]}");
  }

  SUBCASE("never throws on invalid UTF-8")
  {
    const json value = {{"error", std::string("bad \xff\xfe byte")},
                        {"tail", std::string("cut \xc3")}};
    std::string text;
    CHECK_NOTHROW(text = jq::dump_json(value));
    CHECK(text.find("\xef\xbf\xbd") != std::string::npos); // U+FFFD
    // The replacement is valid JSON again.
    const json again = json::parse(text);
    CHECK(again["error"].get<std::string>().starts_with("bad "));
    CHECK(again["error"].get<std::string>().ends_with(" byte"));
  }
}

TEST_CASE("jq::queue::identity_key")
{
  const jq::queue::Keys keys("bull", "jq");
  jq::queue::Job job;
  job.id = "3f2a-uuid";
  job.data = R"j({"db":"app","sql":"insert into t values (1)"})j";
  job.timestamp = 1700000000000;
  const std::string key = jq::queue::identity_key(keys, job);
  CHECK(key.starts_with("bull:jq:3f2a-uuid:"));

  SUBCASE("the same job added again later is the same job")
  {
    jq::queue::Job again = job;
    again.timestamp += 60'000;
    again.attempts_made = 2;
    CHECK(jq::queue::identity_key(keys, again) == key);
  }
  SUBCASE("another job reusing the id is not")
  {
    jq::queue::Job other = job;
    other.data = R"j({"db":"app","sql":"insert into t values (2)"})j";
    CHECK(jq::queue::identity_key(keys, other) != key);
  }
  SUBCASE("ids and queues with colons do not run together")
  {
    jq::queue::Job colon = job;
    colon.id = "b:c";
    jq::queue::Job other = job;
    other.id = "c";
    CHECK(jq::queue::identity_key(jq::queue::Keys("bull", "a"), colon)
          != jq::queue::identity_key(jq::queue::Keys("bull", "a:b"), other));
  }
  SUBCASE("another queue is not")
  {
    CHECK(jq::queue::identity_key(jq::queue::Keys("bull", "other"), job)
          != key);
  }
  SUBCASE("a counter id tells jobs apart by their creation time too")
  {
    jq::queue::Job counted = job;
    counted.id = "7";
    jq::queue::Job after_restart = counted;
    after_restart.timestamp += 1;
    CHECK(jq::queue::identity_key(keys, counted)
          != jq::queue::identity_key(keys, after_restart));
    CHECK(jq::queue::identity_key(keys, counted)
          == jq::queue::identity_key(keys, counted));
  }
}

namespace {

// A start's values as HMGET returns them, built in memory: strings, and
// nil where an item is std::nullopt.
class FakeFields
{
public:
  explicit FakeFields(std::vector<std::optional<std::string>> items)
    : m_items(std::move(items)),
      m_replies(m_items.size())
  {
    for (std::size_t i = 0; i < m_items.size(); ++i) {
      if (m_items[i]) {
        m_replies[i].type = REDIS_REPLY_STRING;
        m_replies[i].str = m_items[i]->data();
        m_replies[i].len = m_items[i]->size();
      } else {
        m_replies[i].type = REDIS_REPLY_NIL;
      }
      m_pointers.push_back(&m_replies[i]);
    }
    m_array.type = REDIS_REPLY_ARRAY;
    m_array.elements = m_pointers.size();
    m_array.element = m_pointers.data();
  }
  jq::redis::ReplyView view() const
  {
    return jq::redis::ReplyView(&m_array);
  }

private:
  std::vector<std::optional<std::string>> m_items;
  std::vector<redisReply> m_replies;
  std::vector<redisReply*> m_pointers;
  redisReply m_array{};
};

} // namespace

TEST_CASE("jq::queue::Job::from_fields reads Bull's numbers with one rule")
{
  // name, data, opts, timestamp, attemptsMade, priority, retriedOn,
  // stacktrace
  const FakeFields fields({"report",
                           R"({"db":"app","sql":"select 1"})",
                           R"({"attempts":3})",
                           "1.7e12",
                           "2.9",
                           "4294967297",
                           "junk",
                           R"(["first"])"});
  const auto job =
    jq::queue::Job::from_fields("7", fields.view(), 1712345678901);
  CHECK(job.id == "7");
  CHECK(job.name == "report");
  CHECK(job.data == R"({"db":"app","sql":"select 1"})");
  CHECK(job.attempts() == 3);
  CHECK(job.timestamp == 1700000000000);
  CHECK(job.processed_on == 1712345678901);
  CHECK(job.retried_on == 0);
  CHECK(job.attempts_made == 2);
  CHECK(job.priority == 4294967297);
  CHECK(job.stacktrace == nlohmann::json::array({"first"}));
}

TEST_CASE("jq::queue::Job::from_fields: a missing field reads as Bull's "
          "default")
{
  // Nil for every field.
  const FakeFields fields(std::vector<std::optional<std::string>>(
    jq::queue::Job::start_fields.size()));
  const auto job = jq::queue::Job::from_fields("8", fields.view(), 5);
  CHECK(job.name == "__default__");
  CHECK(job.data.empty());
  CHECK(job.attempts() == 1);
  CHECK(job.timestamp == 0);
  CHECK(job.processed_on == 5);
  CHECK(job.retried_on == 0);
  CHECK(job.attempts_made == 0);
  CHECK(job.priority == 0);
  CHECK(job.stacktrace.is_null());
}

TEST_CASE("jq::queue::Job::start_fields is the list the scripts start jobs "
          "with")
{
  // The names between the braces of `local START_FIELDS = {...}`, as the
  // take script (with its include in front) sends them to Redis.
  const std::string_view source = jq::queue::scripts::take_jobs().source();
  const std::string_view marker = "local START_FIELDS = {";
  const auto begin = source.find(marker);
  REQUIRE(begin != std::string_view::npos);
  const auto end = source.find('}', begin);
  REQUIRE(end != std::string_view::npos);
  std::vector<std::string> names;
  std::size_t at = begin + marker.size();
  while ((at = source.find('"', at)) < end) {
    const auto close = source.find('"', at + 1);
    names.emplace_back(source.substr(at + 1, close - at - 1));
    at = close + 1;
  }
  const std::vector<std::string> expected(jq::queue::Job::start_fields.begin(),
                                          jq::queue::Job::start_fields.end());
  CHECK(names == expected);
}

TEST_CASE("jq::queue::Job::from_fields refuses another count of values")
{
  const FakeFields fields({"a", "b"});
  CHECK_THROWS_AS(jq::queue::Job::from_fields("9", fields.view(), 0),
                  jq::ProtocolError);
}

TEST_CASE("jq::queue::Job: an operator's retry after the deadline lifts it")
{
  jq::queue::Job job;
  job.opts = jq::queue::StoredOpts::from_json({{"deadline", 1000}});
  CHECK(job.deadline_ms() == 1000);
  job.retried_on = 900; // retried while the caller still waited
  CHECK(job.deadline_ms() == 1000);
  job.retried_on = 5000;
  CHECK(job.deadline_ms() == std::nullopt);
}

TEST_CASE("jq::queue::StoredOpts::parse reads what from_json reads")
{
  SUBCASE("the same members as the whole document gives")
  {
    const std::string text =
      R"({"attempts":3,"backoff":{"type":"exponential","delay":200},)"
      R"("lifo":true,"timeout":1500,"deadline":1796000000000,)"
      R"("removeOnComplete":{"age":3600,"count":10},"removeOnFail":7,)"
      R"("jobId":"a","delay":0,"timestamp":1,"stackTraceLimit":{"x":[1]}})";
    const auto read = StoredOpts::parse(text);
    const auto whole = StoredOpts::from_json(json::parse(text));
    for (const auto* opts : {&read, &whole}) {
      CHECK(opts->attempts == 3);
      CHECK(opts->backoff.kind == Backoff::Kind::exponential);
      CHECK(opts->backoff.delay == 200ms);
      CHECK(opts->lifo);
      CHECK(opts->timeout_ms == 1500);
      CHECK(opts->deadline_ms == 1796000000000);
      CHECK(opts->keep_completed.age_seconds == 3600);
      CHECK(opts->keep_completed.count == 10);
      CHECK(opts->keep_failed.count == 7);
      CHECK_FALSE(opts->repeatable_text.has_value());
    }
  }
  SUBCASE("the last of a repeated member counts, as in the document")
  {
    const auto read = StoredOpts::parse(R"({"attempts":2,"attempts":"x"})");
    CHECK(read.attempts == 1);
    CHECK(StoredOpts::parse(R"({"attempts":"x","attempts":5})").attempts == 5);
  }
  SUBCASE("opts that are not a JSON object give the defaults")
  {
    for (const char* text :
         {"", "garbage", "[1,2]", "42", R"({"attempts":3)", "null"}) {
      CAPTURE(text);
      const auto read = StoredOpts::parse(text);
      CHECK(read.attempts == 1);
      CHECK(read.keep_completed.count == -1);
      CHECK_FALSE(read.repeatable_text.has_value());
    }
    // Nested deeper than any JSON jq reads: refused before parsing.
    const std::string deep = R"({"backoff":)" + std::string(100000, '[')
                             + std::string(100000, ']') + "}";
    CHECK(StoredOpts::parse(deep).backoff.kind == Backoff::Kind::none);
  }
  SUBCASE("a repeatable job keeps its whole text; a nested repeat is no repeat")
  {
    const std::string text =
      R"({"repeat":{"every":1000},"attempts":2,"custom":{"a":[1]}})";
    const auto read = StoredOpts::parse(text);
    REQUIRE(read.repeatable_text.has_value());
    CHECK(*read.repeatable_text == text);
    CHECK(read.attempts == 2);
    CHECK_FALSE(StoredOpts::parse(R"({"custom":{"repeat":{"every":1}}})")
                  .repeatable_text.has_value());
    CHECK_FALSE(
      StoredOpts::parse(R"({"repeat":null})").repeatable_text.has_value());
  }
}
