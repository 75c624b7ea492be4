#include "exposition.hpp"

#include <fmt/format.h>

#include <cmath>
#include <stdexcept>
#include <vector>

namespace jq::metrics {

namespace {

bool is_name_start(char c, bool allow_colon) noexcept
{
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'
         || (allow_colon && c == ':');
}

bool is_name_char(char c, bool allow_colon) noexcept
{
  return is_name_start(c, allow_colon) || (c >= '0' && c <= '9');
}

bool is_name(std::string_view name, bool allow_colon) noexcept
{
  if (name.empty() || !is_name_start(name.front(), allow_colon)) {
    return false;
  }
  for (const char c : name) {
    if (!is_name_char(c, allow_colon)) {
      return false;
    }
  }
  return true;
}

// The length of the valid UTF-8 sequence at the start of `text`, or 0 if
// it does not start with one (overlong forms, surrogates and code points
// past U+10FFFF are invalid, as in RFC 3629).
std::size_t utf8_sequence(std::string_view text) noexcept
{
  const auto byte = [&](std::size_t i) {
    return static_cast<unsigned char>(text[i]);
  };
  const unsigned char first = byte(0);
  if (first < 0x80) {
    return 1;
  }
  std::size_t length = 0;
  unsigned char low = 0x80;
  unsigned char high = 0xbf;
  if (first >= 0xc2 && first <= 0xdf) {
    length = 2;
  } else if (first >= 0xe0 && first <= 0xef) {
    length = 3;
    low = first == 0xe0 ? 0xa0 : 0x80;
    high = first == 0xed ? 0x9f : 0xbf;
  } else if (first >= 0xf0 && first <= 0xf4) {
    length = 4;
    low = first == 0xf0 ? 0x90 : 0x80;
    high = first == 0xf4 ? 0x8f : 0xbf;
  } else {
    return 0;
  }
  if (text.size() < length || byte(1) < low || byte(1) > high) {
    return 0;
  }
  for (std::size_t i = 2; i < length; ++i) {
    if (byte(i) < 0x80 || byte(i) > 0xbf) {
      return 0;
    }
  }
  return length;
}

// `text` with `\` and newline escaped, `"` too if `quote`, and each byte
// that starts no valid UTF-8 sequence replaced by U+FFFD.
std::string escape(std::string_view text, bool quote)
{
  std::string out;
  out.reserve(text.size());
  while (!text.empty()) {
    const char c = text.front();
    const std::size_t length = utf8_sequence(text);
    if (length == 0) {
      out += "\xef\xbf\xbd";
      text.remove_prefix(1);
      continue;
    }
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote) {
      out += "\\\"";
    } else {
      out.append(text.substr(0, length));
    }
    text.remove_prefix(length);
  }
  return out;
}

} // namespace

std::string_view to_string(MetricType type) noexcept
{
  switch (type) {
  case MetricType::counter:
    return "counter";
  case MetricType::gauge:
    return "gauge";
  case MetricType::histogram:
    break;
  }
  return "histogram";
}

void Exposition::family(std::string_view name,
                        MetricType type,
                        std::string_view help)
{
  if (!is_metric_name(name)) {
    throw std::invalid_argument(fmt::format("bad metric name '{}'", name));
  }
  if (!m_families.emplace(name).second) {
    throw std::invalid_argument(fmt::format("metric {} written twice", name));
  }
  m_family = std::string(name);
  m_type = type;
  m_text += fmt::format("# HELP {} {}\n# TYPE {} {}\n",
                        name,
                        escape_help(help),
                        name,
                        to_string(type));
}

void Exposition::write_sample(std::string_view name,
                              std::span<const Label> labels,
                              std::string_view value)
{
  bool belongs = name == m_family;
  if (!belongs && m_type == MetricType::histogram
      && name.starts_with(m_family)) {
    const std::string_view suffix = name.substr(m_family.size());
    belongs = suffix == "_bucket" || suffix == "_sum" || suffix == "_count";
  }
  if (!belongs) {
    throw std::invalid_argument(
      fmt::format("sample {} is not of family '{}'", name, m_family));
  }
  m_text.append(name);
  if (!labels.empty()) {
    m_text += '{';
    bool first = true;
    for (const auto& label : labels) {
      if (!is_label_name(label.name)) {
        throw std::invalid_argument(
          fmt::format("bad label name '{}'", label.name));
      }
      if (!first) {
        m_text += ',';
      }
      first = false;
      m_text.append(label.name);
      m_text += "=\"";
      m_text += escape_label_value(label.value);
      m_text += '"';
    }
    m_text += '}';
  }
  m_text += ' ';
  m_text.append(value);
  m_text += '\n';
}

void Exposition::sample(std::string_view name,
                        std::span<const Label> labels,
                        double value)
{
  write_sample(name, labels, format_value(value));
}

void Exposition::sample(std::string_view name,
                        std::initializer_list<Label> labels,
                        double value)
{
  sample(name, std::span<const Label>(labels.begin(), labels.size()), value);
}

void Exposition::sample(std::string_view name,
                        std::span<const Label> labels,
                        std::uint64_t value)
{
  write_sample(name, labels, fmt::format("{}", value));
}

void Exposition::sample(std::string_view name,
                        std::initializer_list<Label> labels,
                        std::uint64_t value)
{
  sample(name, std::span<const Label>(labels.begin(), labels.size()), value);
}

void Exposition::histogram(std::string_view name,
                           std::span<const Label> labels,
                           std::span<const double> bounds,
                           std::span<const std::uint64_t> cumulative,
                           std::uint64_t count,
                           double sum)
{
  if (m_type != MetricType::histogram || name != m_family
      || bounds.size() != cumulative.size()) {
    throw std::invalid_argument(
      fmt::format("histogram {} does not match its family", name));
  }
  std::vector<Label> with_le(labels.begin(), labels.end());
  with_le.push_back({"le", {}});
  const std::string bucket = fmt::format("{}_bucket", name);
  for (std::size_t i = 0; i < bounds.size(); ++i) {
    const std::string le = format_value(bounds[i]);
    with_le.back().value = le;
    sample(bucket, with_le, cumulative[i]);
  }
  with_le.back().value = "+Inf";
  sample(bucket, with_le, count);
  sample(fmt::format("{}_sum", name), labels, sum);
  sample(fmt::format("{}_count", name), labels, count);
}

std::string escape_label_value(std::string_view value)
{
  return escape(value, true);
}

std::string escape_help(std::string_view text)
{
  return escape(text, false);
}

std::string format_value(double value)
{
  if (std::isnan(value)) {
    return "NaN";
  }
  if (std::isinf(value)) {
    return value > 0 ? "+Inf" : "-Inf";
  }
  // fmt's shortest round-trip form: 3, 0.001, 1e+20 (Go's ParseFloat,
  // which Prometheus uses, reads them all).
  return fmt::format("{}", value);
}

bool is_metric_name(std::string_view name) noexcept
{
  return is_name(name, true);
}

bool is_label_name(std::string_view name) noexcept
{
  return is_name(name, false) && !name.starts_with("__");
}

} // namespace jq::metrics
