#pragma once

#include <jq/queue/outcome.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace jq::queue {

// A job's `completed` or `failed` event, as published on the queue's
// channel of that name. Bull's event is {"jobId", "val"}, `val` being the
// returnvalue's JSON text (completed) or the failedReason (failed).
// jq-worker's also carries attempts, processedOn, finishedOn and, on
// failure, the last stack entry: such an event is "whole", the outcome
// itself, and its waiter need not read the job.
struct FinishEvent
{
  std::string job_id;
  bool is_completed = true;
  bool is_whole = false;
  std::int64_t attempts = 0;
  std::int64_t processed_on = 0;
  std::int64_t finished_on = 0;
  std::optional<std::string> val;
  std::string stack;
};

// The event's JSON text. `event.val` is unchanged afterwards (it is moved
// out and back, not copied: it is the whole reply).
std::string encode_finish_event(FinishEvent& event);

using JobIdFilter = std::function<bool(const std::string& job_id)>;

// Decode the payload of an event on the completed (`is_completed`) or
// failed channel in one pass, without building a document (`val` stays
// text until to_outcome). std::nullopt when it is not a JSON object with a
// string or integer jobId, nests too deep, or `is_wanted` (if set) refuses
// its job id. Written by anyone: numbers that are not sane integers count
// as absent.
std::optional<FinishEvent> decode_finish_event(
  std::string_view text, bool is_completed, const JobIdFilter& is_wanted = {});

// The outcome the event tells; a completed event's `val` is parsed here,
// once.
Outcome to_outcome(FinishEvent event);

} // namespace jq::queue
