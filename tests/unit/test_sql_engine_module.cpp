#include <jq/sql/engine_module.hpp>

#include <doctest/doctest.h>

#include <stdexcept>

using jq::sql::EngineKind;
using jq::sql::load_engine_module;

// This binary links both modules; what libjq loads from its own directory
// (the build tree's lib/) must be those very libraries, not second copies.
TEST_CASE("load_engine_module: the server engines, from beside libjq")
{
  // (Compared in double parentheses: doctest cannot print function
  // pointers.)
  CHECK((&load_engine_module(EngineKind::postgresql, "pg")
         == jq_sql_postgres_module()));
  CHECK(
    (&load_engine_module(EngineKind::mysql, "my") == jq_sql_mysql_module()));
  // Kept: the same on a second call.
  CHECK((&load_engine_module(EngineKind::postgresql, "pg2")
         == jq_sql_postgres_module()));
  CHECK_THROWS_AS(load_engine_module(EngineKind::sqlite, "app"),
                  std::invalid_argument);
}
