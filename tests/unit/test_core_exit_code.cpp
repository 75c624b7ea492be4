#include <jq/core/error.hpp>
#include <jq/core/exit_code.hpp>

#include <doctest/doctest.h>

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

using jq::exit_code_for;
using jq::ExitCode;

TEST_CASE("jq::exit_code_for")
{
  SUBCASE("usage errors give 2")
  {
    CHECK(exit_code_for(jq::UsageError("bad flag")) == ExitCode::usage);
    CHECK(jq::to_int(exit_code_for(jq::UsageError("x"))) == 2);
  }

  SUBCASE("Redis out of reach gives 69")
  {
    CHECK(exit_code_for(jq::RedisIoError("refused"))
          == ExitCode::redis_unavailable);
    CHECK(exit_code_for(jq::RedisTimeoutError("timed out"))
          == ExitCode::redis_unavailable);
    CHECK(jq::to_int(exit_code_for(jq::RedisIoError("x"))) == 69);
  }

  SUBCASE("an error reply from Redis gives 76, not 69")
  {
    CHECK(jq::to_int(exit_code_for(jq::RedisReplyError("WRONGTYPE ...")))
          == 76);
    CHECK(jq::to_int(exit_code_for(jq::RedisReplyError("OOM ..."))) == 76);
  }

  SUBCASE("anything else gives 70")
  {
    CHECK(exit_code_for(jq::ProtocolError("bad payload"))
          == ExitCode::software);
    CHECK(exit_code_for(std::runtime_error("boom")) == ExitCode::software);
    CHECK(exit_code_for(std::logic_error("bug")) == ExitCode::software);
    CHECK(exit_code_for(jq::Error("generic")) == ExitCode::software);
    CHECK(jq::to_int(exit_code_for(std::runtime_error("x"))) == 70);
  }

  SUBCASE("caught through a base reference")
  {
    try {
      throw jq::RedisTimeoutError("timed out");
    } catch (const std::exception& e) {
      CHECK(exit_code_for(e) == ExitCode::redis_unavailable);
    }
  }
}

TEST_CASE("jq::exit_code_help")
{
  const std::string help(jq::exit_code_help());
  CHECK(help.starts_with("Exit codes:\n"));
  for (const auto code : {ExitCode::success,
                          ExitCode::job_failed,
                          ExitCode::usage,
                          ExitCode::no_such_job,
                          ExitCode::reply_gone,
                          ExitCode::redis_unavailable,
                          ExitCode::software,
                          ExitCode::timeout,
                          ExitCode::interrupted,
                          ExitCode::terminated}) {
    const std::string line = "\n  " + std::to_string(jq::to_int(code)) + " ";
    CAPTURE(line);
    CHECK(help.find(line) != std::string::npos);
  }
  CHECK(help.back() == '\n');
}

TEST_CASE("jq::ExitCode")
{
  CHECK(jq::to_int(ExitCode::success) == 0);
  CHECK(jq::to_int(ExitCode::job_failed) == 1);
  CHECK(jq::to_int(ExitCode::usage) == 2);
  CHECK(jq::to_int(ExitCode::no_such_job) == 3);
  CHECK(jq::to_int(ExitCode::reply_gone) == 4);
  CHECK(jq::to_int(ExitCode::redis_unavailable) == 69);
  CHECK(jq::to_int(ExitCode::software) == 70);
  CHECK(jq::to_int(ExitCode::timeout) == 124);
  CHECK(jq::to_int(ExitCode::interrupted) == 130);
  CHECK(jq::to_int(ExitCode::terminated) == 143);
}

TEST_CASE("jq::exit_codes of each tool")
{
  const auto codes_of = [](std::string_view tool) {
    std::vector<int> codes;
    for (const auto& info : jq::exit_codes(tool)) {
      codes.push_back(jq::to_int(info.code));
    }
    return codes;
  };
  CHECK(codes_of("jq-submit")
        == std::vector<int>{0, 1, 2, 3, 4, 5, 69, 70, 76, 124, 130, 143});
  CHECK(codes_of("jq-worker") == std::vector<int>{0, 2, 69, 70, 76});
  CHECK(codes_of("jq-inspect")
        == std::vector<int>{0, 1, 2, 3, 10, 11, 69, 70, 76, 130, 143});
  CHECK(
    codes_of("")
    == std::vector<int>{0, 1, 2, 3, 4, 5, 10, 11, 69, 70, 76, 124, 130, 143});
  for (const auto* tool : {"jq-submit", "jq-worker", "jq-inspect", ""}) {
    CAPTURE(tool);
    for (const auto& info : jq::exit_codes(tool)) {
      CHECK(!info.meaning.empty());
    }
  }
}

TEST_CASE("jq::exit_code_help of each tool")
{
  for (const auto* tool : {"jq-submit", "jq-worker", "jq-inspect"}) {
    CAPTURE(tool);
    const std::string help = jq::exit_code_help(tool);
    CHECK(help.starts_with("Exit codes:\n"));
    for (const auto& info : jq::exit_codes(tool)) {
      CHECK(help.find("\n  " + std::to_string(jq::to_int(info.code)) + " ")
            != std::string::npos);
    }
    // Lines fit a terminal; a long meaning goes on under itself.
    std::size_t start = 0;
    while (start < help.size()) {
      const std::size_t end = help.find('\n', start);
      const auto line = help.substr(start, end - start);
      CAPTURE(line);
      CHECK(line.size() <= 79);
      if (!line.empty() && line[0] == ' ' && line.find_first_not_of(' ') > 2) {
        CHECK(line.find_first_not_of(' ') == 7);
      }
      start = end + 1;
    }
  }
  const std::string inspect = jq::exit_code_help("jq-inspect");
  CHECK(inspect.find("\n  10   health: no worker") != std::string::npos);
  CHECK(inspect.find("\n  124") == std::string::npos);
  const std::string worker = jq::exit_code_help("jq-worker");
  CHECK(worker.find("\n  1 ") == std::string::npos);
  CHECK(worker.find("\n  124") == std::string::npos);
}
