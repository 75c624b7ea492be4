#pragma once

#include <jq/sql/database_spec.hpp>
#include <jq/sql/engine.hpp>

#include <memory>

// The server engines are shared libraries of their own, beside libjq:
// libjq-postgres.so (sql/postgres/, linking libpq) and libjq-mysql.so
// (sql/mysql/, linking libmariadb). libjq loads one with dlopen the first
// time a `--db` names that kind of server, so a worker of SQLite files only,
// jq-submit and jq-inspect never load libpq, libmariadb and the TLS,
// Kerberos and LDAP libraries they bring.
//
// Each module exports one function with C linkage (a name dlsym finds
// unmangled) that returns its engine's open_database. The modules are built
// with libjq, by the same compiler, so C++ types and exceptions (UsageError
// at start-up, SqlError in jobs) cross between them as within one library.

namespace jq::sql {

// A server engine's open_database (see postgres/engine.hpp,
// mysql/engine.hpp).
using OpenDatabaseFunction = std::shared_ptr<Database>(
  const DatabaseSpec& spec, const EngineOptions& options);

// The type of a module's entry point.
using EngineModuleEntry = OpenDatabaseFunction* (*)();

// The open_database of `kind`'s module (not sqlite, which is in libjq),
// loaded on the first call and kept for the life of the process (never
// unloaded: the databases it opens live on). The module is looked for in
// the directory libjq itself was loaded from. Throws UsageError naming
// `database` when the module is missing or cannot be loaded.
OpenDatabaseFunction& load_engine_module(EngineKind kind,
                                         const std::string& database);

} // namespace jq::sql

extern "C" {

// The entry points: libjq-postgres.so defines the first, libjq-mysql.so the
// second.
jq::sql::OpenDatabaseFunction* jq_sql_postgres_module();
jq::sql::OpenDatabaseFunction* jq_sql_mysql_module();

} // extern "C"
