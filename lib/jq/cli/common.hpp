#pragma once

#include <jq/cli/config_file.hpp>
#include <jq/queue/keys.hpp>
#include <jq/redis/url.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace CLI {
class App;
}

namespace jq::cli {

// The flags every tool has: where Redis is and which queue.
struct CommonOptions
{
  std::string redis_url = "redis://127.0.0.1:6379";
  std::string redis_file; // a file holding the URL (keeps it out of ps)
  std::string prefix = "bull";
  std::string queue = "jq";
  bool verbose = false;
  bool print_config = false; // --print-config: show the settings, exit 0
  // What --config set, once parsed (see config_file.hpp).
  std::shared_ptr<const ConfigTrace> config_trace;

  redis::Url url() const;
  queue::Keys keys() const;
};

// Add --redis, --redis-file, --prefix, -q/--queue, -v, --config FILE,
// --print-config and --version to `app` (named already). The first four
// are also read from the environment (JQ_REDIS_URL, JQ_REDIS_URL_FILE,
// JQ_PREFIX, JQ_QUEUE); every long option of `app` added before or after
// can come from the --config file: flag beats environment beats file beats
// default. Puts the exit codes of the tool named `app` (exit_codes()) in
// the help footer.
void add_common_options(CLI::App& app, CommonOptions& options);

// Put `examples` in `app`'s help footer, before the exit codes, under
// "Examples:" (help2man makes that the man page's EXAMPLES). Each line of
// `examples` is indented: a command as "    $ jq-submit ...", at most 69
// columns from the `$` on (so that the man page need not break it), the
// line saying what it does above it as "  Text:".
void add_examples(CLI::App& app, std::string_view examples);

// Parse `argv` into `app`. Returns -1 to go on, or the exit code to return
// now (0 after --help or --version, 2 for a usage error, printed as
// `tool: error: message` with a did-you-mean for a near subcommand or long
// flag, and `Try 'tool --help'.` below). With --print-config a missing
// required option or subcommand is not an error: the settings are shown as
// they are.
int parse(CLI::App& app, int argc, char** argv);

// The effective settings of `app`'s own options after parse(), as a
// config file with each value's source in a comment (for --print-config).
// The password of the Redis URL is shown as `***`.
std::string effective_config(const CLI::App& app, const CommonOptions& options);

// Run `body` and turn what escapes it into the tool's exit code, printing
// `tool: error: message` once on stderr.
int guarded_main(std::string_view tool, const std::function<int()>& body);

// Print `tool: error: message` on stderr (an error log line with
// --log-format json). When stderr is the journal, each line starts with
// `<3>` (log::journal_prefix), so `journalctl -p warning` shows it.
void print_error(std::string_view tool, std::string_view message);
// Print `tool: message` on stderr (a notice, not an error: `<6>` in the
// journal).
void print_note(std::string_view tool, std::string_view message);
// Print a usage error: print_error(tool, message), then the way to the
// help, `Try 'help_command --help'.` (`<6>` in the journal; not with
// --log-format json, whose lines are all JSON).
void print_usage_error(std::string_view tool,
                       std::string_view message,
                       std::string_view help_command);

// Make SIGINT and SIGTERM set `flag` (and remember which came) instead of
// killing the process.
void install_stop_signals(std::atomic<bool>& flag);
// The signal that set the flag, or 0.
int stop_signal() noexcept;

} // namespace jq::cli
