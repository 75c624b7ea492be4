#include "job_handler.hpp"

#include <jq/core/error.hpp>
#include <jq/core/json.hpp>
#include <jq/sql/request.hpp>

#include <fmt/format.h>

namespace jq::sql {

JobHandler::JobHandler(const Databases& databases,
                       std::size_t max_payload_bytes)
  : m_executor(databases),
    m_max_payload_bytes(max_payload_bytes)
{
}

Request JobHandler::parse(std::string_view data) const
{
  if (data.size() > m_max_payload_bytes) {
    throw ProtocolError(
      fmt::format("job data is {} bytes, over --max-payload-bytes {}",
                  data.size(),
                  m_max_payload_bytes));
  }
  const auto json = parse_untrusted_json(data);
  if (json.is_discarded()) {
    throw ProtocolError(
      fmt::format("job data is not valid JSON (or nests deeper than {} levels)",
                  k_max_json_depth));
  }
  return parse_request(json);
}

} // namespace jq::sql
