#include <jq/core/error.hpp>
#include <jq/core/log.hpp>

#include <doctest/doctest.h>
#include <fmt/core.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>

namespace fs = std::filesystem;

namespace {

// Points file descriptor 2 at a fresh temporary file for the scope, so a
// test reads the exact bytes the logger wrote; puts the old stderr back.
class CapturedStderr
{
public:
  CapturedStderr()
    : m_path((fs::temp_directory_path()
              / fmt::format("jq-unit-log-{}-{}", ::getpid(), s_count++))
               .string())
  {
    std::fflush(stderr);
    m_saved = ::dup(STDERR_FILENO);
    const int file = ::open(m_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    REQUIRE(file >= 0);
    ::dup2(file, STDERR_FILENO);
    ::close(file);
  }
  CapturedStderr(const CapturedStderr&) = delete;
  CapturedStderr& operator=(const CapturedStderr&) = delete;
  ~CapturedStderr()
  {
    std::fflush(stderr);
    ::dup2(m_saved, STDERR_FILENO);
    ::close(m_saved);
    fs::remove(m_path);
  }

  // What has been written so far.
  std::string text() const
  {
    std::fflush(stderr);
    std::ifstream in(m_path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }

  // JOURNAL_STREAM's value for this file: "DEVICE:INODE".
  std::string journal_stream() const
  {
    struct stat status = {};
    REQUIRE(::stat(m_path.c_str(), &status) == 0);
    return fmt::format("{}:{}", status.st_dev, status.st_ino);
  }

private:
  static inline int s_count = 0;
  std::string m_path;
  int m_saved = -1;
};

// Sets (or, with nullptr, unsets) an environment variable for the scope.
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

// The logger's settings for one test, put back afterwards.
class ScopedLogger
{
public:
  ScopedLogger(jq::log::Format format, bool is_journal)
    : m_format(jq::log::format()),
      m_is_journal(jq::log::is_journal())
  {
    jq::log::set_program("jq-test");
    jq::log::set_format(format);
    jq::log::set_journal(is_journal);
  }
  ScopedLogger(const ScopedLogger&) = delete;
  ScopedLogger& operator=(const ScopedLogger&) = delete;
  ~ScopedLogger()
  {
    jq::log::set_program("jq");
    jq::log::set_format(m_format);
    jq::log::set_journal(m_is_journal);
  }

private:
  jq::log::Format m_format;
  bool m_is_journal;
};

// The timestamp at `offset` of `line` (2024-05-01T12:00:00.123Z), checked.
std::string stamp_at(const std::string& line, std::size_t offset)
{
  REQUIRE(line.size() >= offset + 24);
  const std::string stamp = line.substr(offset, 24);
  // Digits where 2024-05-01T12:00:00.123Z has digits, the rest as there.
  // (No <regex>: GCC 12 warns inside it under the sanitizer builds.)
  const std::string_view shape = "dddd-dd-ddTdd:dd:dd.dddZ";
  bool matches = true;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    matches = matches
              && (shape[i] == 'd'
                    ? std::isdigit(static_cast<unsigned char>(stamp[i])) != 0
                    : stamp[i] == shape[i]);
  }
  CHECK_MESSAGE(matches, stamp);
  return stamp;
}

} // namespace

TEST_CASE("jq::log::parse_format")
{
  CHECK(jq::log::parse_format("text") == jq::log::Format::text);
  CHECK(jq::log::parse_format("json") == jq::log::Format::json);
  CHECK_THROWS_AS(jq::log::parse_format("JSON"), jq::UsageError);
  CHECK_THROWS_AS(jq::log::parse_format(""), jq::UsageError);
}

TEST_CASE("jq::log::journal_priority")
{
  using jq::log::Level;
  CHECK(jq::log::journal_priority(Level::error) == 3);
  CHECK(jq::log::journal_priority(Level::warn) == 4);
  CHECK(jq::log::journal_priority(Level::info) == 6);
  CHECK(jq::log::journal_priority(Level::debug) == 7);
}

TEST_CASE("jq::log::write text lines")
{
  using jq::log::Level;
  const CapturedStderr captured;

  SUBCASE("as before when stderr is not the journal")
  {
    const ScopedLogger logger(jq::log::Format::text, false);
    jq::log::write(Level::warn, "disk is slow", {{"job_id", "7"}});
    const std::string text = captured.text();
    CHECK(text
          == fmt::format("[{} {}] jq-test warn: disk is slow\n",
                         stamp_at(text, 1),
                         ::getpid()));
    CHECK(jq::log::journal_prefix(Level::error).empty());
  }

  SUBCASE("with the priority of each level for the journal")
  {
    const ScopedLogger logger(jq::log::Format::text, true);
    jq::log::write(Level::error, "boom");
    jq::log::write(Level::warn, "careful");
    jq::log::write(Level::info, "ready");
    jq::log::write(Level::debug, "BRPOP");
    const std::string text = captured.text();
    const std::string stamp = stamp_at(text, 4);
    // The four lines come within a few milliseconds: compare them with
    // each one's own stamp.
    std::string expected;
    std::size_t at = 0;
    for (const auto& [prefix, body] : {std::pair{"<3>", "error: boom"},
                                       std::pair{"<4>", "warn: careful"},
                                       std::pair{"<6>", "info: ready"},
                                       std::pair{"<7>", "debug: BRPOP"}}) {
      const std::string line = fmt::format("{}[{} {}] jq-test {}\n",
                                           prefix,
                                           stamp_at(text, at + 4),
                                           ::getpid(),
                                           body);
      expected += line;
      at += line.size();
    }
    CHECK(text == expected);
    CHECK(text.starts_with("<3>[" + stamp + " "));
    CHECK(jq::log::journal_prefix(Level::warn) == "<4>");
  }

  SUBCASE("a message of several lines keeps its priority on each")
  {
    const ScopedLogger logger(jq::log::Format::text, true);
    jq::log::write(Level::warn, "first\nsecond\n\nfourth");
    const std::string text = captured.text();
    CHECK(text
          == fmt::format("<4>[{} {}] jq-test warn: first\n<4>second\n<4>\n"
                         "<4>fourth\n",
                         stamp_at(text, 4),
                         ::getpid()));
  }
}

TEST_CASE("jq::log::write JSON lines")
{
  using jq::log::Level;
  const CapturedStderr captured;

  SUBCASE("as before when stderr is not the journal")
  {
    const ScopedLogger logger(jq::log::Format::json, false);
    jq::log::write(
      Level::info, "job 7 done", {{"job_id", "7"}, {"duration_ms", 12}});
    const std::string text = captured.text();
    CHECK(text
          == fmt::format(R"({{"time":"{}","level":"info","program":"jq-test",)"
                         R"("pid":{},"msg":"job 7 done","job_id":"7",)"
                         R"("duration_ms":12}})"
                         "\n",
                         stamp_at(text, 9),
                         ::getpid()));
  }

  SUBCASE("with the prefix and a PRIORITY member for the journal")
  {
    const ScopedLogger logger(jq::log::Format::json, true);
    jq::log::write(Level::error, "lost Redis", {{"event", "redis_lost"}});
    jq::log::write(Level::debug, "a\nb");
    const std::string text = captured.text();
    const std::string first = text.substr(0, text.find('\n') + 1);
    CHECK(first
          == fmt::format(R"(<3>{{"time":"{}","level":"error","PRIORITY":"3",)"
                         R"("program":"jq-test","pid":{},"msg":"lost Redis",)"
                         R"("event":"redis_lost"}})"
                         "\n",
                         stamp_at(text, 12),
                         ::getpid()));
    // A newline in a JSON line is escaped: one prefix is enough.
    CHECK(text.substr(first.size())
          == fmt::format(R"(<7>{{"time":"{}","level":"debug","PRIORITY":"7",)"
                         R"("program":"jq-test","pid":{},"msg":"a\nb"}})"
                         "\n",
                         stamp_at(text, first.size() + 12),
                         ::getpid()));
  }
}

TEST_CASE("jq::log::stderr_is_journal")
{
  const CapturedStderr captured;

  SUBCASE("no JOURNAL_STREAM: not the journal")
  {
    const ScopedEnv stream("JOURNAL_STREAM", nullptr);
    CHECK_FALSE(jq::log::stderr_is_journal());
  }

  SUBCASE("JOURNAL_STREAM names stderr's device and inode")
  {
    const ScopedEnv stream("JOURNAL_STREAM", captured.journal_stream().c_str());
    CHECK(jq::log::stderr_is_journal());
  }

  SUBCASE("JOURNAL_STREAM inherited, stderr elsewhere: not the journal")
  {
    const CapturedStderr other;
    const ScopedEnv stream("JOURNAL_STREAM", other.journal_stream().c_str());
    // `other` is stderr now; the stream named is the first file.
    {
      const ScopedEnv first("JOURNAL_STREAM",
                            captured.journal_stream().c_str());
      CHECK_FALSE(jq::log::stderr_is_journal());
    }
    CHECK(jq::log::stderr_is_journal());
  }

  SUBCASE("a malformed JOURNAL_STREAM: not the journal")
  {
    const std::string good = captured.journal_stream();
    for (const std::string& bad : {std::string(),
                                   std::string(":"),
                                   good.substr(0, good.find(':')),
                                   good + "x",
                                   " " + good,
                                   "-" + good,
                                   good.substr(0, good.find(':')) + ":"}) {
      CAPTURE(bad);
      const ScopedEnv stream("JOURNAL_STREAM", bad.c_str());
      CHECK_FALSE(jq::log::stderr_is_journal());
    }
  }
}
