#include "inspector.hpp"

namespace jq::queue {

nlohmann::ordered_json JobCounts::to_json() const
{
  return {{"waiting", waiting},
          {"active", active},
          {"completed", completed},
          {"failed", failed},
          {"delayed", delayed},
          {"paused", paused}};
}

JobCounts count_jobs(redis::Connection& connection, const Keys& keys)
{
  connection.append({"MULTI"});
  connection.append({"LLEN", keys.wait()});
  connection.append({"LLEN", keys.active()});
  connection.append({"ZCARD", keys.completed()});
  connection.append({"ZCARD", keys.failed()});
  connection.append({"ZCARD", keys.delayed()});
  connection.append({"LLEN", keys.paused()});
  connection.append({"EXEC"});
  for (int i = 0; i < 7; ++i) {
    redis::checked(connection.get_reply()); // OK, then QUEUED x6
  }
  const redis::Reply counts = redis::checked(connection.get_reply());
  JobCounts result;
  result.waiting = counts[0].integer();
  result.active = counts[1].integer();
  result.completed = counts[2].integer();
  result.failed = counts[3].integer();
  result.delayed = counts[4].integer();
  result.paused = counts[5].integer();
  return result;
}

} // namespace jq::queue
