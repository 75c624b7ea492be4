// Fuzz the decoding of what producers write: a job's `data` (parse_request,
// and jq-submit's own job_data), Bull's `opts` values (KeepPolicy, Backoff,
// the Job accessors) and the values a start returns (Job::from_fields).
//
// The input is JSON text as a producer might store it; any bytes go. Only the
// library's own exceptions for bad input are expected; anything else (another
// exception, a sanitizer report, a broken invariant) is a finding.

#include "resp.hpp"

#include <jq/cli/job_input.hpp>
#include <jq/core/error.hpp>
#include <jq/core/json.hpp>
#include <jq/queue/job.hpp>
#include <jq/sql/request.hpp>

#include <nlohmann/json.hpp>

#include <climits>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

using nlohmann::json;

void check(bool condition, const char* what)
{
  if (!condition) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

// parse_request either throws ProtocolError or gives a request that survives
// a round trip through its canonical JSON.
void check_request(const json& data)
{
  jq::sql::Request request;
  try {
    request = jq::sql::parse_request(data);
  } catch (const jq::ProtocolError&) {
    return;
  }
  check(!request.db.empty(), "parse_request: empty db");
  check(!request.sql.empty(), "parse_request: empty sql");
  using Kind = jq::sql::Params::Kind;
  const auto names_fit = [](const jq::sql::Params& params) {
    return params.kind == Kind::named
             ? params.names.size() == params.values.size()
             : params.names.empty();
  };
  check(names_fit(request.params), "parse_request: names do not fit values");
  check(request.params.kind != Kind::none || request.params.values.empty(),
        "parse_request: values without params");
  check(!request.rows || request.params.kind == Kind::none,
        "parse_request: both params and rows");
  if (request.rows) {
    for (const auto& row : *request.rows) {
      check(row.kind != Kind::none && names_fit(row),
            "parse_request: a row without parameters, or names that do not "
            "fit");
    }
  }
  const json canonical = jq::sql::to_json(request);
  (void)jq::dump_json(canonical);
  const jq::sql::Request again = jq::sql::parse_request(canonical);
  check(again == request,
        "parse_request(to_json(request)) differs from request");
}

// What jq-submit builds from --params/--rows is either refused (UsageError)
// or a job the worker's decoder answers cleanly (accepts or rejects).
void check_job_data(const std::string& text)
{
  for (const bool is_rows : {false, true}) {
    json data;
    try {
      data = jq::cli::job_data(
        "db", "select ?", {}, is_rows ? "" : text, is_rows ? text : "");
    } catch (const jq::UsageError&) {
      continue;
    }
    (void)jq::dump_json(data);
    check_request(data);
  }
}

// Bull's stored option values decode to sane numbers whatever they are.
void check_opts_value(const json& value)
{
  const auto keep = jq::queue::KeepPolicy::from_opts(value);
  check(keep.count >= -1, "KeepPolicy: count < -1");
  check(keep.age_seconds >= 0, "KeepPolicy: negative age");
  const auto backoff = jq::queue::Backoff::from_opts(value);
  check(backoff.delay.count() >= 0, "Backoff: negative delay");
  for (const int attempts : {0, 1, 2, 3, 10, 40, 41, 1000, INT_MAX}) {
    check(backoff.delay_for(attempts).count() >= 0,
          "Backoff::delay_for: negative delay");
  }
  (void)jq::dump_json(backoff.to_opts());
}

void check_job_accessors(const jq::queue::Job& job)
{
  check(job.attempts() >= 1, "Job::attempts() < 1");
  (void)job.backoff();
  (void)job.lifo();
  if (const auto timeout = job.timeout()) {
    check(timeout->count() > 0, "Job::timeout() not positive");
  }
  if (const auto deadline = job.deadline_ms()) {
    check(*deadline > 0, "Job::deadline_ms() not positive");
  }
  const auto completed = job.keep_completed();
  const auto failed = job.keep_failed();
  check(completed.count >= -1 && failed.count >= -1, "Job: keep count < -1");
  check(job.stacktrace.is_array() || job.stacktrace.is_null(),
        "Job: stacktrace neither an array nor none yet");
  // The worker counts this attempt as attempts_made + 1.
  check(job.attempts_made >= 0 && job.attempts_made < INT_MAX,
        "Job: attempts_made negative or about to overflow");
}

void check_opts(const json& value)
{
  check_opts_value(value);
  jq::queue::Job job;
  job.opts = jq::queue::StoredOpts::from_json(value);
  if (value.is_object()) {
    for (const auto& [key, member] : value.items()) {
      check_opts_value(member);
    }
  }
  check_job_accessors(job);
}

// A start's values (Job::from_fields) with `text` in every one, then the
// members of the JSON object where their names match the fields (as a
// producer could write them; nil for the others), then too few values.
void check_hash(std::string_view text, const json& parsed)
{
  const auto& names = jq::queue::Job::start_fields;
  jq::fuzz::Resp all;
  all.array(std::size(names));
  for (std::size_t i = 0; i < std::size(names); ++i) {
    all.bulk(text);
  }
  {
    const auto reply = jq::fuzz::read_reply(all);
    const auto job = jq::queue::Job::from_fields("1", reply, 1);
    check(job.data == text, "Job::from_fields: data differs");
    check_job_accessors(job);
  }
  if (parsed.is_object()) {
    jq::fuzz::Resp fields;
    fields.array(std::size(names));
    for (const auto field : names) {
      const auto member = parsed.find(std::string(field));
      if (member == parsed.end()) {
        fields.nil();
      } else {
        fields.bulk(member->is_string() ? member->get<std::string>()
                                        : jq::dump_json(*member));
      }
    }
    const auto reply = jq::fuzz::read_reply(fields);
    check_job_accessors(jq::queue::Job::from_fields("2", reply, 2));
  }
  jq::fuzz::Resp short_reply;
  short_reply.array(1).bulk(text);
  try {
    (void)jq::queue::Job::from_fields(
      "3", jq::fuzz::read_reply(short_reply), 3);
    check(false, "Job::from_fields: took too few values");
  } catch (const jq::ProtocolError&) {
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes,
                                      std::size_t size)
{
  const std::string text(reinterpret_cast<const char*>(bytes), size);
  const json parsed = json::parse(text, nullptr, false);
  if (!parsed.is_discarded()) {
    check_request(parsed);
    check_opts(parsed);
  }
  check_job_data(text);
  check_hash(text, parsed);
  return 0;
}
