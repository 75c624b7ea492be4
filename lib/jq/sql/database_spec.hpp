#pragma once

#include <string>
#include <string_view>

namespace jq::sql {

// A database a worker was given: `--db NAME=PATH[:ro]`, an SQLite file.
struct DatabaseSpec
{
  std::string name;
  std::string path;
  bool read_only = false;
};

// Parse `NAME=PATH` or `NAME=PATH:ro`. Throws UsageError, also for a
// server URL (postgresql://, mysql://), which this build cannot open.
DatabaseSpec parse_database_spec(std::string_view text);

} // namespace jq::sql
