#include <jq/cli/common.hpp>
#include <jq/cli/config_file.hpp>
#include <jq/cli/settings.hpp>
#include <jq/core/duration.hpp>
#include <jq/core/error.hpp>

#include <CLI/CLI.hpp>
#include <doctest/doctest.h>

#include <unistd.h>

#include <algorithm>
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

// A tool like jq-worker: the common options plus a list, a number, a
// duration and a flag.
struct Tool
{
  CLI::App app;
  jq::cli::CommonOptions common;
  std::vector<std::string> databases;
  int concurrency = 1;
  std::string grace = "10s";
  bool quiet = false;

  explicit Tool(const std::string& name = "jq-test")
  {
    app.name(name);
    jq::cli::add_common_options(app, common);
    app.add_option("--db", databases)->required();
    app.add_option("-c,--concurrency", concurrency)
      ->check(CLI::Range(1, 256))
      ->capture_default_str();
    app.add_option("--grace", grace)
      ->check([](const std::string& text) -> std::string {
        try {
          jq::parse_duration(text);
        } catch (const jq::UsageError& error) {
          return error.what();
        }
        return {};
      })
      ->capture_default_str();
    app.add_flag("--quiet", quiet);
  }

  // jq::cli::parse's exit code (-1: go on) for `args`.
  int parse(std::vector<std::string> args)
  {
    args.insert(args.begin(), app.get_name());
    std::vector<char*> argv;
    for (auto& arg : args) {
      argv.push_back(arg.data());
    }
    return jq::cli::parse(app, static_cast<int>(argv.size()), argv.data());
  }

  // The message of the usage error that parsing `args` throws, or "".
  std::string error(std::vector<std::string> args)
  {
    std::reverse(args.begin(), args.end()); // CLI11 takes them backwards
    try {
      app.parse(args);
    } catch (const CLI::ParseError& failure) {
      return failure.what();
    }
    return {};
  }

  Source source(const std::string& name) const
  {
    return jq::cli::source_of(*app.get_option(name), *common.config_trace);
  }
};

// A tool like jq-submit: the common options plus a text and a flag.
struct Submitter
{
  CLI::App app;
  jq::cli::CommonOptions common;
  std::string database;
  std::string format = "value";
  bool no_wait = false;

  Submitter()
  {
    app.name("jq-submit");
    jq::cli::add_common_options(app, common);
    app.add_option("--db", database);
    app.add_option("--format", format)->check(CLI::IsMember({"value", "json"}));
    app.add_flag("--no-wait", no_wait);
  }

  std::string error(std::vector<std::string> args)
  {
    std::reverse(args.begin(), args.end());
    try {
      app.parse(args);
    } catch (const CLI::ParseError& failure) {
      return failure.what();
    }
    return {};
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
  CHECK(unknown.parse({"--config", write_config("typo.toml", "qeueu = 'x'\n")})
        == 2);
  Tool not_toml;
  CHECK(not_toml.parse({"--config", write_config("ini.toml", "qeueu = x\n")})
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

TEST_CASE("jq::cli config file: TOML")
{
  const ScopedEnv no_queue("JQ_QUEUE", nullptr);
  const ScopedEnv no_url("JQ_REDIS_URL", nullptr);
  const ScopedEnv no_prefix("JQ_PREFIX", nullptr);

  SUBCASE("arrays over several lines, comments, each kind of value")
  {
    const auto file = write_config("kinds.toml",
                                   "# settings\n"
                                   "\n"
                                   "queue = 'literal # not a comment'\n"
                                   "db = [\n"
                                   "  \"app=/a.sqlite\",  # the first\n"
                                   "  # a line of comment in the array\n"
                                   "  'ref=C:\\ro',\n"
                                   "]\n"
                                   "concurrency = 12  # an integer\n"
                                   "grace = \"1500ms\"\n"
                                   "quiet = true\n"
                                   "verbose = false\n"
                                   "prefix = \"\"\"\n"
                                   "pfx\"\"\"\n");
    Tool tool;
    CHECK(tool.error({"--config", file}).empty());
    CHECK(tool.common.queue == "literal # not a comment");
    CHECK(tool.databases
          == std::vector<std::string>{"app=/a.sqlite", "ref=C:\\ro"});
    CHECK(tool.concurrency == 12);
    CHECK(tool.grace == "1500ms");
    CHECK(tool.quiet);
    CHECK_FALSE(tool.common.verbose);
    CHECK(tool.common.prefix == "pfx");
    CHECK(tool.source("--db") == Source::file);
    CHECK(tool.source("--quiet") == Source::file);
  }

  SUBCASE("a repeatable option takes one value too; an empty array is unset")
  {
    Tool one;
    CHECK(one.error({"--config", write_config("one.toml", "db = \"a=/a\"\n")})
            .empty());
    CHECK(one.databases == std::vector<std::string>{"a=/a"});
    Tool none;
    CHECK(none.parse({"--config", write_config("none.toml", "db = []\n")})
          == 2); // --db is required
    CHECK(none.databases.empty());
  }

  SUBCASE("a number or boolean quoted, as flags and validators take it")
  {
    Tool tool;
    CHECK(tool
            .error({"--config",
                    write_config("quoted.toml",
                                 "db = 'a=/a'\nconcurrency = \"4\"\n"
                                 "quiet = \"true\"\n")})
            .empty());
    CHECK(tool.concurrency == 4);
    CHECK(tool.quiet);
  }

  SUBCASE("the table of the tool beats the top level; others' are skipped")
  {
    const auto file = write_config("tables.toml",
                                   "queue = \"shared\"\n"
                                   "prefix = \"pfx\"\n"
                                   "concurrency = 2\n"
                                   "[jq-worker]\n"
                                   "unknown-to-jq-test = 1\n"
                                   "[jq-test]\n"
                                   "queue = \"mine\"\n"
                                   "db = [\"x=/x\"]\n"
                                   "[jq-submit]\n"
                                   "format = \"json\"\n");
    Tool tool;
    CHECK(tool.error({"--config", file}).empty());
    CHECK(tool.common.queue == "mine");
    CHECK(tool.common.prefix == "pfx");
    CHECK(tool.concurrency == 2);
    CHECK(tool.databases == std::vector<std::string>{"x=/x"});
    CHECK(tool.source("--queue") == Source::file);
  }

  SUBCASE("the layers hold for a value from a table")
  {
    const ScopedEnv queue("JQ_QUEUE", "from-env");
    const auto file = write_config("layered.toml",
                                   "[jq-test]\n"
                                   "queue = \"mine\"\n"
                                   "db = [\"x=/x\"]\n"
                                   "concurrency = 9\n");
    Tool tool;
    CHECK(tool.error({"--config", file, "-c", "3"}).empty());
    CHECK(tool.common.queue == "from-env");
    CHECK(tool.source("--queue") == Source::environment);
    CHECK(tool.concurrency == 3);
    CHECK(tool.source("--concurrency") == Source::flag);
    CHECK(tool.source("--db") == Source::file);
  }

  SUBCASE("one file for two tools")
  {
    const auto file = write_config("shared.toml",
                                   "# What every tool has\n"
                                   "redis = \"redis://10.0.0.5:6390/1\"\n"
                                   "queue = \"reports\"\n"
                                   "\n"
                                   "[jq-worker]\n"
                                   "db = [\n"
                                   "  \"app=/var/lib/jq/app.sqlite\",\n"
                                   "]\n"
                                   "concurrency = 4\n"
                                   "grace = \"20s\"\n"
                                   "\n"
                                   "[jq-submit]\n"
                                   "db = \"app\"\n"
                                   "format = \"json\"\n"
                                   "no-wait = true\n");
    Tool worker("jq-worker");
    CHECK(worker.error({"--config", file}).empty());
    CHECK(worker.common.url().port == 6390);
    CHECK(worker.common.queue == "reports");
    CHECK(worker.databases
          == std::vector<std::string>{"app=/var/lib/jq/app.sqlite"});
    CHECK(worker.concurrency == 4);
    CHECK(worker.grace == "20s");

    Submitter submitter;
    CHECK(submitter.error({"--config", file}).empty());
    CHECK(submitter.common.url().port == 6390);
    CHECK(submitter.common.queue == "reports");
    CHECK(submitter.database == "app");
    CHECK(submitter.format == "json");
    CHECK(submitter.no_wait);
  }

  SUBCASE("unknown keys and tables are skipped when the app says so")
  {
    Tool tool;
    tool.app.allow_config_extras(CLI::config_extras_mode::ignore);
    CHECK(tool
            .error({"--config",
                    write_config("extras.toml",
                                 "db = 'a=/a'\nqeueu = 'x'\n[worker]\nx = 1\n"
                                 "[jq-test]\nformat = 'json'\n")})
            .empty());
    CHECK(tool.databases == std::vector<std::string>{"a=/a"});
  }
}

TEST_CASE("jq::cli config file errors name the file, line, column and key")
{
  const ScopedEnv no_queue("JQ_QUEUE", nullptr);
  const auto error_of = [](const std::string& name, const std::string& text) {
    Tool tool;
    const auto file = write_config(name, text);
    std::string message = tool.error({"--config", file, "--db", "a=/a"});
    // The directory is the test's: keep the name.
    if (const auto at = message.find(file); at != std::string::npos) {
      message.replace(at, file.size(), name);
    }
    return message;
  };

  CHECK(error_of("worker.toml", "queue = 'q'\n\n# typo\nconcurency = 3\n")
        == "worker.toml:4:1: unknown setting 'concurency' for jq-test");
  CHECK(error_of("table.toml", "queue = 'q'\n[jq-test]\n  foo = 'x'\n")
        == "table.toml:3:3: unknown setting 'foo' for jq-test");
  CHECK(error_of("worker.toml", "queue = 'q'\n[worker]\nredis = 'x'\n")
        == "worker.toml:2:2: unknown table [worker] (a table is for one "
           "tool: [jq-worker], [jq-submit] or [jq-inspect])");
  CHECK(error_of("range.toml", "queue = 'q'\nconcurrency = 0\n")
        == "range.toml:2:15: --concurrency: Value 0 not in range 1 to 256 "
           "(setting 'concurrency' for jq-test)");
  CHECK(error_of("grace.toml", "[jq-test]\ngrace = 'soon'\n")
          .starts_with("grace.toml:2:9: --grace: "));
  CHECK(error_of("date.toml", "grace = 1979-05-27\n")
        == "date.toml:1:9: 'grace' for jq-test is a date: expected a string, "
           "a number, a boolean or an array of them");
  CHECK(error_of("nested.toml", "db = ['a=/a', ['b=/b']]\n")
        == "nested.toml:1:15: 'db' for jq-test is an array: expected a "
           "string, a number, a boolean or an array of them");
  CHECK(error_of("twice.toml", "c = 2\nconcurrency = 3\n")
        == "twice.toml:2:1: 'concurrency' sets --concurrency again (set on "
           "line 1)");
  CHECK(error_of("print.toml", "\nprint-config = true\n")
        == "print.toml:2:1: 'print-config' cannot be set in a --config file");
  // TOML that does not parse: toml++'s words, at the place it stopped.
  CHECK(error_of("ini.toml", "queue = q\n").starts_with("ini.toml:1:9: "));
  CHECK(error_of("open.toml", "db = [\n  'a=/a',\n")
          .starts_with("open.toml:2:11: "));
  const std::string twice = error_of("dup.toml", "queue = 'a'\nqueue = 'b'\n");
  CHECK(twice.starts_with("dup.toml:2:9: "));
  CHECK(twice.find("'queue'") != std::string::npos);
}
