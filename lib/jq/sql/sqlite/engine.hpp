#pragma once

#include <jq/sql/engine.hpp>

#include <memory>

namespace jq::sql::sqlite {

// Open the SQLite file of `spec` as a worker's database. Each session has
// its own connection; with `options.sessions` above 1 and a read-write
// file, writes go through one connection that the sessions share, in groups
// (see shared_writer.hpp): SQLite lets one connection write to a file at a
// time anyway, and a shared one keeps its page cache warm and hands over at
// once, where a connection per thread would wait in the busy handler. Throws
// UsageError if the file cannot be opened or is not a database.
std::shared_ptr<Database> open_database(const DatabaseSpec& spec,
                                        const EngineOptions& options);

} // namespace jq::sql::sqlite
