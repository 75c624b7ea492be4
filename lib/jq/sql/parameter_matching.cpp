#include "parameter_matching.hpp"

#include <jq/core/error.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <string_view>

namespace jq::sql {

void check_positional_count(std::size_t count, std::size_t given)
{
  if (given != count) {
    throw JobError(
      fmt::format("the statement has {} parameter{} but {} {} given",
                  count,
                  count == 1 ? "" : "s",
                  given,
                  given == 1 ? "was" : "were"));
  }
}

std::size_t
find_named(const std::string& key,
           const std::function<std::size_t(const std::string&)>& index_of,
           std::size_t none)
{
  if (!key.empty()
      && std::string_view(":@$?").find(key[0]) != std::string_view::npos) {
    return index_of(key);
  }
  std::string name;
  name.reserve(key.size() + 1);
  for (const char prefix : {':', '@', '$'}) {
    name.assign(1, prefix);
    name += key;
    if (const std::size_t index = index_of(name); index != none) {
      return index;
    }
  }
  return none;
}

void match_params(const Params& params,
                  std::size_t count,
                  const std::vector<std::string>& names,
                  const SetParameter& set)
{
  if (params.kind != Params::Kind::named) {
    check_positional_count(count, params.values.size());
    for (std::size_t i = 0; i < count; ++i) {
      set(i, params.values[i], fmt::format("parameter {}", i + 1));
    }
    return;
  }
  const auto index_of = [&](const std::string& name) {
    return static_cast<std::size_t>(std::find(names.begin(), names.end(), name)
                                    - names.begin());
  };
  std::vector<bool> is_bound(count, false);
  for (std::size_t i = 0; i < params.values.size(); ++i) {
    const std::string& key = params.names[i];
    const std::size_t index = find_named(key, index_of, names.size());
    if (index >= count) {
      throw JobError(
        fmt::format("the statement has no parameter named '{}'", key));
    }
    set(index, params.values[i], fmt::format("parameter '{}'", key));
    is_bound[index] = true;
  }
  for (std::size_t i = 0; i < count; ++i) {
    if (!is_bound[i]) {
      throw JobError(fmt::format("parameter '{}' has no value", names[i]));
    }
  }
}

} // namespace jq::sql
