#pragma once

#include <memory>
#include <set>

namespace CLI {
class App;
class Option;
} // namespace CLI

namespace jq::cli {

// Where an option's effective value came from, strongest first: a flag
// beats the environment, which beats the --config file, which beats the
// default.
enum class Source { flag, environment, file, default_value };

// What happened to the options of an app while it parsed a --config file:
// filled by the file reader, read by source_of(). A file was read only if
// `was_read`.
struct ConfigTrace
{
  bool was_read = false;
  // Options with a value from the command line when the file was read.
  std::set<const CLI::Option*> from_flag;
  // Options whose value the file gave.
  std::set<const CLI::Option*> from_file;
};

// Add `--config FILE` to `app`: every long option of `app` can also be
// set in FILE, TOML or INI (`concurrency = 4`, `db = ["a=/x", "b=/y"]`,
// `quiet = true`), under the flags and the environment. A key that is no
// option of `app` is a usage error, unless the caller then sets
// `app.allow_config_extras(CLI::config_extras_mode::ignore)`. Returns the
// trace that app.parse() fills; `app` must outlive it.
//
// Why a reader of our own: CLI11 2.1.2 reads the file before the
// environment and skips an option that already has a value, so the file
// would beat the environment. Ours drops the file's value of an option
// whose environment variable is set. It also cuts a `#` comment only
// outside quotes (CLI11 cuts at any `#`, even inside a quoted password).
std::shared_ptr<const ConfigTrace> add_config_file_option(CLI::App& app);

// Where the value of `option` (of an app that has parsed) came from.
Source source_of(const CLI::Option& option, const ConfigTrace& trace);

} // namespace jq::cli
