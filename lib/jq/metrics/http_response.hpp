#pragma once

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

namespace jq::metrics {

// The most a request head (request line and headers) may take; a longer one
// is answered 431 and the connection closed.
inline constexpr std::size_t k_max_request_head = 8 * 1024;

// Where the head of the request in `buffer` ends (just past its blank line,
// CRLF CRLF or a bare LF LF), or std::string_view::npos while it has not.
std::size_t find_head_end(std::string_view buffer) noexcept;

// The whole HTTP/1.1 response to a request whose head is `head`, with
// `Connection: close`:
//   GET or HEAD /metrics (a query string is ignored): 200, the text of
//   `render()` as `k_content_type` (HEAD: its headers only);
//   another path: 404; another method on /metrics: 405 (Allow: GET, HEAD);
//   a version other than HTTP/1.0 or HTTP/1.1: 505; a head that is not
//   `METHOD SP TARGET SP HTTP/x.y` then headers: 400; `render` throws: 500.
// Free of sockets, so that it is tested alone.
std::string respond(std::string_view head,
                    const std::function<std::string()>& render);

// A response with `status` (and its reason phrase), a plain-text `body`
// and Connection: close; for errors and the 431 of a head too large.
std::string error_response(int status, std::string_view body);

} // namespace jq::metrics
