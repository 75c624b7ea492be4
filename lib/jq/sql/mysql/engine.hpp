#pragma once

#include <jq/sql/engine.hpp>

#include <memory>

namespace jq::sql::mysql {

// A MySQL or MariaDB database of a worker (`--db NAME=mysql://...` or
// `mariadb://`), through MariaDB Connector/C, run as server/database.hpp
// says for every server: a connection per session, opened at its first job
// and again when found lost, a job whose server cannot be reached failing
// with SQLSTATE class 08, and a start-up that does not wait for the server.
// The URL is read first: a malformed one, or an unknown parameter, is a
// UsageError. A `:ro` database runs every job in a START TRANSACTION READ
// ONLY and keeps no ledger.
std::shared_ptr<Database> open_database(const DatabaseSpec& spec,
                                        const EngineOptions& options);

} // namespace jq::sql::mysql
