#pragma once

#include <string>

namespace CLI {
class App;
class ParseError;
} // namespace CLI

namespace jq::cli {

// What to tell the user about a usage error CLI11 threw while parsing.
struct UsageMessage
{
  // The message, without the `tool: error: ` in front ("unknown subcommand
  // 'lst'; did you mean 'list'?").
  std::string message;
  // The command whose --help to point at: the tool, or the tool and the
  // subcommand the error is in ("jq-inspect list").
  std::string help_command;
};

// Describe `error`, thrown by `app.parse()` (not --help or --version),
// for a human: an unknown subcommand or long flag is named, with the near
// ones of the app it was given to ("did you mean"); a missing subcommand
// lists them; any other error keeps CLI11's words.
UsageMessage describe_parse_error(const CLI::App& app,
                                  const CLI::ParseError& error);

} // namespace jq::cli
