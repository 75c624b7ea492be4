// Fuzz how a worker reads a job's stored opts, which any producer writes:
// StoredOpts::parse picks a few members without building the document
// (jq::pick_json_members), and must read exactly what the whole document
// gives (StoredOpts::from_json on nlohmann's own parse), for any bytes.

#include "invariant.hpp"

#include <jq/core/json.hpp>
#include <jq/queue/job.hpp>

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string_view>

using jq::fuzz::check;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data,
                                      std::size_t size)
{
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto read = jq::queue::StoredOpts::parse(text);
  const auto document = jq::parse_untrusted_json(text);
  const auto whole = jq::queue::StoredOpts::from_json(
    document.is_discarded() ? nlohmann::json() : document);

  check(read.attempts == whole.attempts, "attempts", text);
  check(read.backoff.kind == whole.backoff.kind, "backoff kind", text);
  check(read.backoff.delay == whole.backoff.delay, "backoff delay", text);
  check(read.lifo == whole.lifo, "lifo", text);
  check(read.timeout_ms == whole.timeout_ms, "timeout", text);
  check(read.deadline_ms == whole.deadline_ms, "deadline", text);
  check(read.keep_completed.count == whole.keep_completed.count
          && read.keep_completed.age_seconds
               == whole.keep_completed.age_seconds,
        "removeOnComplete",
        text);
  check(read.keep_failed.count == whole.keep_failed.count
          && read.keep_failed.age_seconds == whole.keep_failed.age_seconds,
        "removeOnFail",
        text);
  check(read.repeatable_text.has_value() == whole.repeatable_text.has_value(),
        "repeatable",
        text);
  check(!read.repeatable_text || *read.repeatable_text == text,
        "repeatable text",
        text);
  return 0;
}
