#pragma once

#include <jq/sql/engine.hpp>

#include <memory>

namespace jq::sql::postgres {

// A PostgreSQL database of a worker (`--db NAME=postgresql://...`), run as
// server/database.hpp says for every server: a connection per session,
// opened at its first job and again when found lost, a job whose server
// cannot be reached failing with SQLSTATE class 08, and a start-up that
// does not wait for the server. The URL is checked first: one libpq cannot
// read is a UsageError. A `:ro` database runs every job in a READ ONLY
// transaction and keeps no ledger.
std::shared_ptr<Database> open_database(const DatabaseSpec& spec,
                                        const EngineOptions& options);

} // namespace jq::sql::postgres
