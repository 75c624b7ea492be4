#include "suggest.hpp"

#include <fmt/core.h>

#include <algorithm>

namespace jq::cli {

namespace {

// The most suggestions made at once.
constexpr std::size_t k_max_suggestions = 3;

// `name` without the dashes of a flag: the part a typo is measured on.
std::string_view core_of(std::string_view name)
{
  while (name.starts_with('-')) {
    name.remove_prefix(1);
  }
  return name;
}

// How many edits still read as a typo between names this long.
std::size_t allowed_edits(std::size_t length)
{
  if (length <= 4) {
    return 1;
  }
  return length <= 8 ? 2 : 3;
}

} // namespace

std::size_t edit_distance(std::string_view a, std::string_view b)
{
  // Three rows of the classic table: the swap of two neighbours looks two
  // rows back.
  std::vector<std::size_t> before(b.size() + 1);
  std::vector<std::size_t> previous(b.size() + 1);
  std::vector<std::size_t> current(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) {
    previous[j] = j;
  }
  for (std::size_t i = 1; i <= a.size(); ++i) {
    current[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      current[j] =
        std::min({previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        current[j] = std::min(current[j], before[j - 2] + 1);
      }
    }
    std::swap(before, previous);
    std::swap(previous, current);
  }
  return previous[b.size()];
}

std::vector<std::string> near_names(std::string_view typed,
                                    std::span<const std::string> candidates)
{
  const std::string_view typed_core = core_of(typed);
  std::vector<std::string> best;
  std::size_t best_distance = 0;
  for (const std::string& candidate : candidates) {
    if (candidate == typed
        || std::find(best.begin(), best.end(), candidate) != best.end()) {
      continue;
    }
    const std::string_view core = core_of(candidate);
    const std::size_t distance = edit_distance(typed_core, core);
    if (distance > allowed_edits(std::min(typed_core.size(), core.size()))) {
      continue;
    }
    if (best.empty() || distance < best_distance) {
      best = {candidate};
      best_distance = distance;
    } else if (distance == best_distance) {
      best.push_back(candidate);
    }
  }
  if (best.empty() && typed_core.size() >= 2) {
    // An abbreviation: only if it names one candidate.
    for (const std::string& candidate : candidates) {
      if (candidate.starts_with(typed) && candidate != typed
          && std::find(best.begin(), best.end(), candidate) == best.end()) {
        best.push_back(candidate);
      }
    }
    if (best.size() != 1) {
      best.clear();
    }
  }
  if (best.size() > k_max_suggestions) {
    best.resize(k_max_suggestions);
  }
  return best;
}

std::string did_you_mean(std::string_view typed,
                         std::span<const std::string> candidates)
{
  const auto names = near_names(typed, candidates);
  if (names.empty()) {
    return {};
  }
  std::string text = "did you mean ";
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) {
      text += i + 1 == names.size() ? " or " : ", ";
    }
    text += fmt::format("'{}'", names[i]);
  }
  return text + "?";
}

} // namespace jq::cli
