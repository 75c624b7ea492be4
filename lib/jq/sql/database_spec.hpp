#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace jq::sql {

// The engine that serves a database.
enum class EngineKind {
  sqlite,
  postgresql,
  // MySQL and MariaDB, through MariaDB Connector/C.
  mysql,
};

// A database a worker was given: `--db NAME=PATH[:ro]`, an SQLite file, or
// `--db NAME=postgresql://[user[:password]@]host[:port]/dbname[?params]`
// (also `postgres://`), or `mysql://` (also `mariadb://`) in the same form,
// read-only with a `:ro` suffix or `ro=1` in the query.
struct DatabaseSpec
{
  std::string name;
  // The SQLite file.
  std::string path;
  bool read_only = false;
  EngineKind engine = EngineKind::sqlite;
  // A server's connection URL (`ro` taken out): as libpq takes it, or as
  // mysql/url.hpp reads it.
  std::string url = {};

  // The spec as given (`NAME=...`, `:ro` when read-only) with any password
  // shown as `***`: for logs and messages.
  std::string redacted() const;

  // `text` with the URL's password (as written in the URL and decoded)
  // replaced by `***`: for server messages that may quote the connection
  // string.
  std::string scrub(std::string text) const;

  bool operator==(const DatabaseSpec&) const = default;
};

// Parse `NAME=PATH`, `NAME=PATH:ro` or `NAME=URL` (see DatabaseSpec).
// Throws UsageError; the message never holds the password.
DatabaseSpec parse_database_spec(std::string_view text);

// The `--db` values in the file at `path` (`--db-file`): one per line, as
// `NAME=PATH[:ro]` or `NAME=URL`; blank lines and lines starting with `#` are
// skipped. A URL with a password can live here, readable by the worker's user
// alone, instead of in the command line that `ps` shows. Throws UsageError
// naming the file (and the line) when it cannot be read or a line does not
// parse; never with the password.
std::vector<DatabaseSpec> read_database_file(const std::string& path);

// The `--db` value `text` with its password shown as `***` (for
// --print-config); a value that does not parse is described, not shown.
std::string redacted_database_spec(std::string_view text);

// Overwrite, in place, the password of any server URL in `argument` (a
// command-line argument, as in argv) with '*': the arguments of a process
// are visible to every user in `ps`. Its length is kept.
void mask_password_in_place(char* argument) noexcept;

} // namespace jq::sql
