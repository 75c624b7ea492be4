#include "settings.hpp"

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <algorithm>

namespace jq::cli {

namespace {

bool is_number(std::string_view text)
{
  if (text.starts_with('-')) {
    text.remove_prefix(1);
  }
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return c >= '0' && c <= '9';
  });
}

// `value` as CLI11's config reader reads it back: numbers and booleans
// bare, other text quoted (in single quotes if it holds a double quote;
// the reader knows no escapes).
std::string quote(const std::string& value)
{
  if (is_number(value) || value == "true" || value == "false") {
    return value;
  }
  const char mark = value.find('"') == std::string::npos ? '"' : '\'';
  return fmt::format("{}{}{}", mark, value, mark);
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
  std::string text = fmt::format("# {}\n", title);
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
