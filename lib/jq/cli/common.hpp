#pragma once

#include <jq/queue/keys.hpp>
#include <jq/redis/url.hpp>

#include <atomic>
#include <functional>
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

  redis::Url url() const;
  queue::Keys keys() const;
};

// Add --redis, --prefix, -q/--queue and -v to `app`, each also read from
// the environment (JQ_REDIS_URL, JQ_PREFIX, JQ_QUEUE): flag beats
// environment beats default. Puts the exit codes in the help footer.
void add_common_options(CLI::App& app, CommonOptions& options);

// Parse `argv` into `app`. Returns -1 to go on, or the exit code to return
// now (0 after --help, 2 for a usage error, with the message printed).
int parse(CLI::App& app, int argc, char** argv);

// Run `body` and turn what escapes it into the tool's exit code, printing
// `tool: error: message` once on stderr.
int guarded_main(std::string_view tool, const std::function<int()>& body);

// Print `tool: error: message` on stderr.
void print_error(std::string_view tool, std::string_view message);
// Print `tool: message` on stderr (a notice, not an error).
void print_note(std::string_view tool, std::string_view message);

// Make SIGINT and SIGTERM set `flag` (and remember which came) instead of
// killing the process.
void install_stop_signals(std::atomic<bool>& flag);
// The signal that set the flag, or 0.
int stop_signal() noexcept;

} // namespace jq::cli
