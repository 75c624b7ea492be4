#include <jq/cli/suggest.hpp>

#include <doctest/doctest.h>

#include <string>
#include <vector>

using jq::cli::did_you_mean;
using jq::cli::edit_distance;
using jq::cli::near_names;

namespace {

const std::vector<std::string> k_subcommands = {"queues",
                                                "counts",
                                                "list",
                                                "show",
                                                "watch",
                                                "workers",
                                                "health",
                                                "retry",
                                                "remove",
                                                "clean",
                                                "pause",
                                                "resume",
                                                "promote",
                                                "metrics"};

const std::vector<std::string> k_flags = {"--help",
                                          "--redis",
                                          "--redis-file",
                                          "--prefix",
                                          "--queue",
                                          "--verbose",
                                          "--config",
                                          "--print-config",
                                          "--version",
                                          "--db",
                                          "--concurrency",
                                          "--format"};

} // namespace

TEST_CASE("jq::cli::edit_distance")
{
  CHECK(edit_distance("", "") == 0);
  CHECK(edit_distance("list", "list") == 0);
  CHECK(edit_distance("", "list") == 4);
  CHECK(edit_distance("list", "") == 4);
  CHECK(edit_distance("lst", "list") == 1);   // a letter left out
  CHECK(edit_distance("liist", "list") == 1); // one too many
  CHECK(edit_distance("lust", "list") == 1);  // one wrong
  CHECK(edit_distance("lsit", "list") == 1);  // two swapped
  CHECK(edit_distance("formt", "format") == 1);
  CHECK(edit_distance("kitten", "sitting") == 3);
  CHECK(edit_distance("List", "list") == 1);
  CHECK(edit_distance("ab", "ba") == 1);
  CHECK(edit_distance("abc", "ca") == 3); // restricted: no edit of a swap
}

TEST_CASE("jq::cli::near_names")
{
  SUBCASE("subcommands")
  {
    CHECK(near_names("lst", k_subcommands) == std::vector<std::string>{"list"});
    CHECK(near_names("shwo", k_subcommands)
          == std::vector<std::string>{"show"});
    CHECK(near_names("helth", k_subcommands)
          == std::vector<std::string>{"health"});
    CHECK(near_names("promte", k_subcommands)
          == std::vector<std::string>{"promote"});
    CHECK(near_names("metric", k_subcommands)
          == std::vector<std::string>{"metrics"});
    CHECK(near_names("rerty", k_subcommands)
          == std::vector<std::string>{"retry"});
    CHECK(near_names("paus", k_subcommands)
          == std::vector<std::string>{"pause"});
  }

  SUBCASE("long flags, measured without their dashes")
  {
    CHECK(near_names("--formt", k_flags)
          == std::vector<std::string>{"--format"});
    CHECK(near_names("--qeueu", k_flags)
          == std::vector<std::string>{"--queue"});
    CHECK(near_names("--concurency", k_flags)
          == std::vector<std::string>{"--concurrency"});
    CHECK(near_names("--print-conifg", k_flags)
          == std::vector<std::string>{"--print-config"});
  }

  SUBCASE("an abbreviation of one candidate")
  {
    CHECK(near_names("--conc", k_flags)
          == std::vector<std::string>{"--concurrency"});
    // ... but not of several.
    CHECK(near_names("--re", k_flags).empty());
  }

  SUBCASE("nothing far off")
  {
    CHECK(near_names("banana", k_subcommands).empty());
    CHECK(near_names("x", k_subcommands).empty());
    CHECK(near_names("--no-such-flag", k_flags).empty());
    CHECK(near_names("", k_subcommands).empty());
    CHECK(near_names("lst", {}).empty());
  }

  SUBCASE("the name itself is no suggestion")
  {
    CHECK(near_names("list", k_subcommands).empty());
  }
}

TEST_CASE("jq::cli::did_you_mean")
{
  CHECK(did_you_mean("lst", k_subcommands) == "did you mean 'list'?");
  CHECK(did_you_mean("--formt", k_flags) == "did you mean '--format'?");
  CHECK(did_you_mean("banana", k_subcommands).empty());
  const std::vector<std::string> two = {"--state", "--stale"};
  CHECK(did_you_mean("--stae", two) == "did you mean '--state' or '--stale'?");
  const std::vector<std::string> three = {"cat", "bat", "hat", "rat"};
  CHECK(did_you_mean("mat", three) == "did you mean 'cat', 'bat' or 'hat'?");
}
