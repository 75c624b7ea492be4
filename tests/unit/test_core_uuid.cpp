#include <jq/core/uuid.hpp>

#include <doctest/doctest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <set>
#include <string>
#include <thread>
#include <vector>

using jq::make_uuid;

namespace {

bool is_lower_hex(char c)
{
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

} // namespace

TEST_CASE("jq::make_uuid")
{
  SUBCASE("canonical 8-4-4-4-12 lower-case form")
  {
    for (int i = 0; i < 100; ++i) {
      const std::string id = make_uuid();
      CAPTURE(id);
      REQUIRE(id.size() == 36);
      for (std::size_t j = 0; j < id.size(); ++j) {
        if (j == 8 || j == 13 || j == 18 || j == 23) {
          CHECK(id[j] == '-');
        } else {
          CHECK(is_lower_hex(id[j]));
        }
      }
    }
  }

  SUBCASE("version 7, RFC 9562 variant")
  {
    for (int i = 0; i < 100; ++i) {
      const std::string id = make_uuid();
      CAPTURE(id);
      REQUIRE(id.size() == 36);
      CHECK(id[14] == '7');
      CHECK(std::string("89ab").find(id[19]) != std::string::npos);
    }
  }

  SUBCASE("the first 48 bits are the time in milliseconds")
  {
    const auto now_ms = [] {
      return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
    };
    const auto before = now_ms();
    const std::string id = make_uuid();
    const auto after = now_ms();
    CAPTURE(id);
    const auto stamp = static_cast<std::int64_t>(
      std::stoull(id.substr(0, 8) + id.substr(9, 4), nullptr, 16));
    CHECK(stamp >= before);
    CHECK(stamp <= after);
  }

  SUBCASE("ids made a millisecond apart sort in the order made")
  {
    const std::string first = make_uuid();
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    const std::string second = make_uuid();
    CHECK(first < second);
  }

  SUBCASE("1000 are distinct")
  {
    std::set<std::string> ids;
    for (int i = 0; i < 1000; ++i) {
      ids.insert(make_uuid());
    }
    CHECK(ids.size() == 1000);
  }

  SUBCASE("threads and a forked child never repeat each other's ids")
  {
    // Random bytes are read ahead per thread: each thread, and a child
    // of fork(), must draw fresh ones.
    make_uuid(); // this thread's bytes read ahead
    int fds[2];
    REQUIRE(pipe(fds) == 0);
    const pid_t child = fork();
    REQUIRE(child >= 0);
    if (child == 0) {
      std::string ids;
      for (int i = 0; i < 40; ++i) {
        ids += make_uuid();
      }
      const auto written = write(fds[1], ids.data(), ids.size());
      _exit(written == static_cast<ssize_t>(ids.size()) ? 0 : 1);
    }
    close(fds[1]);
    std::vector<std::string> others(5);
    for (int i = 0; i < 40; ++i) {
      others[0] += make_uuid();
    }
    std::vector<std::thread> threads;
    for (std::size_t t = 1; t < others.size(); ++t) {
      threads.emplace_back([&other = others[t]] {
        for (int i = 0; i < 40; ++i) {
          other += make_uuid();
        }
      });
    }
    for (auto& thread : threads) {
      thread.join();
    }
    std::string from_child(40 * 36, '\0');
    std::size_t got = 0;
    while (got < from_child.size()) {
      const auto n =
        read(fds[0], from_child.data() + got, from_child.size() - got);
      REQUIRE(n > 0);
      got += static_cast<std::size_t>(n);
    }
    close(fds[0]);
    int status = 0;
    REQUIRE(waitpid(child, &status, 0) == child);
    CHECK(WIFEXITED(status));
    others.push_back(from_child);
    // The random part alone (after the time and version): ids made in
    // different milliseconds differ anyway.
    std::set<std::string> ids;
    for (const auto& batch : others) {
      for (std::size_t at = 0; at < batch.size(); at += 36) {
        ids.insert(batch.substr(at + 15, 21));
      }
    }
    CHECK(ids.size() == 40 * 6);
  }
}
