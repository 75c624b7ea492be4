#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace jq::cli {

// The number of single-character edits (insert, delete, replace, or swap
// two neighbours) that turn `a` into `b` (optimal string alignment, as git's
// "did you mean"). ASCII case counts: `List` is one edit from `list`.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The names of `candidates` that `typed` is likely a typo of, best first:
// those at the smallest edit distance, if it is small for their length (at
// most 1 for up to 4 characters, 2 for up to 8, then 3), or else the one
// candidate that starts with `typed` (`--conc` for `--concurrency`). Empty
// when none is close: a suggestion far off helps less than none.
std::vector<std::string> near_names(std::string_view typed,
                                    std::span<const std::string> candidates);

// "did you mean 'list'?" (or "'counts' or 'clean'?") for near_names(),
// or "" when there is none.
std::string did_you_mean(std::string_view typed,
                         std::span<const std::string> candidates);

} // namespace jq::cli
