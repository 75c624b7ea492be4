#pragma once

#include <jq/sql/value.hpp>

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace jq::sql {

// How a job's parameters are matched to a statement's, the same in every
// engine: as SQLite matches them, with SQLite's messages.

// Throws JobError unless the `given` positional values are as many as the
// statement's `count` parameters.
void check_positional_count(std::size_t count, std::size_t given);

// The parameter the job's named value `key` is for: the one named `key`
// when the key has a prefix (`:`, `@`, `$`, `?`), else the first of
// `:key`, `@key` and `$key` that the statement has. `index_of` gives the
// parameter of a name as written, or `none`; so does this when no name
// matches.
std::size_t
find_named(const std::string& key,
           const std::function<std::size_t(const std::string&)>& index_of,
           std::size_t none);

// Called with the parameter (from 0) a value is for, the value, and where
// it is for messages ("parameter 2", "parameter 'id'").
using SetParameter = std::function<void(
  std::size_t index, const Value& value, const std::string& where)>;

// Match `params` to a statement's `count` parameters, for named ones
// called `names[i]` as written (":id"), and `set` each. Throws JobError for
// a count that does not match, a key that names no parameter, or a
// parameter left without a value.
void match_params(const Params& params,
                  std::size_t count,
                  const std::vector<std::string>& names,
                  const SetParameter& set);

} // namespace jq::sql
