#pragma once
// What one process hears from a Redis deployment: a few plain channels (every process hears them; a cluster
// forwards a PUBLISH to every node, so they are subscribed on one node) and any number of sharded channels,
// each subscribed on the master that owns its slot (SSUBSCRIBE, one command per slot on a cluster). One
// subscriber connection per master, never one per user or connection. When the client's topology changes or
// a subscriber connection is lost, every subscription is made again where it now belongs. Everything runs
// on the client's strand, except where it says otherwise.
#include "bus/redis_client.hpp"
#include "bus/redis_subscriber.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

namespace windi::redis {

class channels : public std::enable_shared_from_this<channels> {
 public:
  // `s` is the strand of `commands`.
  channels(strand s, std::shared_ptr<client> commands, std::string name);
  channels(channels const&) = delete;
  channels& operator=(channels const&) = delete;

  // Set before start().
  void on_message(subscriber::message_handler handler) { handler_ = std::move(handler); }
  // Subscribes `plain` and, from then on, every sharded channel added, until stop(). `on_subscribed` runs
  // after every round that made them all (the first included). Any thread.
  void start(std::vector<std::string> plain, std::function<void()> on_subscribed = {});
  void stop();  // Any thread.
  // Every subscription made. Any thread.
  bool is_up() const { return up_; }

  // Completes once Redis confirmed every channel, or at once while Redis is unreachable or the subscriptions
  // are being made again: they are made when it is back.
  boost::asio::awaitable<void> add(std::vector<std::string> sharded);
  void remove(std::vector<std::string> sharded);

 private:
  using node_key = std::pair<std::string, std::uint16_t>;

  boost::asio::awaitable<void> run(std::shared_ptr<channels> self);
  // Opens a subscriber per master and makes every subscription. False on the first failure.
  boost::asio::awaitable<bool> subscribe_all();
  boost::asio::awaitable<void> watch(std::shared_ptr<channels> self, std::shared_ptr<subscriber> s,
                                     std::uint64_t round);
  boost::asio::awaitable<void> watch_topology(std::shared_ptr<channels> self, std::uint64_t seen,
                                              std::uint64_t round);
  // The sharded channels grouped by the master that owns them; channels of no known owner are left out.
  std::map<node_key, std::vector<std::string>> by_owner(std::vector<std::string> sharded) const;
  std::shared_ptr<subscriber> subscriber_of(node_key const& owner) const;
  void wake(std::uint64_t round);
  void close_all();

  strand strand_;
  std::shared_ptr<client> client_;
  std::string const name_;
  subscriber::message_handler handler_;
  std::function<void()> on_subscribed_;
  std::vector<std::string> plain_;
  std::set<std::string> wanted_;  // the sharded channels
  std::map<node_key, std::shared_ptr<subscriber>> subscribers_;
  std::uint64_t round_ = 0;  // one per subscribe_all(), so that a watcher of an earlier round stays quiet
  bool complained_ = false;
  std::atomic<bool> up_{false};
  std::atomic<bool> stopped_{false};
  boost::asio::steady_timer wake_;
};

}  // namespace windi::redis
