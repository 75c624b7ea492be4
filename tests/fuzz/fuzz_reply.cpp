// Fuzz what jq-submit does with a reply it did not write: a returnvalue or
// failedReason from any worker (parse_outcome on a job_outcome reply,
// outcome_from_event on a `completed`/`failed` event), printed in every
// --format (write_result) and as the JSON envelope.
//
// The input is the stored returnvalue text; any bytes go (not JSON, invalid
// UTF-8, huge, deeply nested). Only NotOneValue from --format value is
// expected; anything else is a finding.

#include "resp.hpp"

#include <jq/cli/format.hpp>
#include <jq/cli/job_input.hpp>
#include <jq/core/error.hpp>
#include <jq/core/json.hpp>
#include <jq/queue/finish_event.hpp>
#include <jq/queue/job.hpp>
#include <jq/queue/outcome.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>

namespace {

using jq::cli::Format;
using nlohmann::json;

void check(bool condition, const char* what)
{
  if (!condition) {
    std::fprintf(stderr, "invariant broken: %s\n", what);
    std::abort();
  }
}

// Print `result` in every format, as jq-submit would.
void write_all(const json& result)
{
  for (const Format format :
       {Format::json, Format::table, Format::csv, Format::tsv, Format::value}) {
    std::ostringstream out;
    try {
      jq::cli::write_result(out, format, result);
    } catch (const jq::cli::NotOneValue&) {
      check(format == Format::value, "write_result: NotOneValue not for value");
      continue;
    }
    const std::string text = out.str();
    check(format != Format::json || (!text.empty() && text.back() == '\n'),
          "write_result json: not one line");
    if (format == Format::json) {
      // What is printed is JSON again (invalid UTF-8 replaced).
      check(!json::parse(text, nullptr, false).is_discarded(),
            "write_result json: output is not JSON");
    }
  }
}

void check_outcome(const jq::queue::Outcome& outcome)
{
  write_all(outcome.result);
  const std::string envelope = jq::dump_json(jq::cli::envelope(outcome, 0));
  check(!json::parse(envelope, nullptr, false).is_discarded(),
        "envelope is not JSON");
}

// The job_outcome script's reply: {state, HMGET returnvalue, failedReason,
// attemptsMade, stacktrace, finishedOn, processedOn}, every field `text`
// (or nil where `nil_mask` has its bit), `count` fields.
void check_script_reply(std::string_view state,
                        std::string_view text,
                        unsigned nil_mask,
                        std::size_t count)
{
  jq::fuzz::Resp resp;
  resp.array(2).bulk(state).array(count);
  for (std::size_t i = 0; i < count; ++i) {
    if ((nil_mask >> i) & 1U) {
      resp.nil();
    } else {
      resp.bulk(text);
    }
  }
  const auto reply = jq::fuzz::read_reply(resp);
  auto presence = jq::queue::Presence::known;
  std::optional<jq::queue::Outcome> outcome;
  try {
    outcome = jq::queue::parse_outcome("job-1", reply, presence);
  } catch (const jq::ProtocolError&) {
    check(count < 6, "parse_outcome: ProtocolError on a well-formed reply");
    return;
  }
  using jq::queue::Presence;
  check(presence
          == (state == "missing" ? Presence::missing
              : state == "gone"  ? Presence::gone
                                 : Presence::known),
        "parse_outcome: wrong presence");
  check(outcome.has_value() == (state == "completed" || state == "failed"),
        "parse_outcome: an outcome for a job that has not finished");
  if (outcome) {
    check(outcome->attempts >= 0, "parse_outcome: negative attempts");
    check_outcome(*outcome);
  }
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* bytes,
                                      std::size_t size)
{
  const std::string text(reinterpret_cast<const char*>(bytes), size);

  // The text as a JSON result.
  const json parsed = json::parse(text, nullptr, false);
  if (!parsed.is_discarded()) {
    write_all(parsed);
  }

  // The text as a whole event, and as the `val` of Bull's event.
  for (const bool is_completed : {true, false}) {
    if (auto event = jq::queue::decode_finish_event(text, is_completed)) {
      check_outcome(jq::queue::to_outcome(std::move(*event)));
    }
    auto event = jq::queue::decode_finish_event(
      jq::dump_json(json{{"jobId", "job-1"}, {"val", text}}), is_completed);
    check(event.has_value(), "decode_finish_event: Bull's event refused");
    check(event->job_id == "job-1", "decode_finish_event: wrong job id");
    check_outcome(jq::queue::to_outcome(std::move(*event)));
  }

  // The text in every field of the stored job.
  for (const std::string_view state :
       {"completed", "failed", "pending", "missing", "gone", "bogus"}) {
    check_script_reply(state, text, 0, 6);
  }
  check_script_reply("completed", text, 0b101010, 6);
  check_script_reply("failed", text, 0b010101, 6);
  check_script_reply("completed", text, 0b111111, 6);
  check_script_reply("failed", text, 0, 3);
  return 0;
}
