#include "config_file.hpp"

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <cstdlib>
#include <istream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace jq::cli {

namespace {

// The value of environment variable `name`, or "" when unset (CLI11 also
// ignores an empty one).
std::string environment_value(const std::string& name)
{
  if (name.empty()) {
    return {};
  }
  const char* value = std::getenv(name.c_str());
  return value == nullptr ? std::string() : std::string(value);
}

// `line` without a trailing `# comment`: a `#` inside single or double
// quotes is text (TOML's rule, which CLI11 2.1.2 does not follow).
std::string strip_comment(const std::string& line)
{
  char quote = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quote != 0) {
      if (c == '\\' && quote == '"' && i + 1 < line.size()) {
        ++i;
      } else if (c == quote) {
        quote = 0;
      }
    } else if (c == '"' || c == '\'') {
      quote = c;
    } else if (c == '#') {
      return line.substr(0, i);
    }
  }
  return line;
}

// The option of `app` (or of its subcommand named by the item's parents)
// that CLI11 will give `item` to, or nullptr.
const CLI::Option* find_option(const CLI::App& app, const CLI::ConfigItem& item)
{
  const CLI::App* owner = &app;
  for (const auto& parent : item.parents) {
    try {
      owner = owner->get_subcommand(parent);
    } catch (const CLI::OptionNotFound&) {
      return nullptr;
    }
  }
  // The same lookup as CLI11's App::_parse_single_config.
  const CLI::Option* option = owner->get_option_no_throw("--" + item.name);
  if (option == nullptr && item.name.size() == 1) {
    option = owner->get_option_no_throw("-" + item.name);
  }
  if (option == nullptr) {
    option = owner->get_option_no_throw(item.name);
  }
  return option;
}

// CLI11's TOML/INI reader, with the environment put above the file and
// quoted `#` kept.
class LayeredConfig final : public CLI::ConfigBase
{
public:
  LayeredConfig(const CLI::App& app, std::shared_ptr<ConfigTrace> trace)
    : m_app(app),
      m_trace(std::move(trace))
  {
    // Comments are cut by strip_comment(); whole comment lines (# or ;)
    // are still skipped by CLI11.
    comment('\0');
  }

  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override
  {
    std::string text;
    for (std::string line; std::getline(input, line);) {
      text += strip_comment(line);
      text += '\n';
    }
    std::istringstream stripped(text);
    auto read = CLI::ConfigBase::from_config(stripped);

    // CLI11 calls this after the command line and before the
    // environment: what has a value now came from a flag.
    m_trace->was_read = true;
    for (const CLI::Option* option : m_app.get_options()) {
      if (option->count() > 0) {
        m_trace->from_flag.insert(option);
      }
    }
    std::vector<CLI::ConfigItem> kept;
    for (auto& item : read) {
      const bool is_section_mark = item.name == "++" || item.name == "--";
      const CLI::Option* option = find_option(m_app, item);
      if (option == nullptr && !is_section_mark
          && m_app.get_allow_config_extras()
               == CLI::config_extras_mode::error) {
        // CLI11 would say "INI was not able to parse NAME".
        throw CLI::ConfigError(
          fmt::format("unknown setting '{}' in the --config file ({} has "
                      "no --{})",
                      item.fullname(),
                      m_app.get_name(),
                      item.name));
      }
      if (option != nullptr && !is_section_mark) {
        if (option->count() > 0) {
          continue; // a flag beats the file
        }
        if (!environment_value(option->get_envname()).empty()) {
          continue; // so does the environment, applied next by CLI11
        }
        m_trace->from_file.insert(option);
      }
      kept.push_back(std::move(item));
    }
    return kept;
  }

private:
  const CLI::App& m_app;
  std::shared_ptr<ConfigTrace> m_trace;
};

} // namespace

std::shared_ptr<const ConfigTrace> add_config_file_option(CLI::App& app)
{
  auto trace = std::make_shared<ConfigTrace>();
  app.config_formatter(std::make_shared<LayeredConfig>(app, trace));
  app.allow_config_extras(CLI::config_extras_mode::error);
  app
    .set_config("--config",
                "",
                "Read settings from this TOML/INI file: one `name = value` "
                "per long flag; flags and environment beat it")
    ->type_name("FILE");
  return trace;
}

Source source_of(const CLI::Option& option, const ConfigTrace& trace)
{
  if (option.count() == 0) {
    return Source::default_value;
  }
  if (trace.from_file.contains(&option)) {
    return Source::file;
  }
  if (trace.from_flag.contains(&option)) {
    return Source::flag;
  }
  const std::string environment = environment_value(option.get_envname());
  if (environment.empty()) {
    return Source::flag;
  }
  if (trace.was_read) {
    return Source::environment; // the flags given are known exactly
  }
  // Without a file CLI11 leaves no trace of the flags: it applied the
  // environment only if no flag was given, so a flag repeating the
  // environment's value is reported as the environment.
  return option.results() == std::vector<std::string>{environment}
           ? Source::environment
           : Source::flag;
}

} // namespace jq::cli
