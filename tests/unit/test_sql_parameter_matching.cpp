#include <jq/core/error.hpp>
#include <jq/sql/parameter_matching.hpp>

#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

using jq::sql::Params;
using jq::sql::Value;

namespace {

Params named(std::vector<std::string> keys)
{
  Params params;
  params.kind = Params::Kind::named;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    params.values.emplace_back(static_cast<std::int64_t>(i));
    params.names.push_back(keys[i]);
  }
  return params;
}

// What match_params set: where, by parameter; or the JobError's message.
std::map<std::size_t, std::string>
matched(const Params& params,
        std::size_t count,
        const std::vector<std::string>& names,
        std::string& error)
{
  std::map<std::size_t, std::string> set;
  try {
    jq::sql::match_params(
      params,
      count,
      names,
      [&](std::size_t index, const Value&, const std::string& where) {
        set[index] = where;
      });
  } catch (const jq::JobError& e) {
    error = e.what();
  }
  return set;
}

} // namespace

TEST_CASE("check_positional_count: SQLite's words")
{
  CHECK_NOTHROW(jq::sql::check_positional_count(2, 2));
  CHECK_THROWS_WITH_AS(jq::sql::check_positional_count(1, 0),
                       "the statement has 1 parameter but 0 were given",
                       jq::JobError);
  CHECK_THROWS_WITH_AS(jq::sql::check_positional_count(0, 1),
                       "the statement has 0 parameters but 1 was given",
                       jq::JobError);
}

TEST_CASE("find_named: a key with a prefix, or the first prefix there is")
{
  const std::vector<std::string> names = {"$a", "@a", ":b", "?c"};
  const auto find = [&](const std::string& key) {
    return jq::sql::find_named(
      key,
      [&](const std::string& name) {
        return static_cast<std::size_t>(
          std::find(names.begin(), names.end(), name) - names.begin());
      },
      names.size());
  };
  CHECK(find("a") == 1); // `@a` comes before `$a` in SQLite's order
  CHECK(find("$a") == 0);
  CHECK(find("b") == 2);
  CHECK(find("@b") == 4);
  CHECK(find("?c") == 3);
  CHECK(find("c") == 4);
  CHECK(find("") == 4);
}

TEST_CASE("match_params: positional")
{
  Params params;
  params.kind = Params::Kind::positional;
  params.values = {Value{}, Value{true}};
  std::string error;
  const auto set = matched(params, 2, {}, error);
  CHECK(error == "");
  CHECK(set
        == std::map<std::size_t, std::string>{{0, "parameter 1"},
                                              {1, "parameter 2"}});
  matched(params, 3, {}, error);
  CHECK(error == "the statement has 3 parameters but 2 were given");
  error.clear();
  matched(Params{}, 0, {}, error);
  CHECK(error == "");
}

TEST_CASE("match_params: named")
{
  const std::vector<std::string> names = {":id", "@name"};
  std::string error;
  const auto set = matched(named({"name", ":id"}), 2, names, error);
  CHECK(error == "");
  CHECK(set
        == std::map<std::size_t, std::string>{{0, "parameter ':id'"},
                                              {1, "parameter 'name'"}});
  matched(named({"id", "nope"}), 2, names, error);
  CHECK(error == "the statement has no parameter named 'nope'");
  matched(named({"id"}), 2, names, error);
  CHECK(error == "parameter '@name' has no value");
  matched(named({"@id"}), 2, names, error);
  CHECK(error == "the statement has no parameter named '@id'");
}
