#include <jq/cli/common.hpp>
#include <jq/cli/settings.hpp>
#include <jq/redis/url.hpp>

#include <CLI/CLI.hpp>
#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace fs = std::filesystem;

namespace {

// A tool with the common options plus text, a list, a number and a flag.
struct Tool
{
  CLI::App app;
  jq::cli::CommonOptions common;
  std::string name;
  std::vector<std::string> items;
  long long count = 5;
  bool quiet = false;

  Tool()
  {
    app.name("jq-test");
    jq::cli::add_common_options(app, common);
    app.add_option("--name", name);
    app.add_option("--item", items);
    app.add_option("--count", count)->capture_default_str();
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

  // The settings' values by name, whatever their source; the Redis URL
  // as --print-config writes it (with its database: `/0`).
  std::vector<std::pair<std::string, std::vector<std::string>>> values() const
  {
    std::vector<std::pair<std::string, std::vector<std::string>>> out;
    const auto normalise = [](std::string_view setting_name,
                              std::vector<std::string> values) {
      if (setting_name == "redis") {
        for (auto& value : values) {
          value = jq::redis::redacted_url(value);
        }
      }
      return values;
    };
    for (const auto& setting :
         jq::cli::effective_settings(app, *common.config_trace, normalise)) {
      out.emplace_back(setting.name, setting.values);
    }
    return out;
  }
};

std::string write_file(const std::string& name, const std::string& text)
{
  const auto dir = fs::temp_directory_path()
                   / ("jq-unit-settings-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto path = dir / name;
  std::ofstream(path) << text;
  return path.string();
}

// The --print-config text of `args`, and the settings it gives read back.
void check_round_trip(const std::vector<std::string>& args)
{
  Tool first;
  REQUIRE(first.parse(args) == -1);
  const std::string text = jq::cli::effective_config(first.app, first.common);
  CAPTURE(text);
  Tool second;
  REQUIRE(second.parse({"--config", write_file("again.toml", text)}) == -1);
  CHECK(second.values() == first.values());
}

} // namespace

TEST_CASE("jq::cli::format_settings writes TOML")
{
  const auto line_of = [](std::vector<std::string> values, bool is_list) {
    jq::cli::Setting setting;
    setting.name = "x";
    setting.values = std::move(values);
    setting.is_list = is_list;
    setting.source = jq::cli::Source::flag;
    const std::string text = jq::cli::format_settings("title", {setting});
    return text.substr(text.find('\n') + 1);
  };

  SUBCASE("integers and booleans bare")
  {
    CHECK(line_of({"42"}, false) == "x = 42  # flag\n");
    CHECK(line_of({"0"}, false) == "x = 0  # flag\n");
    CHECK(line_of({"-7"}, false) == "x = -7  # flag\n");
    CHECK(line_of({"9223372036854775807"}, false)
          == "x = 9223372036854775807  # flag\n");
    CHECK(line_of({"-9223372036854775808"}, false)
          == "x = -9223372036854775808  # flag\n");
    CHECK(line_of({"true"}, false) == "x = true  # flag\n");
    CHECK(line_of({"false"}, false) == "x = false  # flag\n");
  }

  SUBCASE("what TOML would read otherwise, quoted")
  {
    CHECK(line_of({"007"}, false) == "x = \"007\"  # flag\n");
    CHECK(line_of({"-0"}, false) == "x = \"-0\"  # flag\n");
    CHECK(line_of({"+5"}, false) == "x = \"+5\"  # flag\n");
    CHECK(line_of({"1_000"}, false) == "x = \"1_000\"  # flag\n");
    CHECK(line_of({"9223372036854775808"}, false)
          == "x = \"9223372036854775808\"  # flag\n");
    CHECK(line_of({"1.5"}, false) == "x = \"1.5\"  # flag\n");
    CHECK(line_of({"0x10"}, false) == "x = \"0x10\"  # flag\n");
    CHECK(line_of({"True"}, false) == "x = \"True\"  # flag\n");
    CHECK(line_of({"inf"}, false) == "x = \"inf\"  # flag\n");
    CHECK(line_of({""}, false) == "x = \"\"  # flag\n");
  }

  SUBCASE("strings escaped")
  {
    CHECK(line_of({"a\"b"}, false) == "x = \"a\\\"b\"  # flag\n");
    CHECK(line_of({"C:\\jq"}, false) == "x = \"C:\\\\jq\"  # flag\n");
    CHECK(line_of({"it's"}, false) == "x = \"it's\"  # flag\n");
    CHECK(line_of({"a\tb\nc"}, false) == "x = \"a\\tb\\nc\"  # flag\n");
    CHECK(line_of({std::string("a\x01") + "\x7f"}, false)
          == "x = \"a\\u0001\\u007F\"  # flag\n");
    CHECK(line_of({"# not a comment"}, false)
          == "x = \"# not a comment\"  # flag\n");
  }

  SUBCASE("lists")
  {
    CHECK(line_of({"a=/x", "007", "3"}, true)
          == "x = [\"a=/x\", \"007\", 3]  # flag\n");
  }

  SUBCASE("a title of several lines stays comment")
  {
    const std::string text = jq::cli::format_settings("one\ntwo", {});
    CHECK(text == "# one\n# two\n");
  }
}

TEST_CASE("jq::cli --print-config is read back to the same settings")
{
  SUBCASE("a queue named 007")
  {
    check_round_trip({"--queue", "007", "--print-config"});
    Tool tool;
    REQUIRE(tool.parse({"--queue", "007", "--print-config"}) == -1);
    const std::string text = jq::cli::effective_config(tool.app, tool.common);
    CHECK(text.find("queue = \"007\"  # flag\n") != std::string::npos);
  }

  SUBCASE("quotes, backslashes, control characters")
  {
    check_round_trip({"--name",
                      "say \"hi\" \\ 'there' # now",
                      "--prefix",
                      "tab\there",
                      "--item",
                      "C:\\dir\\",
                      "--item",
                      "00",
                      "--item",
                      "line\nbreak",
                      "--print-config"});
  }

  SUBCASE("numbers and flags")
  {
    check_round_trip(
      {"--count", "-12", "--quiet", "--queue", "true", "--print-config"});
    check_round_trip({"--print-config"});
  }
}
