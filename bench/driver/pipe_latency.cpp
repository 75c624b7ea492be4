// jq-bench-pipe: one caller's round trips through `jq-submit --stdin -j 1`,
// timed from writing a job line to reading its reply line. A native caller,
// so the figure is jq's and not a harness's: Bull's side is timed inside its
// own process (bench/node/bull-producer.js), with no pipe at all.
//
//   jq-bench-pipe COUNT DB SQL -- JQ-SUBMIT [ARGS...]
//
// Job i binds parameter i. One job goes first, untimed: its round trip also
// waits for jq-submit to start and connect, which the one-shot rows measure
// (the peers' producers likewise connect and send one job before timing).
// Prints each timed round trip in ms, one per line; exits 1 if a reply is
// not "completed" or jq-submit fails.
#include <fmt/core.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

[[noreturn]] void die(const std::string& message)
{
  fmt::print(stderr, "jq-bench-pipe: {}\n", message);
  std::exit(1);
}

void write_all(int fd, const std::string& text)
{
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) {
      continue;
    }
    if (n <= 0) {
      die(fmt::format("write to jq-submit: {}", std::strerror(errno)));
    }
    done += static_cast<std::size_t>(n);
  }
}

// Reads lines from a pipe, keeping what follows a newline for next time.
class LineReader
{
public:
  explicit LineReader(int fd)
    : m_fd(fd)
  {
  }
  bool next(std::string& line)
  {
    for (;;) {
      if (const auto end = m_buffer.find('\n'); end != std::string::npos) {
        line.assign(m_buffer, 0, end);
        m_buffer.erase(0, end + 1);
        return true;
      }
      char chunk[65536];
      const ssize_t n = ::read(m_fd, chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) {
        continue;
      }
      if (n <= 0) {
        return false;
      }
      m_buffer.append(chunk, static_cast<std::size_t>(n));
    }
  }

private:
  int m_fd;
  std::string m_buffer;
};

} // namespace

int main(int argc, char** argv)
{
  if (argc < 6 || std::strcmp(argv[4], "--") != 0) {
    die("usage: jq-bench-pipe COUNT DB SQL -- JQ-SUBMIT [ARGS...]");
  }
  const long count = std::strtol(argv[1], nullptr, 10);
  const std::string db = argv[2];
  const std::string sql = argv[3];
  if (count <= 0) {
    die("COUNT must be a positive number");
  }

  int to_child[2];
  int from_child[2];
  if (::pipe(to_child) != 0 || ::pipe(from_child) != 0) {
    die(fmt::format("pipe: {}", std::strerror(errno)));
  }
  const pid_t pid = ::fork();
  if (pid < 0) {
    die(fmt::format("fork: {}", std::strerror(errno)));
  }
  if (pid == 0) {
    ::dup2(to_child[0], STDIN_FILENO);
    ::dup2(from_child[1], STDOUT_FILENO);
    for (const int fd :
         {to_child[0], to_child[1], from_child[0], from_child[1]}) {
      ::close(fd);
    }
    ::execvp(argv[5], argv + 5);
    fmt::print(stderr,
               "jq-bench-pipe: cannot run {}: {}\n",
               argv[5],
               std::strerror(errno));
    ::_exit(127);
  }
  ::close(to_child[0]);
  ::close(from_child[1]);

  using Clock = std::chrono::steady_clock;
  std::vector<double> samples;
  samples.reserve(static_cast<std::size_t>(count));
  LineReader reader(from_child[0]);
  std::string reply;
  // Job -1 is the untimed first one.
  for (long i = -1; i < count; ++i) {
    // db and sql go in as JSON strings; the bench passes plain text.
    const std::string line =
      fmt::format(R"({{"db":"{}","sql":"{}","params":[{}]}})"
                  "\n",
                  db,
                  sql,
                  i);
    const auto start = Clock::now();
    write_all(to_child[1], line);
    if (!reader.next(reply)) {
      die("jq-submit ended before replying");
    }
    if (i >= 0) {
      samples.push_back(
        std::chrono::duration<double, std::milli>(Clock::now() - start)
          .count());
    }
    if (reply.find(R"("status":"completed")") == std::string::npos) {
      die(fmt::format("job {} did not complete: {}", i, reply));
    }
  }
  ::close(to_child[1]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    die("jq-submit did not exit 0");
  }
  std::string out;
  for (const double ms : samples) {
    out += fmt::format("{:.4f}\n", ms);
  }
  std::fputs(out.c_str(), stdout);
  return 0;
}
