#include "common.hpp"

#include <jq/cli/parse_error.hpp>
#include <jq/cli/settings.hpp>
#include <jq/core/error.hpp>
#include <jq/core/exit_code.hpp>
#include <jq/core/log.hpp>
#include <jq/core/version.hpp>
#include <jq/sql/database_spec.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <csignal>
#include <cstdio>
#include <fstream>

namespace jq::cli {

namespace {

std::atomic<bool>* g_stop_flag = nullptr;
volatile std::sig_atomic_t g_stop_signal = 0;

extern "C" void on_stop_signal(int signal_number)
{
  g_stop_signal = signal_number;
  if (g_stop_flag != nullptr) {
    g_stop_flag->store(true);
  }
}

// Write `text` and a newline to stderr in one go; in the journal each line
// starts with the priority of `level`, as journald makes each line an entry
// of its own.
void write_lines(log::Level level, std::string_view text)
{
  const std::string prefix = log::journal_prefix(level);
  std::string out;
  out.reserve(text.size() + prefix.size() + 1);
  while (true) {
    const std::size_t end = text.find('\n');
    out += prefix;
    out += text.substr(0, end);
    out += '\n';
    if (end == std::string_view::npos || end + 1 == text.size()) {
      break;
    }
    text.remove_prefix(end + 1);
  }
  std::fwrite(out.data(), 1, out.size(), stderr);
}

} // namespace

redis::Url CommonOptions::url() const
{
  if (redis_file.empty()) {
    return redis::parse_url(redis_url);
  }
  std::ifstream in(redis_file);
  std::string line;
  if (!in || !std::getline(in, line)) {
    throw UsageError(
      fmt::format("cannot read a Redis URL from {}", redis_file));
  }
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) {
    line.pop_back();
  }
  return redis::parse_url(line);
}

queue::Keys CommonOptions::keys() const
{
  if (prefix.empty() || queue.empty()) {
    throw UsageError("--prefix and --queue must not be empty");
  }
  return queue::Keys(prefix, queue);
}

void add_common_options(CLI::App& app, CommonOptions& options)
{
  app
    .add_option("--redis",
                options.redis_url,
                "Redis URL: redis://[[user]:password@]host[:port][/db] or "
                "unix:///path/to/redis.sock[?db=N]")
    ->envname("JQ_REDIS_URL")
    ->capture_default_str();
  app
    .add_option("--redis-file",
                options.redis_file,
                "Read the Redis URL from the first line of this file (so a "
                "password does not show in ps)")
    ->envname("JQ_REDIS_URL_FILE");
  app.add_option("--prefix", options.prefix, "Bull key prefix")
    ->envname("JQ_PREFIX")
    ->capture_default_str();
  app.add_option("-q,--queue", options.queue, "Queue name")
    ->envname("JQ_QUEUE")
    ->capture_default_str();
  app.add_flag("-v,--verbose", options.verbose, "Log what happens on stderr");
  options.config_trace = add_config_file_option(app);
  app
    .add_flag("--print-config",
              options.print_config,
              "Print the effective settings (as a --config file, each with "
              "its source) and exit")
    ->configurable(false);
  app.set_version_flag("--version",
                       fmt::format("{} {}", app.get_name(), version()));
  app.get_help_ptr()->configurable(false);
  app.footer(exit_code_help(app.get_name()));
  // Wide enough that every flag with a short default ends at least two
  // spaces before its description (help2man splits the man page there).
  app.get_formatter()->column_width(32);
}

void add_examples(CLI::App& app, std::string_view examples)
{
  std::string text = "Examples:\n";
  text += examples;
  if (!text.ends_with('\n')) {
    text += '\n';
  }
  app.footer(text + '\n' + app.get_footer());
}

int parse(CLI::App& app, int argc, char** argv)
{
  try {
    try {
      app.parse(argc, argv);
    } catch (const CLI::RequiredError&) {
      // CLI11 checks requirements last, once every value is in place.
      const CLI::Option* print = app.get_option_no_throw("--print-config");
      if (print == nullptr || print->count() == 0) {
        throw;
      }
      if (!app.remaining().empty()) {
        throw CLI::ExtrasError(app.remaining());
      }
    }
  } catch (const CLI::ParseError& error) {
    if (error.get_exit_code() == 0) {
      return app.exit(error); // --help, --version
    }
    const UsageMessage usage = describe_parse_error(app, error);
    print_usage_error(app.get_name(), usage.message, usage.help_command);
    return to_int(ExitCode::usage);
  }
  return -1;
}

std::string effective_config(const CLI::App& app, const CommonOptions& options)
{
  const auto redact = [](std::string_view name,
                         std::vector<std::string> values) {
    if (name == "redis") {
      for (auto& value : values) {
        value = redis::redacted_url(value);
      }
    }
    // jq-worker's server URLs (jq-submit's `db` is a bare name).
    if (name == "db") {
      for (auto& value : values) {
        if (value.find("://") != std::string::npos) {
          value = sql::redacted_database_spec(value);
        }
      }
    }
    return values;
  };
  const auto settings = effective_settings(app, *options.config_trace, redact);
  std::string file;
  if (const CLI::Option* config = app.get_config_ptr();
      config != nullptr && config->count() > 0) {
    file = " " + config->as<std::string>();
  }
  return format_settings(
    fmt::format("{} {}: effective settings (flag > environment > config "
                "file{} > default)",
                app.get_name(),
                version(),
                file),
    settings);
}

void print_error(std::string_view tool, std::string_view message)
{
  if (log::format() == log::Format::json) {
    // Asked for JSON lines: the last words are one too.
    log::write(log::Level::error, message);
    return;
  }
  write_lines(log::Level::error, fmt::format("{}: error: {}", tool, message));
}

void print_note(std::string_view tool, std::string_view message)
{
  write_lines(log::Level::info, fmt::format("{}: {}", tool, message));
}

void print_usage_error(std::string_view tool,
                       std::string_view message,
                       std::string_view help_command)
{
  print_error(tool, message);
  if (log::format() == log::Format::text) {
    write_lines(log::Level::info,
                fmt::format("Try '{} --help'.", help_command));
  }
}

int guarded_main(std::string_view tool, const std::function<int()>& body)
{
  log::set_program(tool);
  try {
    return body();
  } catch (const UsageError& error) {
    // Found after parsing (flags that do not go together, a bad value, an
    // unreadable input): the same pointer to --help as a parse error.
    print_usage_error(tool, error.what(), tool);
    return to_int(ExitCode::usage);
  } catch (const RedisReplyError& error) {
    print_error(tool, fmt::format("Redis refused a command: {}", error.what()));
    return to_int(exit_code_for(error));
  } catch (const Error& error) {
    print_error(tool, error.what());
    return to_int(exit_code_for(error));
  } catch (const std::exception& error) {
    print_error(tool, fmt::format("internal error: {}", error.what()));
    return to_int(ExitCode::software);
  }
}

void install_stop_signals(std::atomic<bool>& flag)
{
  g_stop_flag = &flag;
  struct sigaction action = {};
  action.sa_handler = on_stop_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

int stop_signal() noexcept
{
  return g_stop_signal;
}

} // namespace jq::cli
