// jq-bench-oneshot-cpp: the one-shot floor (oneshot.c) behind what any C++
// jq-submit starts with: the C++ runtime, linked as jq-submit links it
// (bench/CMakeLists.txt), and CLI11 taking jq-submit's one-shot command line.
//
//   jq-bench-oneshot-cpp --redis redis://HOST:PORT -q QUEUE --db DB
//                        --sql SQL --param 1 --format json

#include "oneshot.h"

#include <CLI/CLI.hpp>

#include <string>

int main(int argc, char** argv)
{
  CLI::App app("The one-shot floor, in C++ with CLI11");
  app.name("jq-bench-oneshot-cpp");
  std::string url;
  std::string queue = "default";
  std::string db;
  std::string sql;
  std::string param;
  std::string format = "json";
  app.add_option("--redis", url, "redis://HOST:PORT")->required();
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

  const std::string scheme = "redis://";
  const auto colon = url.rfind(':');
  if (url.rfind(scheme, 0) != 0 || colon < scheme.size()) {
    std::cerr << app.get_name() << ": --redis takes redis://HOST:PORT\n";
    return 2;
  }
  const std::string host = url.substr(scheme.size(), colon - scheme.size());
  const int port = std::atoi(url.c_str() + colon + 1);
  return oneshot(host.c_str(), port, queue.c_str(), db.c_str(), sql.c_str());
}
