#include "settings.hpp"

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <algorithm>

namespace jq::cli {

namespace {

// Whether `text` reads back as the same text when written bare: a TOML
// integer in its plain decimal form (no `+`, no leading zeros, no `_`,
// in 64 bits), or a TOML boolean. `007` is not one: it must be quoted.
bool is_bare_value(std::string_view text)
{
  if (text == "true" || text == "false") {
    return true;
  }
  const bool is_negative = text.starts_with('-');
  std::string_view digits = text.substr(is_negative ? 1 : 0);
  if (digits.empty() || digits.size() > 19
      || !std::all_of(digits.begin(), digits.end(), [](char c) {
           return c >= '0' && c <= '9';
         })) {
    return false;
  }
  if (digits.front() == '0') {
    return digits.size() == 1 && !is_negative; // "0", not "00" nor "-0"
  }
  // 19 digits may be past the 64-bit range: compare as text.
  constexpr std::string_view k_max = "9223372036854775807";
  constexpr std::string_view k_min = "9223372036854775808"; // without "-"
  return digits.size() < 19 || digits <= (is_negative ? k_min : k_max);
}

// `value` as a TOML value that reads back as `value`: bare when
// is_bare_value(), else a basic string with `\`, `"` and control
// characters escaped.
std::string quote(const std::string& value)
{
  if (is_bare_value(value)) {
    return value;
  }
  std::string text = "\"";
  for (const char c : value) {
    switch (c) {
    case '"':
      text += "\\\"";
      break;
    case '\\':
      text += "\\\\";
      break;
    case '\b':
      text += "\\b";
      break;
    case '\t':
      text += "\\t";
      break;
    case '\n':
      text += "\\n";
      break;
    case '\f':
      text += "\\f";
      break;
    case '\r':
      text += "\\r";
      break;
    default:
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        text += fmt::format("\\u{:04X}", static_cast<unsigned char>(c));
      } else {
        text += c;
      }
    }
  }
  return text + '"';
}

std::string describe(const Setting& setting)
{
  switch (setting.source) {
  case Source::flag:
    return "flag";
  case Source::environment:
    return "environment " + setting.env_name;
  case Source::file:
    return "config file";
  case Source::default_value:
    return "default";
  }
  return "?";
}

} // namespace

std::vector<Setting> effective_settings(
  const CLI::App& app,
  const ConfigTrace& trace,
  const std::function<std::vector<std::string>(
    std::string_view name, std::vector<std::string> values)>& redact)
{
  std::vector<Setting> settings;
  for (const CLI::Option* option : app.get_options()) {
    if (!option->get_configurable() || option->get_lnames().empty()) {
      continue;
    }
    Setting setting;
    setting.name = option->get_single_name();
    setting.source = source_of(*option, trace);
    setting.env_name = option->get_envname();
    const bool is_flag = option->get_expected_min() == 0;
    setting.is_list = !is_flag && option->get_expected_max() > 1;
    if (is_flag) {
      setting.values = {option->count() > 0 && option->as<bool>() ? "true"
                                                                  : "false"};
    } else if (option->count() > 0) {
      setting.values = option->results();
    } else if (!option->get_default_str().empty()) {
      setting.values = {option->get_default_str()};
    }
    setting.values = redact(setting.name, std::move(setting.values));
    settings.push_back(std::move(setting));
  }
  return settings;
}

std::string format_settings(std::string_view title,
                            const std::vector<Setting>& settings)
{
  // The title stays comment, whatever it holds (a file name with a line
  // break...).
  std::string text = "# ";
  for (const char c : title) {
    text += c == '\n' ? std::string("\n# ") : std::string(1, c);
  }
  text += '\n';
  for (const auto& setting : settings) {
    if (setting.values.empty()) {
      text += fmt::format("# {} is not set\n", setting.name);
      continue;
    }
    std::string value;
    if (setting.is_list) {
      value = "[";
      for (std::size_t i = 0; i < setting.values.size(); ++i) {
        value += (i == 0 ? "" : ", ") + quote(setting.values[i]);
      }
      value += "]";
    } else {
      value = quote(setting.values.back());
    }
    text +=
      fmt::format("{} = {}  # {}\n", setting.name, value, describe(setting));
  }
  return text;
}

} // namespace jq::cli
