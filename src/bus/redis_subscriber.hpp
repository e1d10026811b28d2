#pragma once
// One Redis connection in subscribed mode, for plain (SUBSCRIBE) and sharded (SSUBSCRIBE, Redis 7) channels.
// Debian's hiredis (0.14) predates sharded pub/sub and would mistake its replies, so this connection speaks
// RESP itself over an Asio socket and uses hiredis only to parse replies. Every member function and the
// message handler run on the strand given at construction. Reusable: open() again after the connection was
// lost.
#include "bus/redis_connection.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

struct redisReader;

namespace windi::redis {

class subscriber : public std::enable_shared_from_this<subscriber> {
 public:
  enum class mode { plain, sharded };
  using message_handler = std::function<void(std::string_view channel, std::string_view payload)>;

  subscriber(strand s, std::string name);
  subscriber(subscriber const&) = delete;
  subscriber& operator=(subscriber const&) = delete;
  ~subscriber();

  // Messages of every subscribed channel, plain and sharded alike. Set before open().
  void on_message(message_handler handler) { handler_ = std::move(handler); }
  // Connects, authenticates and selects the database, each within `deadline`. False (closed, last_error()
  // set) on any failure.
  boost::asio::awaitable<bool> open(endpoint ep, duration deadline);
  bool is_open() const { return open_; }
  // Completes once the connection is lost or closed (at once when it is not open).
  boost::asio::awaitable<void> wait_closed();
  // On a cluster every SSUBSCRIBE names channels of one slot only. Set before subscribing.
  void one_slot_per_command(bool yes) { one_slot_per_command_ = yes; }
  // Subscribes and waits until Redis confirmed every channel, within `deadline`. False when the connection
  // was lost or Redis did not answer in time; when Redis refuses (a MOVED), the connection is closed too.
  boost::asio::awaitable<bool> subscribe(mode m, std::vector<std::string> channels, duration deadline);
  // Without waiting for the confirmation.
  void unsubscribe(mode m, std::vector<std::string> channels);
  // The channels Redis confirmed and that were not unsubscribed since, of each mode.
  std::set<std::string> const& subscribed(mode m) const { return m == mode::plain ? plain_ : sharded_; }
  // Sends a PING and waits for its answer, to notice a connection that hangs without failing.
  boost::asio::awaitable<bool> ping(duration deadline);
  void close();
  std::string const& last_error() const { return last_error_; }

 private:
  struct waiter;

  void write(std::vector<std::string> const& args);
  // One command per slot when one_slot_per_command(), at most 1000 channels each.
  void write_batched(std::string const& command, mode m, std::vector<std::string> channels);
  boost::asio::awaitable<void> write_queued(std::shared_ptr<subscriber> self);
  boost::asio::awaitable<void> read_replies(std::shared_ptr<subscriber> self);
  // Reads until one whole reply arrived (the handshake, before read_replies runs).
  boost::asio::awaitable<std::optional<reply>> read_one(duration deadline);
  void dispatch(reply const& r);
  void fail(std::string what);

  strand strand_;
  std::string name_;
  boost::asio::ip::tcp::socket socket_;
  boost::asio::ip::tcp::resolver resolver_;
  redisReader* reader_ = nullptr;
  bool open_ = false;
  std::uint64_t generation_ = 0;  // per connection, so that a stale read loop never touches the next one
  std::deque<std::string> outbox_;
  bool writing_ = false;
  bool one_slot_per_command_ = false;
  message_handler handler_;
  std::set<std::string> plain_, sharded_;
  // Subscribe calls and PINGs waiting for Redis's answer, oldest first (Redis answers in order).
  std::deque<std::shared_ptr<waiter>> waiters_;
  boost::asio::steady_timer closed_signal_;
  std::string last_error_;
};

}  // namespace windi::redis
