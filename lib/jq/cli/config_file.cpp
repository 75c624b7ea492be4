#include "config_file.hpp"

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <istream>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace jq::cli {

namespace {

// The tools whose tables a file may hold besides the reader's own.
constexpr std::array<std::string_view, 3> k_tools = {
  "jq-submit", "jq-worker", "jq-inspect"};

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

// What `node` is, for an error: "a date".
std::string_view kind_of(const toml::node& node)
{
  switch (node.type()) {
  case toml::node_type::table:
    return "a table";
  case toml::node_type::array:
    return "an array";
  case toml::node_type::string:
    return "a string";
  case toml::node_type::integer:
    return "an integer";
  case toml::node_type::floating_point:
    return "a float";
  case toml::node_type::boolean:
    return "a boolean";
  case toml::node_type::date:
    return "a date";
  case toml::node_type::time:
    return "a time";
  case toml::node_type::date_time:
    return "a date-time";
  case toml::node_type::none:
    break;
  }
  return "nothing";
}

// One `key = value` of the file, on the top level or in the reader's table.
struct Entry
{
  std::string key;
  toml::source_position key_at;
  const toml::node* value = nullptr;
  bool is_in_table = false;
};

// The option of `app` (not of a subcommand) that `key` names, or nullptr:
// the same lookup as CLI11's App::_parse_single_config.
CLI::Option* find_option(CLI::App& app, const std::string& key)
{
  CLI::Option* option = app.get_option_no_throw("--" + key);
  if (option == nullptr && key.size() == 1) {
    option = app.get_option_no_throw("-" + key);
  }
  if (option == nullptr) {
    option = app.get_option_no_throw(key);
  }
  return option;
}

// The TOML reader, with the environment put above the file.
class LayeredConfig final : public CLI::ConfigBase
{
public:
  LayeredConfig(CLI::App& app, std::shared_ptr<ConfigTrace> trace)
    : m_app(app),
      m_trace(std::move(trace))
  {
  }

  // Reads the file and gives its values to the options itself, where an
  // error can still name the line; CLI11 gets nothing left to do.
  std::vector<CLI::ConfigItem> from_config(std::istream& input) const override
  {
    const std::string path = file_name();
    const std::string text(std::istreambuf_iterator<char>(input), {});
    toml::table root;
    try {
      root = toml::parse(text, path);
    } catch (const toml::parse_error& error) {
      throw CLI::ConfigError(fmt::format(
        "{}: {}", where(error.source().begin), error.description()));
    }

    // CLI11 calls this after the command line and before the
    // environment: what has a value now came from a flag.
    m_trace->was_read = true;
    for (const CLI::Option* option : m_app.get_options()) {
      if (option->count() > 0) {
        m_trace->from_flag.insert(option);
      }
    }

    std::vector<Entry> entries;
    collect(root, false, entries);
    // toml++ keeps keys sorted: the file's order, for the first error
    // to be the first in the file.
    std::stable_sort(
      entries.begin(), entries.end(), [](const Entry& a, const Entry& b) {
        return a.key_at < b.key_at;
      });

    // The table beats the top level; one level naming an option twice
    // (`c` and `concurrency`) is a mistake.
    std::vector<std::pair<CLI::Option*, const Entry*>> settings;
    for (const Entry& entry : entries) {
      CLI::Option* option = find_option(m_app, entry.key);
      if (option == nullptr) {
        if (is_strict()) {
          throw CLI::ConfigError(fmt::format("{}: unknown setting '{}' for {}",
                                             where(entry.key_at),
                                             entry.key,
                                             m_app.get_name()));
        }
        continue;
      }
      if (!option->get_configurable()) {
        if (m_app.get_allow_config_extras()
            == CLI::config_extras_mode::ignore_all) {
          continue;
        }
        throw CLI::ConfigError(
          fmt::format("{}: '{}' cannot be set in a --config file",
                      where(entry.key_at),
                      entry.key));
      }
      const auto same = std::find_if(
        settings.begin(), settings.end(), [option](const auto& setting) {
          return setting.first == option;
        });
      if (same == settings.end()) {
        settings.emplace_back(option, &entry);
      } else if (same->second->is_in_table != entry.is_in_table) {
        same->second = entry.is_in_table ? &entry : same->second;
      } else {
        throw CLI::ConfigError(
          fmt::format("{}: '{}' sets {} again (set on line {})",
                      where(entry.key_at),
                      entry.key,
                      option->get_name(),
                      same->second->key_at.line));
      }
    }

    for (const auto& [option, entry] : settings) {
      // A value of the wrong kind is a mistake in the file even where a
      // flag or the environment beats it.
      const std::vector<std::string> inputs = inputs_of(*entry);
      if (option->count() > 0) {
        continue; // a flag beats the file
      }
      if (!environment_value(option->get_envname()).empty()) {
        continue; // so does the environment, applied next by CLI11
      }
      apply(*option, *entry, inputs);
      m_trace->from_file.insert(option);
    }
    return {};
  }

private:
  // The file being read, as given to --config.
  std::string file_name() const
  {
    const CLI::Option* config = m_app.get_config_ptr();
    if (config == nullptr || config->results().empty()) {
      return "--config";
    }
    return config->results().back();
  }

  // `file:line:column` of `at`.
  std::string where(const toml::source_position& at) const
  {
    return fmt::format("{}:{}:{}", file_name(), at.line, at.column);
  }

  bool is_strict() const
  {
    return m_app.get_allow_config_extras() == CLI::config_extras_mode::error;
  }

  bool is_tool(std::string_view name) const
  {
    return name == m_app.get_name()
           || std::find(k_tools.begin(), k_tools.end(), name) != k_tools.end();
  }

  // The settings in `table` for this tool, into `entries`: the table of
  // the reader's own is read, those of the other tools are not.
  void collect(const toml::table& table,
               bool is_in_table,
               std::vector<Entry>& entries) const
  {
    for (const auto& [key, value] : table) {
      const std::string name(key.str());
      if (!is_in_table && value.is_table()) {
        if (name == m_app.get_name()) {
          collect(*value.as_table(), true, entries);
          continue;
        }
        if (is_tool(name) || !is_strict()) {
          continue;
        }
        throw CLI::ConfigError(
          fmt::format("{}: unknown table [{}] (a table is for one tool: "
                      "[jq-worker], [jq-submit] or [jq-inspect])",
                      where(key.source().begin),
                      name));
      }
      entries.push_back({name, key.source().begin, &value, is_in_table});
    }
  }

  // `node` as the text CLI11 converts, or "" with `is_scalar` false.
  static std::string text_of(const toml::node& node, bool& is_scalar)
  {
    is_scalar = true;
    if (const auto* text = node.as_string()) {
      return text->get();
    }
    if (const auto* number = node.as_integer()) {
      return std::to_string(number->get());
    }
    if (const auto* number = node.as_floating_point()) {
      return fmt::format("{}", number->get());
    }
    if (const auto* flag = node.as_boolean()) {
      return flag->get() ? "true" : "false";
    }
    is_scalar = false;
    return {};
  }

  // The values of `entry` as CLI11's inputs: one, or one per element.
  std::vector<std::string> inputs_of(const Entry& entry) const
  {
    std::vector<std::string> inputs;
    const auto add = [&](const toml::node& node) {
      bool is_scalar = false;
      inputs.push_back(text_of(node, is_scalar));
      if (!is_scalar) {
        throw CLI::ConfigError(fmt::format(
          "{}: '{}' for {} is {}: expected a string, a number, a boolean "
          "or an array of them",
          where(node.source().begin),
          entry.key,
          m_app.get_name(),
          kind_of(node)));
      }
    };
    if (const auto* array = entry.value->as_array()) {
      for (const toml::node& element : *array) {
        add(element);
      }
    } else {
      add(*entry.value);
    }
    return inputs;
  }

  // Give `option` the value of `entry` (its `inputs`), as CLI11 gives a config
  // item (App::_parse_single_config), but with the callback run now, so that a
  // bad value is reported with its place in the file.
  void apply(CLI::Option& option,
             const Entry& entry,
             const std::vector<std::string>& inputs) const
  {
    if (inputs.empty()) {
      return; // `db = []`: as if unset
    }
    try {
      if (option.get_expected_min() == 0) {
        CLI::ConfigItem item;
        item.name = entry.key;
        item.inputs = inputs;
        option.add_result(
          option.get_flag_value(entry.key, CLI::ConfigBase::to_flag(item)));
      } else {
        option.add_result(inputs);
      }
      option.run_callback();
    } catch (const CLI::ParseError& error) {
      throw CLI::ConfigError(fmt::format("{}: {} (setting '{}' for {})",
                                         where(entry.value->source().begin),
                                         error.what(),
                                         entry.key,
                                         m_app.get_name()));
    }
  }

  CLI::App& m_app;
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
                fmt::format("Read settings from this TOML file: `name = "
                            "value` per long flag, on the top level or in a "
                            "[{}] table (other tools' tables are skipped); "
                            "flags and the environment beat it",
                            app.get_name()))
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
