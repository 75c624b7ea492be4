#include "parse_error.hpp"

#include <jq/cli/suggest.hpp>

#include <CLI/CLI.hpp>
#include <fmt/core.h>

#include <cctype>
#include <string_view>
#include <vector>

namespace jq::cli {

namespace {

// The apps from `app` down to the subcommand chosen last.
std::vector<const CLI::App*> chosen_path(const CLI::App& app)
{
  std::vector<const CLI::App*> path{&app};
  for (;;) {
    const auto chosen = path.back()->get_subcommands();
    if (chosen.empty()) {
      return path;
    }
    path.push_back(chosen.front());
  }
}

// "jq-inspect list": the names of the first `count` apps of `path`.
std::string command_of(const std::vector<const CLI::App*>& path,
                       std::size_t count)
{
  std::string command;
  for (std::size_t i = 0; i < count; ++i) {
    command += (i == 0 ? "" : " ") + path[i]->get_name();
  }
  return command;
}

// The long flags `app` shows in its --help, with their dashes.
std::vector<std::string> long_flags(const CLI::App& app)
{
  std::vector<std::string> names;
  for (const CLI::Option* option : app.get_options(
         [](const CLI::Option* o) { return !o->get_group().empty(); })) {
    for (const auto& name : option->get_lnames()) {
      names.push_back("--" + name);
    }
  }
  return names;
}

// The subcommands `app` shows in its --help.
std::vector<std::string> subcommand_names(const CLI::App& app)
{
  std::vector<std::string> names;
  for (const CLI::App* sub : app.get_subcommands(
         [](const CLI::App* s) { return !s->get_group().empty(); })) {
    names.push_back(sub->get_name());
  }
  return names;
}

// `message` with a suggestion after it, if there is one.
std::string with_hint(std::string message, const std::string& hint)
{
  return hint.empty() ? message : message + "; " + hint;
}

// What is wrong with `word`, left over by `app` (it took it for none of
// its flags, arguments or subcommands).
std::string describe_extra(const CLI::App& app, const std::string& word)
{
  if (word.starts_with("--")) {
    const std::string flag = word.substr(0, word.find('='));
    const auto flags = long_flags(app);
    return with_hint(fmt::format("unknown option '{}'", flag),
                     did_you_mean(flag, flags));
  }
  if (word.starts_with('-') && word.size() > 1) {
    return fmt::format("unknown option '{}'", word);
  }
  const auto subcommands = subcommand_names(app);
  if (!subcommands.empty() && app.get_subcommands().empty()) {
    return with_hint(fmt::format("unknown subcommand '{}'", word),
                     did_you_mean(word, subcommands));
  }
  return fmt::format("unexpected argument '{}'", word);
}

// CLI11's words, starting in lower case like ours ("--state is required").
std::string lower_first(std::string text)
{
  if (text.size() > 1 && std::isupper(static_cast<unsigned char>(text[0]))
      && std::islower(static_cast<unsigned char>(text[1]))) {
    text[0] =
      static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
  }
  return text;
}

} // namespace

UsageMessage describe_parse_error(const CLI::App& app,
                                  const CLI::ParseError& error)
{
  const auto path = chosen_path(app);
  const bool is_required =
    dynamic_cast<const CLI::RequiredError*>(&error) != nullptr;
  if (is_required || dynamic_cast<const CLI::ExtrasError*>(&error) != nullptr) {
    // The first word left over, in the first app (from the top) that left
    // one: it is likely the cause, and CLI11 checks what is required
    // before what is left over, so `lst` for `list` comes as "A
    // subcommand is required".
    for (std::size_t i = 0; i < path.size(); ++i) {
      const auto left = path[i]->remaining(false);
      if (!left.empty()) {
        return {describe_extra(*path[i], left.front()),
                command_of(path, i + 1)};
      }
    }
  }
  UsageMessage usage;
  usage.help_command = command_of(path, path.size());
  const CLI::App& last = *path.back();
  const auto subcommands = subcommand_names(last);
  if (is_required && last.get_subcommands().empty() && !subcommands.empty()
      && std::string_view(error.what()).find("subcommand")
           != std::string_view::npos) {
    std::string list;
    for (const auto& name : subcommands) {
      list += (list.empty() ? "" : ", ") + name;
    }
    usage.message = fmt::format("a subcommand is required: {}", list);
    return usage;
  }
  usage.message = lower_first(error.what());
  return usage;
}

} // namespace jq::cli
