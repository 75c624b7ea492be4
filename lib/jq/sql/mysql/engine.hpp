#pragma once

#include <jq/sql/engine.hpp>

#include <memory>

namespace jq::sql::mysql {

// A MySQL or MariaDB database of a worker (`--db NAME=mysql://...` or
// `mariadb://`), through MariaDB Connector/C. Each session has its own
// connection, opened at its first job and opened again when it is found
// lost (the server restarted, the network broke): a job whose server
// cannot be reached fails with SqlError (SQLSTATE class 08), so its
// attempts and backoff apply, and the worker carries on. Start-up does not
// wait for the server: the URL is checked (a malformed one, or an unknown
// parameter, is a UsageError), one connection is tried and kept for the
// first session, and when the server cannot be reached a warning is logged
// and the worker starts anyway. A `:ro` database runs every job in a
// START TRANSACTION READ ONLY and keeps no ledger.
std::shared_ptr<Database> open_database(const DatabaseSpec& spec,
                                        const EngineOptions& options);

} // namespace jq::sql::mysql
