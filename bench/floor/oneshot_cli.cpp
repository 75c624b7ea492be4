// jq-bench-oneshot-cpp: the one-shot floor (oneshot.c) behind what any C++
// jq-submit starts with: the C++ runtime, linked as jq-submit links it
// (bench/CMakeLists.txt), and CLI11 taking the command line of a lone
// jq-submit job, with jq-submit's defaults:
//
//   jq-bench-oneshot-cpp [--redis redis://HOST:PORT] [-q QUEUE] --db DB
//                        --sql SQL --param 1 [--format json]
//
// Only that form of URL: no password, database number or unix socket.

#include "oneshot.h"

#include <CLI/CLI.hpp>

#include <charconv>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>

namespace {

struct Endpoint
{
  std::string host;
  int port = 0;
};

// HOST:PORT from redis://HOST:PORT, or nothing.
std::optional<Endpoint> parse_url(std::string_view url)
{
  constexpr std::string_view scheme = "redis://";
  if (!url.starts_with(scheme)) {
    return std::nullopt;
  }
  url.remove_prefix(scheme.size());
  const auto colon = url.rfind(':');
  if (colon == 0 || colon == std::string_view::npos
      || url.substr(0, colon).find_first_of("@/[]") != std::string_view::npos) {
    return std::nullopt;
  }
  Endpoint endpoint{std::string(url.substr(0, colon)), 0};
  const std::string_view port = url.substr(colon + 1);
  const auto [end, error] =
    std::from_chars(port.data(), port.data() + port.size(), endpoint.port);
  if (error != std::errc() || end != port.data() + port.size()
      || endpoint.port < 1 || endpoint.port > 65535) {
    return std::nullopt;
  }
  return endpoint;
}

} // namespace

int main(int argc, char** argv)
{
  CLI::App app("The one-shot floor, in C++ with CLI11");
  app.name("jq-bench-oneshot-cpp");
  std::string url = "redis://127.0.0.1:6379";
  std::string queue = "jq";
  std::string db;
  std::string sql;
  std::string param;
  std::string format = "json";
  app.add_option("--redis", url, "redis://HOST:PORT")->capture_default_str();
  app.add_option("-q,--queue", queue, "Queue name")->capture_default_str();
  app.add_option("--db", db, "Database name the worker knows")->required();
  app.add_option("--sql", sql, "SQL with one parameter")->required();
  app.add_option("--param", param, "The parameter: 1, as the floor binds it")
    ->required()
    ->check(CLI::IsMember({"1"}));
  app.add_option("--format", format, "Output: json")
    ->check(CLI::IsMember({"json"}))
    ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  const auto endpoint = parse_url(url);
  if (!endpoint) {
    std::cerr << app.get_name() << ": --redis takes redis://HOST:PORT\n";
    return 2;
  }
  return oneshot(endpoint->host.c_str(),
                 endpoint->port,
                 queue.c_str(),
                 db.c_str(),
                 sql.c_str());
}
