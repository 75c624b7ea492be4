#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

namespace jq::metrics {

// Where to listen: a numeric address and a port.
struct ListenAddress
{
  std::string host = "127.0.0.1"; // IPv4 dotted quad, or IPv6 (no brackets)
  std::uint16_t port = 0;

  // `127.0.0.1:9100`, `[::1]:9100`.
  std::string to_string() const;
};

// Parse `ADDR:PORT`, `:PORT` or `PORT`. Without ADDR (or with `localhost`)
// it is the loopback 127.0.0.1; ADDR is otherwise a numeric IPv4 address or
// an IPv6 one in brackets (`[::1]:9100`; `0.0.0.0` or `[::]` for every
// interface). PORT is 1 to 65535. Throws UsageError for anything else.
ListenAddress parse_listen_address(std::string_view text);

// A minimal HTTP/1.0-1.1 responder for Prometheus scrapes: answers
// GET /metrics with the text `render` returns (see respond() for the rest),
// one response per connection. It runs on a thread of its own with
// poll(), non-blocking sockets and short time limits: at most 16
// connections at a time (the oldest is dropped for a new one), a request
// head of at most k_max_request_head bytes, 2 s to send it and 2 s to read
// the answer. A slow, silent or hostile client costs the worker's other
// threads nothing but a rendering. `render` is called on that thread and
// must be thread-safe. Neither copyable nor movable.
class MetricsServer
{
public:
  using Render = std::function<std::string()>;

  // Listen on `address` and start serving. Throws UsageError if it cannot
  // listen there (address in use, not one of this host's, ...).
  MetricsServer(const ListenAddress& address, Render render);
  // Stop serving and close every socket (joins the thread).
  ~MetricsServer();
  MetricsServer(const MetricsServer&) = delete;
  MetricsServer& operator=(const MetricsServer&) = delete;

  // The port listened on.
  std::uint16_t port() const noexcept;

private:
  struct State;
  std::unique_ptr<State> m_state;
};

} // namespace jq::metrics
