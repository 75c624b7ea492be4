#include "result.hpp"

#include <jq/core/base64.hpp>
#include <jq/core/error.hpp>
#include <jq/core/json.hpp>

#include <fmt/format.h>

#include <charconv>
#include <cmath>

namespace jq::sql::mysql {

using nlohmann::json;

namespace {

constexpr unsigned int k_binary_charset = 63;

json real(double value, ResultBudget& budget)
{
  budget.add_bytes(ResultBudget::k_scalar_cost);
  if (!std::isfinite(value)) {
    budget.add_non_finite();
    return nullptr;
  }
  return value;
}

// A FLOAT as the shortest decimal that reads back as the same float (0.1,
// not 0.10000000149011612), then as a double.
json real4(float value, ResultBudget& budget)
{
  if (!std::isfinite(value)) {
    return real(static_cast<double>(value), budget);
  }
  const std::string text = fmt::format("{}", value);
  double widened = 0;
  std::from_chars(text.data(), text.data() + text.size(), widened);
  return real(widened, budget);
}

json text(std::string_view bytes, ResultBudget& budget)
{
  budget.add_bytes(ResultBudget::text_cost(bytes));
  return std::string(bytes);
}

// ".25" for 250000 microseconds; "" for none.
std::string fraction(unsigned long microseconds)
{
  if (microseconds == 0) {
    return {};
  }
  std::string digits = fmt::format(".{:06}", microseconds % 1'000'000);
  while (digits.back() == '0') {
    digits.pop_back();
  }
  return digits;
}

std::string date_text(const MYSQL_TIME& t)
{
  return fmt::format("{:04}-{:02}-{:02}", t.year, t.month, t.day);
}

std::string datetime_text(const MYSQL_TIME& t)
{
  return fmt::format("{}T{:02}:{:02}:{:02}{}",
                     date_text(t),
                     t.hour,
                     t.minute,
                     t.second,
                     fraction(t.second_part));
}

// TIME spans -838:59:59 to 838:59:59.
std::string time_text(const MYSQL_TIME& t)
{
  return fmt::format("{}{:02}:{:02}:{:02}{}",
                     t.neg != 0 ? "-" : "",
                     t.day * 24 + t.hour,
                     t.minute,
                     t.second,
                     fraction(t.second_part));
}

bool is_integer_type(enum_field_types type)
{
  switch (type) {
  case MYSQL_TYPE_TINY:
  case MYSQL_TYPE_SHORT:
  case MYSQL_TYPE_INT24:
  case MYSQL_TYPE_LONG:
  case MYSQL_TYPE_LONGLONG:
  case MYSQL_TYPE_YEAR:
    return true;
  default:
    return false;
  }
}

bool is_time_type(enum_field_types type)
{
  switch (type) {
  case MYSQL_TYPE_DATE:
  case MYSQL_TYPE_NEWDATE:
  case MYSQL_TYPE_DATETIME:
  case MYSQL_TYPE_TIMESTAMP:
  case MYSQL_TYPE_TIME:
    return true;
  default:
    return false;
  }
}

bool is_json_column(const MYSQL_FIELD& field)
{
  if (field.type == MYSQL_TYPE_JSON) {
    return true;
  }
  // MariaDB's JSON is LONGTEXT; with extended metadata the server names
  // its format.
  MARIADB_CONST_STRING format{nullptr, 0};
  if (mariadb_field_attr(&format, &field, MARIADB_FIELD_ATTR_FORMAT_NAME) == 0
      && format.str != nullptr) {
    return std::string_view(format.str, format.length) == "json";
  }
  return false;
}

} // namespace

json value_of(const Column& column, const Cell& cell, ResultBudget& budget)
{
  if (is_integer_type(column.type)) {
    budget.add_bytes(ResultBudget::k_scalar_cost);
    if ((column.flags & UNSIGNED_FLAG) != 0) {
      return static_cast<std::uint64_t>(cell.integer);
    }
    return cell.integer;
  }
  switch (column.type) {
  case MYSQL_TYPE_FLOAT:
    return real4(cell.real4, budget);
  case MYSQL_TYPE_DOUBLE:
    return real(cell.real, budget);
  case MYSQL_TYPE_DATE:
  case MYSQL_TYPE_NEWDATE:
    return text(date_text(cell.time), budget);
  case MYSQL_TYPE_DATETIME:
    return text(datetime_text(cell.time), budget);
  case MYSQL_TYPE_TIMESTAMP:
    // The session's time zone is UTC.
    return text(datetime_text(cell.time) + "Z", budget);
  case MYSQL_TYPE_TIME:
    return text(time_text(cell.time), budget);
  case MYSQL_TYPE_BIT: {
    budget.add_bytes(ResultBudget::k_scalar_cost);
    std::uint64_t value = 0;
    for (const char byte : cell.bytes) {
      value = (value << 8) | static_cast<unsigned char>(byte);
    }
    return value;
  }
  case MYSQL_TYPE_NULL:
    budget.add_bytes(ResultBudget::k_scalar_cost);
    return nullptr;
  default:
    break;
  }
  if (column.is_json) {
    budget.add_bytes(ResultBudget::text_cost(cell.bytes));
    json parsed = parse_untrusted_json(cell.bytes);
    if (!parsed.is_discarded()) {
      return parsed;
    }
    return std::string(cell.bytes); // deeper than the reply may nest
  }
  const bool is_binary = column.charset == k_binary_charset
                         && column.type != MYSQL_TYPE_DECIMAL
                         && column.type != MYSQL_TYPE_NEWDECIMAL;
  if (is_binary || column.type == MYSQL_TYPE_GEOMETRY) {
    budget.add_bytes(ResultBudget::blob_cost(cell.bytes.size()));
    return json{{"$base64", base64_encode(cell.bytes)}};
  }
  return text(cell.bytes, budget);
}

ResultSet::ResultSet(MYSQL_STMT* statement, ResultPtr metadata)
  : m_statement(statement),
    m_metadata(std::move(metadata))
{
  const unsigned int count = mysql_num_fields(m_metadata.get());
  const MYSQL_FIELD* fields = mysql_fetch_fields(m_metadata.get());
  m_columns.resize(count);
  m_names.resize(count);
  m_binds.resize(count);
  m_buffers.resize(count);
  for (unsigned int i = 0; i < count; ++i) {
    const MYSQL_FIELD& field = fields[i];
    Column& column = m_columns[i];
    column.type = field.type;
    column.flags = field.flags;
    column.charset = field.charsetnr;
    column.is_json = is_json_column(field);
    m_names[i] = field.name == nullptr ? "" : field.name;

    MYSQL_BIND& bind = m_binds[i];
    Buffer& buffer = m_buffers[i];
    bind = MYSQL_BIND{};
    bind.length = &buffer.length;
    bind.is_null = &buffer.is_null;
    bind.error = &buffer.error;
    if (is_integer_type(field.type)) {
      bind.buffer_type = MYSQL_TYPE_LONGLONG;
      bind.buffer = &buffer.cell.integer;
      bind.is_unsigned = (field.flags & UNSIGNED_FLAG) != 0 ? 1 : 0;
    } else if (field.type == MYSQL_TYPE_FLOAT) {
      bind.buffer_type = MYSQL_TYPE_FLOAT;
      bind.buffer = &buffer.cell.real4;
    } else if (field.type == MYSQL_TYPE_DOUBLE) {
      bind.buffer_type = MYSQL_TYPE_DOUBLE;
      bind.buffer = &buffer.cell.real;
    } else if (is_time_type(field.type)) {
      bind.buffer_type =
        field.type == MYSQL_TYPE_NEWDATE ? MYSQL_TYPE_DATE : field.type;
      bind.buffer = &buffer.cell.time;
      bind.buffer_length = sizeof(MYSQL_TIME);
    } else {
      bind.buffer_type = field.charsetnr == k_binary_charset
                           ? MYSQL_TYPE_BLOB
                           : MYSQL_TYPE_STRING;
      bind.buffer = buffer.bytes.data();
      bind.buffer_length = buffer.bytes.size();
    }
  }
  if (mysql_stmt_bind_result(m_statement, m_binds.data()) != 0) {
    throw SqlError(
      fmt::format("cannot read the result: {}", mysql_stmt_error(m_statement)),
      "HY000");
  }
}

json ResultSet::column_names() const
{
  json names = json::array();
  for (const auto& name : m_names) {
    names.push_back(name);
  }
  return names;
}

json ResultSet::read_row(ResultBudget& budget)
{
  budget.add_row();
  json values = json::array();
  values.get_ref<json::array_t&>().reserve(m_columns.size());
  for (std::size_t i = 0; i < m_columns.size(); ++i) {
    Buffer& buffer = m_buffers[i];
    if (buffer.is_null != 0) {
      budget.add_bytes(ResultBudget::k_scalar_cost);
      values.push_back(nullptr);
      continue;
    }
    MYSQL_BIND& bind = m_binds[i];
    if (bind.buffer == buffer.bytes.data()) {
      if (buffer.length <= buffer.bytes.size()) {
        buffer.cell.bytes =
          std::string_view(buffer.bytes.data(), buffer.length);
      } else {
        // Longer than the bound buffer: fetched again, whole.
        buffer.overflow.resize(buffer.length);
        MYSQL_BIND whole = bind;
        unsigned long length = 0;
        whole.buffer = buffer.overflow.data();
        whole.buffer_length = buffer.length;
        whole.length = &length;
        if (mysql_stmt_fetch_column(
              m_statement, &whole, static_cast<unsigned int>(i), 0)
            != 0) {
          throw SqlError(fmt::format("cannot read column {}: {}",
                                     m_names[i],
                                     mysql_stmt_error(m_statement)),
                         "HY000");
        }
        buffer.cell.bytes = std::string_view(
          buffer.overflow.data(),
          std::min<std::size_t>(length, buffer.overflow.size()));
      }
    }
    values.push_back(value_of(m_columns[i], buffer.cell, budget));
  }
  return values;
}

} // namespace jq::sql::mysql
