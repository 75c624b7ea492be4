#pragma once

#include <jq/sql/engine.hpp>
#include <jq/sql/sqlite/connection.hpp>
#include <jq/sql/sqlite/ledger.hpp>

#include <optional>
#include <string>

namespace jq::sql::sqlite {

// A connection and the ledger of its database, declared in that order so
// the ledger's statements are finalized before the connection closes.
struct Link
{
  Link(const DatabaseSpec& spec,
       const EngineOptions& options,
       const std::function<bool()>& should_interrupt = {})
    : connection(spec.path,
                 spec.read_only,
                 options.synchronous_normal,
                 options.limits,
                 should_interrupt),
      ledger(connection)
  {
  }

  Connection connection;
  Ledger ledger;
};

// The recorded reply of a job that could not be prepared, if it ran before:
// a job delivered again after its worker died may fail to prepare only
// because of what it did (the table it made exists now).
std::optional<std::string> recorded_reply(Link& link,
                                          const RunOptions& options);

// The statement of `request` on `connection`: `spare` when the caller
// prepared it already, else the cached one or a new one (left in `spare`
// when the cache does not keep it). Throws JobError or SqlError when it is
// refused.
sqlite3_stmt* job_statement(Connection& connection,
                            const Request& request,
                            StatementPtr& spare);

// Run `statement` for `request` inside the transaction or savepoint the
// caller opened, and return the reply. With `use_ledger`, a twin delivery
// that committed first answers from the ledger, and the reply is recorded
// under the job's key. The statement is reset when it returns or throws.
std::string run_in_transaction(Link& link,
                               sqlite3_stmt* statement,
                               const Request& request,
                               const RunOptions& options,
                               const Limits& limits,
                               bool use_ledger);

// Run `request` on `link` in a transaction of its own (see Session::run).
// `prepared` is its statement when the caller prepared it already (and the
// cache did not keep it).
std::string run_on(Link& link,
                   const Request& request,
                   const RunOptions& options,
                   const Limits& limits,
                   StatementPtr prepared = nullptr);

} // namespace jq::sql::sqlite
