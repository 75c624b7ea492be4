// The entry point of libjq-mysql.so, which libjq loads with dlopen (see
// sql/engine_module.hpp).
#include <jq/sql/engine_module.hpp>
#include <jq/sql/mysql/engine.hpp>

extern "C" jq::sql::OpenDatabaseFunction* jq_sql_mysql_module()
{
  return &jq::sql::mysql::open_database;
}
