#pragma once

// What the unit tests of the two server engines (PostgreSQL, MySQL) check
// alike, given the engine's translate_sql and BoundParams: the helpers, and
// the checks whose answers are the same for both.

#include <jq/core/error.hpp>
#include <jq/sql/engine.hpp>
#include <jq/sql/server/placeholder_scan.hpp>
#include <jq/sql/value.hpp>

#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

namespace jq::test {

using sql::Params;
using Translate = sql::server::TranslatedSql (*)(std::string_view,
                                                 Params::Kind);

inline Params positional_params(std::vector<sql::Value> values)
{
  Params params;
  params.kind = Params::Kind::positional;
  params.values = std::move(values);
  return params;
}

// Named parameters, each of value 1.
inline Params named_params(std::vector<std::string> names)
{
  Params params;
  params.kind = Params::Kind::named;
  for (auto& name : names) {
    params.values.emplace_back(std::int64_t{1});
    params.names.push_back(std::move(name));
  }
  return params;
}

template<Translate translate, class BoundParams> struct ServerSql
{
  static std::string positional(std::string_view sql)
  {
    return translate(sql, Params::Kind::positional).text;
  }

  static std::string named(std::string_view sql)
  {
    return translate(sql, Params::Kind::named).text;
  }

  // The JobError message of translating `sql`, or "" when it translates.
  static std::string translate_error(std::string_view sql, Params::Kind kind)
  {
    try {
      translate(sql, kind);
    } catch (const JobError& e) {
      return e.what();
    }
    return "";
  }

  // The JobError message of binding `params` to `sql`, or "".
  static std::string bind_error(std::string_view sql, const Params& params)
  {
    try {
      const auto translated = translate(sql, params.kind);
      const BoundParams bound(translated, params, {});
    } catch (const JobError& e) {
      return e.what();
    }
    return "";
  }

  // One statement per job, as both servers take it.
  static void check_one_statement()
  {
    CHECK(positional("select 1;") == "select 1");
    CHECK(positional("select 1 ; -- done\n ;") == "select 1 ");
    const std::string several =
      "the job's SQL has more than one statement; send one per job";
    const auto kind = Params::Kind::positional;
    CHECK(translate_error("select 1; select 2", kind) == several);
    CHECK(translate_error("select 1; /* c */ delete from t", kind) == several);
    CHECK(translate_error("  -- nothing\n", kind)
          == "the job's SQL has no statement in it");
  }

  // Parameters matched as SQLite matches them, with its messages.
  static void check_bind_errors()
  {
    CHECK(bind_error("select ?", positional_params({}))
          == "the statement has 1 parameter but 0 were given");
    CHECK(bind_error("select 1", positional_params({std::int64_t{1}}))
          == "the statement has 0 parameters but 1 was given");
    CHECK(bind_error("select ?, ?", positional_params({std::int64_t{1}, true}))
          == "");
    CHECK(bind_error("select :a, :b", named_params({"a", ":b"})) == "");
    CHECK(bind_error("select :a", named_params({"a", "c"}))
          == "the statement has no parameter named 'c'");
    CHECK(bind_error("select :a, :b", named_params({"a"}))
          == "parameter ':b' has no value");
    // A key with its prefix matches that prefix only.
    CHECK(bind_error("select :a", named_params({"@a"}))
          == "the statement has no parameter named '@a'");
  }
};

} // namespace jq::test
