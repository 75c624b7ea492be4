#include "submitter_link.hpp"

#include <jq/queue/scripts.hpp>

namespace jq::queue {

SubmitterLink::SubmitterLink(redis::Url url, Keys keys)
  : m_url(std::move(url)),
    m_keys(std::move(keys))
{
}

void SubmitterLink::connect()
{
  if (!m_waiter) {
    m_waiter.emplace(m_url, m_keys);
  }
}

ReplyWaiter& SubmitterLink::waiter()
{
  connect();
  if (!m_waiter->is_subscribed()) {
    m_waiter->subscribe();
  }
  return *m_waiter;
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
                                      bool then_wait)
{
  connect();
  if (then_wait || m_waiter->is_subscribed()
      || Producer::batch_size(jobs) < jobs.size()) {
    return producer.add_many(commands(), jobs);
  }
  const auto call = producer.add_call(jobs);
  const auto ran = m_waiter->run_then_subscribe(scripts::add_jobs(), call);
  // NOSCRIPT: Redis lost the script and ran nothing; the command connection
  // sends it again.
  if (!redis::is_noscript(ran.call)) {
    return Producer::read_added(redis::checked(ran.call));
  }
  return Producer::run_call(commands(), call);
}

void SubmitterLink::reset() noexcept
{
  m_commands.reset();
  m_waiter.reset();
}

} // namespace jq::queue
