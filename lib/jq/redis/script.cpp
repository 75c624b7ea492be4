#include "script.hpp"

namespace jq::redis {

std::vector<std::string>
Script::command(std::string_view verb,
                std::string_view body,
                const std::vector<std::string>& keys,
                const std::vector<std::string>& args) const
{
  std::vector<std::string> argv;
  argv.reserve(3 + keys.size() + args.size());
  argv.emplace_back(verb);
  argv.emplace_back(body);
  argv.push_back(std::to_string(keys.size()));
  argv.insert(argv.end(), keys.begin(), keys.end());
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

Reply Script::run(Connection& connection,
                  const std::vector<std::string>& keys,
                  const std::vector<std::string>& args) const
{
  connection.append(command("EVALSHA", m_sha, keys, args));
  Reply reply = connection.get_reply();
  if (is_noscript(reply)) {
    connection.append(command("EVAL", m_source, keys, args));
    reply = connection.get_reply();
  }
  return checked(std::move(reply));
}

void Script::append(Connection& connection, const Call& call) const
{
  connection.append(command("EVALSHA", m_sha, call.keys, call.args));
}

std::vector<Reply> Script::run_many(Connection& connection,
                                    const std::vector<Call>& calls) const
{
  for (const auto& call : calls) {
    append(connection, call);
  }
  std::vector<Reply> replies;
  replies.reserve(calls.size());
  for (std::size_t i = 0; i < calls.size(); ++i) {
    replies.push_back(connection.get_reply());
  }
  for (std::size_t i = 0; i < calls.size(); ++i) {
    if (is_noscript(replies[i])) {
      connection.append(
        command("EVAL", m_source, calls[i].keys, calls[i].args));
      replies[i] = connection.get_reply();
    }
  }
  return replies;
}

bool is_noscript(const ReplyView& reply)
{
  return reply.is_error() && reply.str().starts_with("NOSCRIPT");
}

} // namespace jq::redis
