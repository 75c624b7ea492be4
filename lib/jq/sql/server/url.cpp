#include "url.hpp"

namespace jq::sql::server {

UrlParts split_url(std::string_view url)
{
  UrlParts parts;
  std::size_t authority = 0;
  if (const auto scheme_end = url.find("://");
      scheme_end != std::string_view::npos) {
    parts.scheme = url.substr(0, scheme_end);
    authority = scheme_end + 3;
  }
  const auto mark = url.find('?', authority);
  if (mark != std::string_view::npos) {
    parts.query = url.substr(mark + 1);
  }
  const std::string_view before_query = url.substr(0, mark);
  const auto slash = before_query.find('/', authority);
  if (slash != std::string_view::npos) {
    parts.path = before_query.substr(slash + 1);
  }
  std::string_view host_port =
    before_query.substr(authority, slash - authority);
  if (const auto at = host_port.rfind('@'); at != std::string_view::npos) {
    const std::string_view userinfo = host_port.substr(0, at);
    const auto colon = userinfo.find(':');
    parts.user = userinfo.substr(0, colon);
    if (colon != std::string_view::npos) {
      parts.password = userinfo.substr(colon + 1);
    }
    host_port.remove_prefix(at + 1);
  }
  parts.host_port = host_port;
  return parts;
}

std::vector<QueryPair> query_pairs(std::string_view query)
{
  std::vector<QueryPair> pairs;
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view text = query.substr(0, amp);
    const auto equals = text.find('=');
    pairs.push_back({text,
                     text.substr(0, equals),
                     equals == std::string_view::npos
                       ? std::string_view()
                       : text.substr(equals + 1)});
    if (amp == std::string_view::npos) {
      break;
    }
    query.remove_prefix(amp + 1);
  }
  return pairs;
}

} // namespace jq::sql::server
