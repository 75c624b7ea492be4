#pragma once

#include <jq/sql/database_spec.hpp>

#include <string>

namespace jq::sql::mysql {

// How `ssl-mode=` asks for TLS (MySQL's client names for it).
enum class SslMode {
  preferred, // the connector's default: TLS when the server offers it
  disabled,
  required,        // TLS, the server's certificate not checked
  verify_ca,       // TLS, the certificate checked against the CAs
  verify_identity, // and the host name checked against it
};

// The parts of `mysql://[user[:password]@]host[:port]/dbname[?params]` (also
// `mariadb://`), percent-decoded. The query may carry `socket=/path` (a unix
// socket: the host is then not used), `ssl-mode=` (DISABLED, PREFERRED,
// REQUIRED, VERIFY_CA, VERIFY_IDENTITY) and `ssl-ca=/path`; `ro` is taken
// out before (database_spec.hpp).
struct ConnectParams
{
  std::string host = "localhost";
  unsigned int port = 0; // 0: the connector's default, 3306
  std::string user;
  std::string password;
  std::string database;
  std::string socket;
  SslMode ssl_mode = SslMode::preferred;
  std::string ssl_ca;
};

// Read `spec.url`. Throws UsageError naming the database (never the
// password) for a URL without a database name, a bad port, or a parameter
// this engine does not know.
ConnectParams parse_url(const DatabaseSpec& spec);

} // namespace jq::sql::mysql
