#pragma once

#include <cstddef>

namespace jq::redis {
class Connection;
}

namespace jq::queue {

// Redis takes no longer value in a command than its proto-max-bulk-len
// (512 MiB unless configured). A longer one is a protocol error: Redis
// closes the connection, so a worker that sent a job's end with such a
// value would send it again, and again. The worker fails such a job
// instead (decide()). The limit is read when the worker starts: a later
// CONFIG SET, or a failover to a server set lower, is not seen.
inline constexpr std::size_t k_default_value_limit = 512ULL * 1024 * 1024;

// The server's proto-max-bulk-len, read with CONFIG GET; the default when
// Redis does not say (CONFIG renamed away, or refused to this user by an
// ACL). Throws what Connection::command throws for a failed connection.
std::size_t read_value_limit(redis::Connection& connection);

} // namespace jq::queue
