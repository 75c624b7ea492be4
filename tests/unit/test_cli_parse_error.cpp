#include <jq/cli/common.hpp>
#include <jq/cli/parse_error.hpp>

#include <CLI/CLI.hpp>
#include <doctest/doctest.h>

#include <algorithm>
#include <string>
#include <vector>

using jq::cli::describe_parse_error;
using jq::cli::UsageMessage;

namespace {

// A tool like jq-inspect: common options, a required subcommand, and
// subcommands with flags of their own.
struct Inspector
{
  CLI::App app;
  jq::cli::CommonOptions common;
  std::string state;
  std::string grace;
  bool json = false;

  Inspector()
  {
    app.name("jq-inspect");
    jq::cli::add_common_options(app, common);
    app.require_subcommand(1);
    auto* list = app.add_subcommand("list", "One page of a state's jobs");
    list->add_option("-s,--state", state)->required();
    list->add_flag("--json", json);
    app.add_subcommand("counts", "Jobs per state");
    auto* clean = app.add_subcommand("clean", "Remove old jobs");
    clean->add_option("--grace", grace);
    app.add_subcommand("hidden", "")->group("");
  }

  // What describe_parse_error() says of the error that parsing `args`
  // throws; a message "(no error)" if there is none.
  UsageMessage describe(std::vector<std::string> args)
  {
    std::reverse(args.begin(), args.end()); // CLI11 takes them backwards
    try {
      app.parse(args);
    } catch (const CLI::ParseError& error) {
      return describe_parse_error(app, error);
    }
    return {"(no error)", ""};
  }
};

} // namespace

TEST_CASE("jq::cli::describe_parse_error")
{
  Inspector tool;

  SUBCASE("a typo of a subcommand")
  {
    const auto usage = tool.describe({"lst"});
    CHECK(usage.message == "unknown subcommand 'lst'; did you mean 'list'?");
    CHECK(usage.help_command == "jq-inspect");
  }

  SUBCASE("a typo of a subcommand after the common flags")
  {
    const auto usage = tool.describe({"--queue", "mail", "cuonts", "--json"});
    CHECK(usage.message
          == "unknown subcommand 'cuonts'; did you mean 'counts'?");
  }

  SUBCASE("an unknown subcommand far from any")
  {
    const auto usage = tool.describe({"banana"});
    CHECK(usage.message == "unknown subcommand 'banana'");
  }

  SUBCASE("hidden subcommands are not suggested")
  {
    CHECK(tool.describe({"hiden"}).message == "unknown subcommand 'hiden'");
  }

  SUBCASE("no subcommand")
  {
    const auto usage = tool.describe({});
    CHECK(usage.message == "a subcommand is required: list, counts, clean");
    CHECK(usage.help_command == "jq-inspect");
  }

  SUBCASE("a typo of a subcommand's flag")
  {
    const auto usage = tool.describe({"list", "--stat", "failed"});
    CHECK(usage.message == "unknown option '--stat'; did you mean '--state'?");
    CHECK(usage.help_command == "jq-inspect list");
  }

  SUBCASE("a typo of a flag with its value after =")
  {
    const auto usage = tool.describe({"--qeueu=mail", "counts"});
    CHECK(usage.message == "unknown option '--qeueu'; did you mean '--queue'?");
    // The help of the app that has the flag.
    CHECK(usage.help_command == "jq-inspect");
  }

  SUBCASE("the flags of the subcommand are the candidates")
  {
    // --grace is clean's, not list's.
    CHECK(tool.describe({"list", "-s", "failed", "--grce", "1h"}).message
          == "unknown option '--grce'");
  }

  SUBCASE("an unknown short flag")
  {
    CHECK(tool.describe({"counts", "-x"}).message == "unknown option '-x'");
  }

  SUBCASE("an argument nobody takes")
  {
    CHECK(tool.describe({"counts", "extra"}).message
          == "unexpected argument 'extra'");
  }

  SUBCASE("other errors keep CLI11's words, in lower case")
  {
    const auto usage = tool.describe({"list"});
    CHECK(usage.message == "--state is required");
    CHECK(usage.help_command == "jq-inspect list");
  }
}

TEST_CASE("jq::cli::parse: usage errors exit 2, help and version 0")
{
  const auto parse = [](std::vector<std::string> args) {
    Inspector tool;
    args.insert(args.begin(), "jq-inspect");
    std::vector<char*> argv;
    for (auto& arg : args) {
      argv.push_back(arg.data());
    }
    return jq::cli::parse(tool.app, static_cast<int>(argv.size()), argv.data());
  };
  CHECK(parse({"lst"}) == 2);
  CHECK(parse({"list", "--stat", "failed"}) == 2);
  CHECK(parse({"list", "--state", "failed"}) == -1);
  CHECK(parse({"--version"}) == 0);
}
