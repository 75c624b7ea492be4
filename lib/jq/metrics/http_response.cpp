#include "http_response.hpp"

#include <jq/metrics/exposition.hpp>

#include <fmt/core.h>

namespace jq::metrics {

namespace {

std::string_view reason_phrase(int status) noexcept
{
  switch (status) {
  case 200:
    return "OK";
  case 400:
    return "Bad Request";
  case 404:
    return "Not Found";
  case 405:
    return "Method Not Allowed";
  case 431:
    return "Request Header Fields Too Large";
  case 500:
    return "Internal Server Error";
  case 505:
    return "HTTP Version Not Supported";
  default:
    break;
  }
  return "Error";
}

std::string response(int status,
                     std::string_view content_type,
                     std::string_view body,
                     bool has_body,
                     std::string_view extra_headers = {})
{
  return fmt::format("HTTP/1.1 {} {}\r\n"
                     "Content-Type: {}\r\n"
                     "Content-Length: {}\r\n"
                     "{}"
                     "Connection: close\r\n"
                     "\r\n"
                     "{}",
                     status,
                     reason_phrase(status),
                     content_type,
                     body.size(),
                     extra_headers,
                     has_body ? body : std::string_view());
}

// RFC 9110's token characters, for the method.
bool is_token(std::string_view text) noexcept
{
  if (text.empty()) {
    return false;
  }
  for (const char c : text) {
    const bool ok =
      (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')
      || std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) {
      return false;
    }
  }
  return true;
}

bool is_visible(std::string_view text) noexcept
{
  for (const char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7f) {
      return false;
    }
  }
  return !text.empty();
}

} // namespace

std::size_t find_head_end(std::string_view buffer) noexcept
{
  for (std::size_t i = 0; i < buffer.size(); ++i) {
    if (buffer[i] != '\n') {
      continue;
    }
    if (i + 1 < buffer.size() && buffer[i + 1] == '\n') {
      return i + 2;
    }
    if (i + 2 < buffer.size() && buffer[i + 1] == '\r'
        && buffer[i + 2] == '\n') {
      return i + 3;
    }
  }
  return std::string_view::npos;
}

std::string error_response(int status, std::string_view body)
{
  return response(status,
                  "text/plain; charset=utf-8",
                  fmt::format("{}\n", body),
                  true,
                  status == 405 ? "Allow: GET, HEAD\r\n" : "");
}

std::string respond(std::string_view head,
                    const std::function<std::string()>& render)
{
  std::string_view line = head.substr(0, head.find('\n'));
  if (line.ends_with('\r')) {
    line.remove_suffix(1);
  }
  const std::size_t first = line.find(' ');
  const std::size_t second =
    first == std::string_view::npos ? first : line.find(' ', first + 1);
  if (second == std::string_view::npos
      || line.find(' ', second + 1) != std::string_view::npos) {
    return error_response(400, "bad request line");
  }
  const std::string_view method = line.substr(0, first);
  const std::string_view target = line.substr(first + 1, second - first - 1);
  const std::string_view version = line.substr(second + 1);
  if (!is_token(method) || !is_visible(target)
      || !version.starts_with("HTTP/")) {
    return error_response(400, "bad request line");
  }
  if (version != "HTTP/1.0" && version != "HTTP/1.1") {
    return error_response(505, "only HTTP/1.0 and HTTP/1.1");
  }
  const std::string_view path = target.substr(0, target.find('?'));
  if (path != "/metrics") {
    return error_response(404, "not found: the metrics are at /metrics");
  }
  if (method != "GET" && method != "HEAD") {
    return error_response(405, "only GET and HEAD");
  }
  std::string body;
  try {
    body = render();
  } catch (const std::exception& error) {
    return error_response(500, error.what());
  }
  return response(200, k_content_type, body, method == "GET");
}

} // namespace jq::metrics
