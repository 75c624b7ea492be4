#include <jq/core/error.hpp>
#include <jq/sql/database_spec.hpp>

#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

using jq::sql::EngineKind;
using jq::sql::parse_database_spec;

namespace {

// The UsageError message for `text`, or "" when it parses.
std::string spec_error(const std::string& text)
{
  try {
    parse_database_spec(text);
  } catch (const jq::UsageError& e) {
    return e.what();
  }
  return "";
}

} // namespace

TEST_CASE("jq::sql::parse_database_spec: SQLite files")
{
  const auto spec = parse_database_spec("app=/var/lib/app.sqlite");
  CHECK(spec.name == "app");
  CHECK(spec.engine == EngineKind::sqlite);
  CHECK(spec.path == "/var/lib/app.sqlite");
  CHECK(spec.url.empty());
  CHECK_FALSE(spec.read_only);

  const auto ro = parse_database_spec("ref=ref.sqlite:ro");
  CHECK(ro.path == "ref.sqlite");
  CHECK(ro.read_only);
  CHECK(ro.redacted() == "ref=ref.sqlite:ro");

  CHECK(spec_error("app") != "");
  CHECK(spec_error("=x.sqlite").find("name is empty") != std::string::npos);
  CHECK(spec_error("app=").find("path is empty") != std::string::npos);
}

TEST_CASE("jq::sql::parse_database_spec: PostgreSQL URLs")
{
  SUBCASE("both schemes, the URL handed on as given")
  {
    const auto spec =
      parse_database_spec("pg=postgresql://jq:s3cret@db.example:5433/app");
    CHECK(spec.name == "pg");
    CHECK(spec.engine == EngineKind::postgresql);
    CHECK(spec.url == "postgresql://jq:s3cret@db.example:5433/app");
    CHECK(spec.path.empty());
    CHECK_FALSE(spec.read_only);
    CHECK(parse_database_spec("pg=postgres://h/app").engine
          == EngineKind::postgresql);
    CHECK(parse_database_spec("pg=postgresql://").url == "postgresql://");
  }

  SUBCASE(":ro after the URL")
  {
    const auto spec = parse_database_spec("pg=postgresql://h/app:ro");
    CHECK(spec.read_only);
    CHECK(spec.url == "postgresql://h/app");
  }

  SUBCASE("ro in the query is taken out, the rest kept")
  {
    auto spec =
      parse_database_spec("pg=postgresql://h/app?ro=1&sslmode=require");
    CHECK(spec.read_only);
    CHECK(spec.url == "postgresql://h/app?sslmode=require");
    spec = parse_database_spec("pg=postgresql://h/app?sslmode=require&ro=1");
    CHECK(spec.read_only);
    CHECK(spec.url == "postgresql://h/app?sslmode=require");
    spec = parse_database_spec("pg=postgresql://h/app?ro=true");
    CHECK(spec.read_only);
    CHECK(spec.url == "postgresql://h/app");
    spec = parse_database_spec("pg=postgresql://h/app?ro=0");
    CHECK_FALSE(spec.read_only);
    CHECK(spec.url == "postgresql://h/app");
    // A query parameter merely ending in "ro" is not it.
    spec = parse_database_spec("pg=postgresql://h/app?intro=1");
    CHECK_FALSE(spec.read_only);
    CHECK(spec.url == "postgresql://h/app?intro=1");
    CHECK(spec_error("pg=postgresql://h/app?ro=maybe").find("ro=maybe")
          != std::string::npos);
  }

  SUBCASE("MySQL and MariaDB")
  {
    for (const char* text : {"m=mysql://u:pw@h/db", "m=mariadb://u:pw@h/db"}) {
      const auto spec = parse_database_spec(text);
      CHECK(spec.engine == EngineKind::mysql);
      CHECK(spec.url == std::string(text).substr(2));
      CHECK_FALSE(spec.read_only);
    }
    auto spec = parse_database_spec("m=mysql://h/db?socket=/run/s&ro=1");
    CHECK(spec.read_only);
    CHECK(spec.url == "mysql://h/db?socket=/run/s");
    spec = parse_database_spec("m=mariadb://h/db:ro");
    CHECK(spec.read_only);
    CHECK(spec.url == "mariadb://h/db");
  }
}

TEST_CASE("jq::sql::DatabaseSpec hides the password")
{
  const auto spec =
    parse_database_spec("pg=postgresql://jq:s3cr%40t@db:5432/app?ro=1");
  CHECK(spec.redacted() == "pg=postgresql://jq:***@db:5432/app:ro");
  CHECK(spec.scrub("auth failed for s3cr%40t and s3cr@t")
        == "auth failed for *** and ***");

  const auto in_query = parse_database_spec(
    "pg=postgresql://db/app?user=jq&password=hunter22&sslmode=disable");
  CHECK(in_query.redacted()
        == "pg=postgresql://db/app?user=jq&password=***&sslmode=disable");
  CHECK(in_query.scrub("x hunter22 y") == "x *** y");

  // No password: nothing to hide, nothing scrubbed.
  const auto plain = parse_database_spec("pg=postgresql://jq@db/app");
  CHECK(plain.redacted() == "pg=postgresql://jq@db/app");
  CHECK(plain.scrub("jq") == "jq");

  CHECK(jq::sql::redacted_database_spec("pg=postgresql://u:pw1@h/d")
        == "pg=postgresql://u:***@h/d");
  const auto my = parse_database_spec("m=mysql://jq:s3cr%40t@db:3306/app:ro");
  CHECK(my.redacted() == "m=mysql://jq:***@db:3306/app:ro");
  CHECK(my.scrub("denied for s3cr@t") == "denied for ***");
  CHECK(jq::sql::redacted_database_spec("m=mariadb://u:pw1@h/d")
        == "m=mariadb://u:***@h/d");
  const std::string bad =
    jq::sql::redacted_database_spec("pg=postgresql://u:pw1@h/d?ro=2");
  CHECK(bad.find("pw1") == std::string::npos);
  CHECK(bad.find("not shown") != std::string::npos);

  // A password with an unencoded '/', '?' or '#' would split the URL inside
  // it: refused, and shown nowhere.
  for (const char* text : {"m=mysql://u:pa/ss99@h/db",
                           "m=mysql://u:pa?ss99@h/db",
                           "p=postgresql://u:pa#ss99@h/db",
                           "p=postgres://u:pa/ss99@h:5432/db:ro"}) {
    CAPTURE(text);
    CHECK_THROWS_AS(parse_database_spec(text), jq::UsageError);
    const std::string shown = jq::sql::redacted_database_spec(text);
    CHECK(shown.find("ss99") == std::string::npos);
    CHECK(shown.find("%2F") != std::string::npos);
  }
  CHECK(parse_database_spec("m=mysql://u:pa%2Fss99@h/db").redacted()
        == "m=mysql://u:***@h/db");
  // No '@': `user:secret` would be taken for host:port.
  for (const char* text :
       {"m=mysql://app:ss99/db", "p=postgresql://app:ss99"}) {
    CAPTURE(text);
    const std::string shown = jq::sql::redacted_database_spec(text);
    CHECK(shown.find("ss99") == std::string::npos);
    CHECK(shown.find("not a port number") != std::string::npos);
  }
  // An '@' in a query value, and real ports, stay allowed.
  CHECK_NOTHROW(parse_database_spec(
    "p=postgresql:///app?host=/run/postgresql&user=svc@corp"));
  CHECK_NOTHROW(parse_database_spec("p=postgresql://db:5432/app"));
  CHECK_NOTHROW(parse_database_spec("p=postgresql://[::1]:5432/app"));
  CHECK_NOTHROW(parse_database_spec("m=mysql://u@h:3306/app"));
}

TEST_CASE("jq::sql::read_database_file")
{
  const std::string path =
    std::filesystem::temp_directory_path()
    / ("jq-db-file-" + std::to_string(::getpid()) + ".list");
  const auto write = [&](const std::string& text) {
    std::ofstream(path, std::ios::trunc) << text;
  };
  const auto file_error = [&]() -> std::string {
    try {
      jq::sql::read_database_file(path);
    } catch (const jq::UsageError& e) {
      return e.what();
    }
    return "";
  };

  SUBCASE("one spec per line; blank lines and comments skipped")
  {
    write("# databases\n\n  app=/srv/app.sqlite  \r\n"
          "pg=postgresql://u:s3cret@h/d:ro\n\t# indented comment\n");
    const auto specs = jq::sql::read_database_file(path);
    REQUIRE(specs.size() == 2);
    CHECK(specs[0].name == "app");
    CHECK(specs[0].path == "/srv/app.sqlite");
    CHECK(specs[1].engine == EngineKind::postgresql);
    CHECK(specs[1].read_only);
  }

  SUBCASE("an empty file gives no spec")
  {
    write("");
    CHECK(jq::sql::read_database_file(path).empty());
  }

  SUBCASE("a bad line names the file and line, not the password")
  {
    write("app=/a.sqlite\nnope\n");
    CHECK(file_error()
          == path
               + ":2: invalid database 'nope': expected "
                 "NAME=PATH[:ro] or NAME=postgresql://...");
    write("x=mysql://u:s3cret@h/d?ro=maybe\n");
    const std::string error = file_error();
    CHECK(error.find(path + ":1: ") == 0);
    CHECK(error.find("s3cret") == std::string::npos);
  }

  SUBCASE("a file that cannot be read")
  {
    std::filesystem::remove(path);
    CHECK(file_error() == "--db-file " + path + ": cannot be read");
  }
  std::filesystem::remove(path);
}
