#include "common.hpp"

#include <jq/core/error.hpp>
#include <jq/core/exit_code.hpp>
#include <jq/core/log.hpp>

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
  app.footer(std::string(exit_code_help()));
}

int parse(CLI::App& app, int argc, char** argv)
{
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& error) {
    const int code = app.exit(error);
    return code == 0 ? 0 : to_int(ExitCode::usage);
  }
  return -1;
}

void print_error(std::string_view tool, std::string_view message)
{
  const std::string line = fmt::format("{}: error: {}\n", tool, message);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

void print_note(std::string_view tool, std::string_view message)
{
  const std::string line = fmt::format("{}: {}\n", tool, message);
  std::fwrite(line.data(), 1, line.size(), stderr);
}

int guarded_main(std::string_view tool, const std::function<int()>& body)
{
  log::set_program(tool);
  try {
    return body();
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
