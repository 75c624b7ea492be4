#include <jq/cli/common.hpp>
#include <jq/cli/config_file.hpp>
#include <jq/cli/settings.hpp>

#include <CLI/CLI.hpp>
#include <doctest/doctest.h>

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

using jq::cli::Source;

namespace fs = std::filesystem;

namespace {

// A config file with `text` in a fresh temporary directory.
std::string write_config(const std::string& name, const std::string& text)
{
  const auto dir = fs::temp_directory_path()
                   / ("jq-unit-config-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto path = dir / name;
  std::ofstream(path) << text;
  return path.string();
}

// Sets an environment variable for the scope and puts back what was there.
class ScopedEnv
{
public:
  ScopedEnv(const char* name, const char* value)
    : m_name(name)
  {
    if (const char* old = std::getenv(name)) {
      m_old = old;
      m_had_old = true;
    }
    if (value == nullptr) {
      ::unsetenv(name);
    } else {
      ::setenv(name, value, 1);
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;
  ~ScopedEnv()
  {
    if (m_had_old) {
      ::setenv(m_name.c_str(), m_old.c_str(), 1);
    } else {
      ::unsetenv(m_name.c_str());
    }
  }

private:
  std::string m_name;
  std::string m_old;
  bool m_had_old = false;
};

// A tool like jq-worker: the common options plus a list and a number.
struct Tool
{
  CLI::App app;
  jq::cli::CommonOptions common;
  std::vector<std::string> databases;
  int concurrency = 1;

  Tool()
  {
    app.name("jq-test");
    jq::cli::add_common_options(app, common);
    app.add_option("--db", databases)->required();
    app.add_option("-c,--concurrency", concurrency)
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
  }

  // jq::cli::parse's exit code (-1: go on) for `args`.
  int parse(std::vector<std::string> args)
  {
    args.insert(args.begin(), "jq-test");
    std::vector<char*> argv;
    for (auto& arg : args) {
      argv.push_back(arg.data());
    }
    return jq::cli::parse(app, static_cast<int>(argv.size()), argv.data());
  }

  Source source(const std::string& name) const
  {
    return jq::cli::source_of(*app.get_option(name), *common.config_trace);
  }
};

} // namespace

TEST_CASE("jq::cli config file: flag > environment > file > default")
{
  const ScopedEnv no_queue("JQ_QUEUE", nullptr);
  const ScopedEnv no_url("JQ_REDIS_URL", nullptr);
  const ScopedEnv no_prefix("JQ_PREFIX", nullptr);
  const auto file = write_config("layers.toml",
                                 "# a comment\n"
                                 "redis = \"redis://:pa#ss@10.0.0.1:6390/2\" "
                                 " # a # in quotes is text\n"
                                 "queue = 'from-file'\n"
                                 "prefix = \"pfx\"\n"
                                 "db = [\"app=/a.sqlite\", \"ref=/r:ro\"]\n"
                                 "concurrency = 3\n"
                                 "verbose = true\n");

  SUBCASE("the file fills what nothing else sets")
  {
    Tool tool;
    CHECK(tool.parse({"--config", file}) == -1);
    CHECK(tool.common.queue == "from-file");
    CHECK(tool.common.prefix == "pfx");
    CHECK(tool.common.url().password == "pa#ss");
    CHECK(tool.common.url().port == 6390);
    CHECK(tool.databases
          == std::vector<std::string>{"app=/a.sqlite", "ref=/r:ro"});
    CHECK(tool.concurrency == 3);
    CHECK(tool.common.verbose);
    CHECK(tool.source("--queue") == Source::file);
    CHECK(tool.source("--redis-file") == Source::default_value);
  }

  SUBCASE("the environment beats the file")
  {
    const ScopedEnv queue("JQ_QUEUE", "from-env");
    Tool tool;
    CHECK(tool.parse({"--config", file}) == -1);
    CHECK(tool.common.queue == "from-env");
    CHECK(tool.common.prefix == "pfx");
    CHECK(tool.source("--queue") == Source::environment);
    CHECK(tool.source("--prefix") == Source::file);
  }

  SUBCASE("a flag beats the environment and the file")
  {
    const ScopedEnv queue("JQ_QUEUE", "from-env");
    Tool tool;
    CHECK(tool.parse({"--config", file, "-q", "from-flag", "-c", "7"}) == -1);
    CHECK(tool.common.queue == "from-flag");
    CHECK(tool.concurrency == 7);
    CHECK(tool.source("--queue") == Source::flag);
    CHECK(tool.source("--concurrency") == Source::flag);
  }

  SUBCASE("without a file: flag, environment, default")
  {
    const ScopedEnv queue("JQ_QUEUE", "from-env");
    Tool tool;
    CHECK(tool.parse({"--db", "a=/a", "--prefix", "p"}) == -1);
    CHECK(tool.common.queue == "from-env");
    CHECK(tool.source("--queue") == Source::environment);
    CHECK(tool.source("--prefix") == Source::flag);
    CHECK(tool.source("--concurrency") == Source::default_value);
  }
}

TEST_CASE("jq::cli config file errors are usage errors")
{
  Tool unknown;
  CHECK(unknown.parse({"--config", write_config("typo.toml", "qeueu = x\n")})
        == 2);
  Tool bad_value;
  CHECK(bad_value.parse(
          {"--config", write_config("range.toml", "concurrency = 0\n")})
        == 2);
  Tool missing;
  CHECK(missing.parse({"--config", "/nonexistent/jq.toml", "--db", "a=/a"})
        == 2);
  Tool not_configurable;
  CHECK(
    not_configurable.parse({"--config",
                            write_config("print.toml", "print-config = true\n"),
                            "--db",
                            "a=/a"})
    == 2);
}

TEST_CASE("jq::cli --print-config")
{
  const ScopedEnv no_url("JQ_REDIS_URL", nullptr);
  const auto file = write_config(
    "print.toml", "redis = \"redis://user:hunter2@h:7000\"\nqueue = \"q\"\n");

  SUBCASE("shows the settings with the password redacted, db unset")
  {
    Tool tool;
    // --db is required, but not to print what is set.
    REQUIRE(tool.parse({"--config", file, "--print-config"}) == -1);
    CHECK(tool.common.print_config);
    const std::string text = jq::cli::effective_config(tool.app, tool.common);
    CHECK(text.find("hunter2") == std::string::npos);
    CHECK(text.find("redis = \"redis://user:***@h:7000/0\"  # config file\n")
          != std::string::npos);
    CHECK(text.find("queue = \"q\"  # config file\n") != std::string::npos);
    CHECK(text.find("# db is not set\n") != std::string::npos);
    CHECK(text.find("concurrency = 1  # default\n") != std::string::npos);
  }

  SUBCASE("is read back by --config")
  {
    Tool first;
    REQUIRE(first.parse({"--config", file, "--db", "a=/a b", "--print-config"})
            == -1);
    std::string text = jq::cli::effective_config(first.app, first.common);
    // Put the password back: the printed one is redacted.
    text.replace(text.find("***"), 3, "hunter2");
    Tool second;
    REQUIRE(second.parse({"--config", write_config("again.toml", text)}) == -1);
    CHECK(second.common.url().password == "hunter2");
    CHECK(second.common.queue == "q");
    CHECK(second.databases == std::vector<std::string>{"a=/a b"});
  }

  SUBCASE("an unparsable URL is not shown at all")
  {
    Tool tool;
    REQUIRE(tool.parse({"--redis", "http://u:hunter2@h", "--print-config"})
            == -1);
    const std::string text = jq::cli::effective_config(tool.app, tool.common);
    CHECK(text.find("hunter2") == std::string::npos);
    CHECK(text.find("redis = \"(not shown: invalid Redis URL")
          != std::string::npos);
  }
}
