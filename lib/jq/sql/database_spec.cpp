#include "database_spec.hpp"

#include <jq/core/error.hpp>

#include <fmt/format.h>

#include <array>

namespace jq::sql {

namespace {

constexpr std::string_view k_read_only_suffix = ":ro";

} // namespace

DatabaseSpec parse_database_spec(std::string_view text)
{
  const auto equals = text.find('=');
  if (equals == std::string_view::npos) {
    throw UsageError(
      fmt::format("invalid database '{}': expected NAME=PATH[:ro]", text));
  }
  DatabaseSpec spec;
  spec.name = std::string(text.substr(0, equals));
  std::string_view path = text.substr(equals + 1);
  static constexpr std::array<std::string_view, 4> k_server_schemes = {
    "postgresql://", "postgres://", "mysql://", "mariadb://"};
  for (const auto scheme : k_server_schemes) {
    if (path.starts_with(scheme)) {
      throw UsageError(fmt::format(
        "database {}: {} servers are not supported by this jq-worker; give "
        "an SQLite file as NAME=PATH[:ro]",
        spec.name,
        scheme.substr(0, scheme.size() - 3)));
    }
  }
  if (path.ends_with(k_read_only_suffix)) {
    spec.read_only = true;
    path.remove_suffix(k_read_only_suffix.size());
  }
  spec.path = std::string(path);
  if (spec.name.empty()) {
    throw UsageError(
      fmt::format("invalid database '{}': the name is empty", text));
  }
  if (spec.path.empty()) {
    throw UsageError(
      fmt::format("invalid database '{}': the path is empty", text));
  }
  return spec;
}

} // namespace jq::sql
