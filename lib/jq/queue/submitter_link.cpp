#include "submitter_link.hpp"

#include <jq/queue/scripts.hpp>

namespace jq::queue {

SubmitterLink::SubmitterLink(redis::Url url, Keys keys)
  : m_url(std::move(url)),
    m_keys(std::move(keys))
{
}

ReplyWaiter& SubmitterLink::connected_waiter()
{
  if (!m_waiter) {
    // Opened at the first use, not before: a caller whose first job comes
    // late (a slow --stdin) does not hold an idle connection that Redis or
    // the network may have dropped meanwhile.
    m_waiter.emplace(m_url, m_keys);
  }
  return *m_waiter;
}

ReplyWaiter& SubmitterLink::waiter()
{
  ReplyWaiter& waiter = connected_waiter();
  if (!waiter.is_subscribed()) {
    waiter.subscribe();
  }
  return waiter;
}

redis::Connection& SubmitterLink::commands()
{
  waiter();
  if (!m_commands) {
    // Its PONG comes with the first command's reply: an add whose reply
    // was not read is sent again, under the same id, after a reconnect.
    m_commands.emplace(
      redis::Connection::open(m_url,
                              redis::Connection::k_connect_timeout,
                              redis::Connection::Handshake::overlap));
  }
  return *m_commands;
}

std::vector<Added> SubmitterLink::add(const Producer& producer,
                                      const std::vector<const NewJob*>& jobs,
                                      bool alone_on_commands)
{
  if (alone_on_commands || (m_waiter && m_waiter->is_subscribed())
      || jobs.size() > Producer::k_batch) {
    return producer.add_many(commands(), jobs);
  }
  const auto call = producer.add_call(jobs);
  const redis::Reply exec =
    connected_waiter().run_then_subscribe(scripts::add_jobs(), call);
  const redis::ReplyView reply = exec[0];
  // NOSCRIPT: Redis lost the script and ran nothing; the command connection
  // sends it in full.
  if (!redis::is_noscript(reply)) {
    return Producer::read_added(redis::checked(reply));
  }
  return Producer::read_added(
    scripts::add_jobs().run(commands(), call.keys, call.args));
}

bool SubmitterLink::has_answered() const noexcept
{
  return m_has_answered || (m_waiter && m_waiter->has_answered());
}

void SubmitterLink::reset() noexcept
{
  m_has_answered = has_answered();
  m_commands.reset();
  m_waiter.reset();
}

} // namespace jq::queue
