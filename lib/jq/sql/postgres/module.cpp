// The entry point of libjq-postgres.so, which libjq loads with dlopen (see
// sql/engine_module.hpp).
#include <jq/sql/engine_module.hpp>
#include <jq/sql/postgres/engine.hpp>

extern "C" jq::sql::OpenDatabaseFunction* jq_sql_postgres_module()
{
  return &jq::sql::postgres::open_database;
}
