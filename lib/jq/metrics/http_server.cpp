#include "http_server.hpp"

#include <jq/core/error.hpp>
#include <jq/core/log.hpp>
#include <jq/metrics/http_response.hpp>

#include <fmt/core.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <list>
#include <thread>
#include <utility>
#include <vector>

namespace jq::metrics {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::size_t k_max_clients = 16;
// From accept to the end of the request head.
constexpr milliseconds k_read_time(2'000);
// From the response ready to it sent and the client gone.
constexpr milliseconds k_write_time(2'000);
// After EMFILE and the like: accept nothing for this long (poll would
// otherwise report the listening socket ready again at once).
constexpr milliseconds k_accept_pause(100);

// Owns one file descriptor; closes it when destroyed.
class Fd
{
public:
  Fd() = default;
  explicit Fd(int fd) noexcept
    : m_fd(fd)
  {
  }
  Fd(Fd&& other) noexcept
    : m_fd(std::exchange(other.m_fd, -1))
  {
  }
  Fd& operator=(Fd&& other) noexcept
  {
    if (this != &other) {
      reset();
      m_fd = std::exchange(other.m_fd, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd()
  {
    reset();
  }
  int get() const noexcept
  {
    return m_fd;
  }
  void reset() noexcept
  {
    if (m_fd >= 0) {
      ::close(m_fd);
      m_fd = -1;
    }
  }

private:
  int m_fd = -1;
};

// One client connection and where it is in its exchange.
struct Client
{
  enum class Phase { reading, writing, draining };
  Fd fd;
  Phase phase = Phase::reading;
  std::string in;
  std::string out;
  std::size_t sent = 0;
  Clock::time_point deadline;
};

std::string errno_text(int error)
{
  return std::strerror(error);
}

} // namespace

std::string ListenAddress::to_string() const
{
  if (host.find(':') != std::string::npos) {
    return fmt::format("[{}]:{}", host, port);
  }
  return fmt::format("{}:{}", host, port);
}

ListenAddress parse_listen_address(std::string_view text)
{
  const auto bad = [&](std::string_view why) {
    return UsageError(fmt::format(
      "bad --metrics-listen '{}': {} (expected ADDR:PORT, :PORT or PORT, "
      "e.g. 127.0.0.1:9100 or [::1]:9100)",
      text,
      why));
  };
  ListenAddress address;
  std::string_view host;
  std::string_view port = text;
  if (text.starts_with('[')) {
    const std::size_t close = text.find(']');
    if (close == std::string_view::npos || text.substr(close + 1, 1) != ":") {
      throw bad("an IPv6 address goes in brackets, followed by :PORT");
    }
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    in6_addr ipv6{};
    if (inet_pton(AF_INET6, std::string(host).c_str(), &ipv6) != 1) {
      throw bad("not an IPv6 address");
    }
    address.host = std::string(host);
  } else if (const std::size_t colon = text.rfind(':');
             colon != std::string_view::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos) {
      throw bad("an IPv6 address goes in brackets");
    }
    in_addr ipv4{};
    if (host.empty() || host == "localhost") {
      address.host = "127.0.0.1";
    } else if (inet_pton(AF_INET, std::string(host).c_str(), &ipv4) == 1) {
      address.host = std::string(host);
    } else {
      throw bad("not a numeric IPv4 address");
    }
  }
  unsigned value = 0;
  const auto [end, ec] =
    std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size()
      || value < 1 || value > 65535) {
    throw bad("the port must be a number from 1 to 65535");
  }
  address.port = static_cast<std::uint16_t>(value);
  return address;
}

struct MetricsServer::State
{
  Render render;
  Fd listener;
  Fd wake_read;
  Fd wake_write;
  std::uint16_t port = 0;
  std::list<Client> clients; // oldest first
  Clock::time_point accept_paused_until;
  std::thread thread;

  void serve();
  void accept_clients();
  // Move `client` on as far as its socket allows; false once it is done.
  bool step(Client& client, short revents);
  void finish_head(Client& client);
};

MetricsServer::MetricsServer(const ListenAddress& address, Render render)
  : m_state(std::make_unique<State>())
{
  State& state = *m_state;
  state.render = std::move(render);
  const std::string where = address.to_string();

  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(address.port);
  if (const int rc =
        getaddrinfo(address.host.c_str(), service.c_str(), &hints, &found);
      rc != 0) {
    throw UsageError(
      fmt::format("cannot listen on {}: {}", where, gai_strerror(rc)));
  }
  const std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> guard(found,
                                                                 &freeaddrinfo);
  Fd fd(::socket(found->ai_family,
                 found->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                 found->ai_protocol));
  if (fd.get() < 0) {
    throw UsageError(
      fmt::format("cannot listen on {}: {}", where, errno_text(errno)));
  }
  // A restarted worker gets its port back while old connections linger in
  // TIME_WAIT.
  const int on = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
  if (::bind(fd.get(), found->ai_addr, found->ai_addrlen) != 0
      || ::listen(fd.get(), 64) != 0) {
    throw UsageError(
      fmt::format("cannot listen on {}: {}", where, errno_text(errno)));
  }
  sockaddr_storage bound{};
  socklen_t length = sizeof bound;
  if (::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &length)
      == 0) {
    const auto* base = reinterpret_cast<const sockaddr*>(&bound);
    state.port =
      ntohs(base->sa_family == AF_INET6
              ? reinterpret_cast<const sockaddr_in6*>(&bound)->sin6_port
              : reinterpret_cast<const sockaddr_in*>(&bound)->sin_port);
  }
  state.listener = std::move(fd);

  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_NONBLOCK | O_CLOEXEC) != 0) {
    throw Error(fmt::format("pipe: {}", errno_text(errno)));
  }
  state.wake_read = Fd(pipe_fds[0]);
  state.wake_write = Fd(pipe_fds[1]);
  state.thread = std::thread([&state] { state.serve(); });
}

MetricsServer::~MetricsServer()
{
  const char byte = 0;
  // The pipe is empty and never full: the write cannot fail for room.
  [[maybe_unused]] const auto written =
    ::write(m_state->wake_write.get(), &byte, 1);
  m_state->thread.join();
}

std::uint16_t MetricsServer::port() const noexcept
{
  return m_state->port;
}

void MetricsServer::State::serve()
{
  std::vector<pollfd> fds;
  std::vector<Client*> polled;
  for (;;) {
    try {
      const auto now = Clock::now();
      fds.clear();
      polled.clear();
      fds.push_back({wake_read.get(), POLLIN, 0});
      const bool accepting = now >= accept_paused_until;
      fds.push_back({accepting ? listener.get() : -1, POLLIN, 0});
      auto wake_at =
        accepting ? now + milliseconds(1'000) : accept_paused_until;
      for (auto& client : clients) {
        const short events =
          client.phase == Client::Phase::writing ? POLLOUT : POLLIN;
        fds.push_back({client.fd.get(), events, 0});
        polled.push_back(&client);
        wake_at = std::min(wake_at, client.deadline);
      }
      const milliseconds::rep wait = std::clamp<milliseconds::rep>(
        std::chrono::duration_cast<milliseconds>(wake_at - now).count() + 1,
        0,
        1'000);
      if (::poll(fds.data(), fds.size(), static_cast<int>(wait)) < 0) {
        if (errno != EINTR) {
          JQ_LOG(warn, "metrics: poll: {}", errno_text(errno));
          std::this_thread::sleep_for(k_accept_pause);
        }
        continue;
      }
      if (fds[0].revents != 0) {
        return; // the destructor's byte: stop
      }
      std::vector<const Client*> done;
      for (std::size_t i = 0; i < polled.size(); ++i) {
        const short revents = fds[i + 2].revents;
        if ((revents != 0 && !step(*polled[i], revents))
            || Clock::now() >= polled[i]->deadline) {
          done.push_back(polled[i]);
        }
      }
      clients.remove_if([&](const Client& client) {
        return std::find(done.begin(), done.end(), &client) != done.end();
      });
      if (fds[1].revents != 0) {
        accept_clients();
      }
    } catch (const std::exception& error) {
      // Out of memory, most likely: drop every client and go on serving.
      JQ_LOG(error, "metrics: {}", error.what());
      clients.clear();
      std::this_thread::sleep_for(k_accept_pause);
    }
  }
}

void MetricsServer::State::accept_clients()
{
  for (;;) {
    Fd fd(::accept4(
      listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
    if (fd.get() < 0) {
      const int error = errno;
      if (error == EAGAIN || error == EWOULDBLOCK || error == EINTR
          || error == ECONNABORTED) {
        return;
      }
      JQ_LOG(warn, "metrics: accept: {}", errno_text(error));
      accept_paused_until = Clock::now() + k_accept_pause;
      return;
    }
    if (clients.size() >= k_max_clients) {
      clients.pop_front(); // the oldest: most likely a stuck one
    }
    Client& client = clients.emplace_back();
    client.fd = std::move(fd);
    client.deadline = Clock::now() + k_read_time;
  }
}

void MetricsServer::State::finish_head(Client& client)
{
  const std::size_t end = find_head_end(client.in);
  if (end != std::string::npos && end <= k_max_request_head) {
    client.out = respond(std::string_view(client.in).substr(0, end), render);
  } else if (client.in.size() > k_max_request_head) {
    client.out = error_response(
      431,
      fmt::format("the request head is over {} bytes", k_max_request_head));
  } else {
    return; // more to come
  }
  client.in.clear();
  client.in.shrink_to_fit();
  client.phase = Client::Phase::writing;
  client.deadline = Clock::now() + k_write_time;
}

bool MetricsServer::State::step(Client& client, short revents)
{
  if ((revents & POLLNVAL) != 0) {
    return false;
  }
  char buffer[4096];
  if (client.phase == Client::Phase::reading) {
    // Read no further than one byte past the limit: enough to know.
    const std::size_t room =
      std::min(sizeof buffer, k_max_request_head + 1 - client.in.size());
    const ssize_t n = ::recv(client.fd.get(), buffer, room, 0);
    if (n == 0) {
      return false; // gone before a whole head
    }
    if (n < 0) {
      return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    }
    client.in.append(buffer, static_cast<std::size_t>(n));
    finish_head(client);
    if (client.phase == Client::Phase::reading) {
      return true;
    }
  }
  if (client.phase == Client::Phase::writing) {
    while (client.sent < client.out.size()) {
      const ssize_t n = ::send(client.fd.get(),
                               client.out.data() + client.sent,
                               client.out.size() - client.sent,
                               MSG_NOSIGNAL);
      if (n < 0) {
        return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
      }
      client.sent += static_cast<std::size_t>(n);
    }
    // All sent: say so, and wait for the client to close, so that what it
    // sent beyond the head does not make our close() reset the connection
    // before it has read the response.
    ::shutdown(client.fd.get(), SHUT_WR);
    client.phase = Client::Phase::draining;
    return true;
  }
  // Draining: discard until the client closes (or the deadline).
  const ssize_t n = ::recv(client.fd.get(), buffer, sizeof buffer, 0);
  if (n == 0) {
    return false;
  }
  if (n < 0) {
    return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
  }
  return true;
}

} // namespace jq::metrics
