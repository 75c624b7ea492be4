#pragma once

#include <jq/cli/config_file.hpp>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace CLI {
class App;
}

namespace jq::cli {

// One option's effective value after parsing, for --print-config.
struct Setting
{
  std::string name;                // the long flag without "--"
  std::vector<std::string> values; // empty: not set, no default
  bool is_list = false;            // takes several values (`--db` ...)
  Source source = Source::default_value;
  std::string env_name; // the environment variable that can set it
};

// The settings of the options of `app` (not of its subcommands) that a
// config file can set, in the order of `--help`. `redact` rewrites the
// values of the option it is given the name of (e.g. a URL's password);
// it returns `values` unchanged for the others.
std::vector<Setting> effective_settings(
  const CLI::App& app,
  const ConfigTrace& trace,
  const std::function<std::vector<std::string>(
    std::string_view name, std::vector<std::string> values)>& redact);

// `settings` as a TOML config file (top-level keys) that --config reads
// back to the same settings, each line with its source as a comment;
// `title` is the first comment. A value is bare only if TOML reads it back
// as the same text (an integer such as `42`, not `007`; `true`, `false`);
// any other is a string, with `\`, `"` and control characters escaped.
std::string format_settings(std::string_view title,
                            const std::vector<Setting>& settings);

} // namespace jq::cli
