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

// Add `--config FILE` to `app`: the long options of `app` can also be set
// in FILE, a TOML file (read with toml++), under the flags and the
// environment. Returns the trace that app.parse() fills; `app` must
// outlive it.
//
// A key is a long option without its dashes, its value of the option's
// kind: a string, an integer, a boolean for a flag, a duration as a
// string, an array (over several lines if need be) for an option that
// takes several values:
//
//   redis = "redis://127.0.0.1:6379/0"   # comments anywhere
//   [jq-worker]
//   db = [
//     "app=/var/lib/jq/app.sqlite",
//     "ref=/var/lib/jq/ref.sqlite:ro",
//   ]
//   concurrency = 4
//   grace = "10s"
//   quiet = true
//
// One file can serve the three tools. Its top-level keys are for whichever
// tool reads it, so a file of top-level keys only (the only kind before
// tables) is one tool's file, read as before. A table named after a tool
// (`[jq-worker]`, `[jq-submit]`, `[jq-inspect]`) holds that tool's own
// settings and beats the top level; the tools skip each other's tables. So
// a shared file keeps what all of them have (redis, queue, prefix) on top.
// Why not "a top-level key is for every tool that has the option": a typo
// on top would then be an error for no tool, and so never be seen.
//
// A key that is no option of the tool, a table named after no tool, a
// value of the wrong kind and an invalid value are usage errors naming the
// file, line, column and key (`worker.toml:7:1: unknown setting 'foo' for
// jq-worker`); so is TOML that does not parse. After
// `app.allow_config_extras(CLI::config_extras_mode::ignore)` (jq-inspect,
// which reads a worker's file for its queue) unknown keys and tables are
// skipped instead. Options of subcommands are not read from the file.
//
// Why a reader of our own: CLI11 2.1.2 reads the file before the
// environment and skips an option that already has a value, so the file
// would beat the environment. Ours drops the file's value of an option
// whose environment variable is set. CLI11's reader is also not TOML (no
// arrays over several lines, a `#` in quotes cuts the line, sections for
// subcommands only) and names no line in its errors.
std::shared_ptr<const ConfigTrace> add_config_file_option(CLI::App& app);

// Where the value of `option` (of an app that has parsed) came from.
Source source_of(const CLI::Option& option, const ConfigTrace& trace);

} // namespace jq::cli
