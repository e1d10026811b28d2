#pragma once
// The fan-out seam. Two implementations (in-process, Redis pub/sub) honour one contract, tested by
// tests/contract/bus_contract_test.cpp. The bus is a fast hint, not the truth: an envelope may be lost
// (Redis down, slow Redis), and clients close gaps from the store by sequence number.
#include "core/types.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace windi {

// What an event is. Numbered on the Redis wire, so values are only ever appended.
enum class event_kind : std::uint8_t {
  // Changes of a chat: each carries the chat's change number.
  message_created = 1,
  message_edited = 2,
  message_deleted = 3,
  reactions_changed = 4,
  member_added = 5,
  member_removed = 6,
  chat_created = 7,
  chat_updated = 8,
  // Signals outside the change stream (change number 0).
  read = 9,
  typing = 10,
  presence = 11,
  // A user's credentials changed (a token revoked, the password changed): every process forgets what it
  // cached of them and the user's connections check their token again. No frame; subject is the user.
  credentials_changed = 12,
  // This process may have missed events of other processes: its subscription to Redis was interrupted, or
  // another process could not publish some of its events. Every connection here is asked to resync (the
  // store has every change). No chat, no audience, no frame.
  events_missed = 13,
};

// One event as it crosses threads and processes: which chat it belongs to, what kind it is, its number in the
// chat's stream of changes, who may see it, and the server frame encoded once and shared by every recipient.
// Resume and routing read these fields; nothing downstream parses the frame.
struct envelope {
  chat_id chat = 0;  // 0 for events of no chat (presence)
  event_kind kind = event_kind::presence;
  std::int64_t change = 0;  // the chat's change number; 0 for signals outside the stream
  std::vector<user_id> audience;
  std::shared_ptr<const std::string> frame;
  user_id subject = 0;  // member_added / member_removed: the member added or removed; presence: its user
  // This process's publish order (stamp_publication); 0 for envelopes from other processes. Never on the
  // wire.
  std::uint64_t publication = 0;
};

// Whether an envelope travels on its chat's own channel (to the processes that follow the chat) rather than
// to every process.
bool routed_by_chat(envelope const& e);

// Stamps an envelope published by this process, so that a connection registered after the publish can tell
// that the event predates it (it was committed before, so the connection's sync carries it). From any thread.
std::uint64_t stamp_publication();
// The stamp of the latest publish of this process so far.
std::uint64_t latest_publication();

class bus {
 public:
  virtual ~bus() = default;

  // Called once before start(): every envelope published by any process (this one included) is handed to it,
  // on an I/O thread of this process, exactly once per process while the bus is connected; what a
  // disconnection may have lost is followed by one events_missed envelope once the bus is connected again.
  // Calls are serial (never two at once) and keep the publish order of each publisher, so `deliver` needs no
  // lock of its own against itself; it must be quick (hand the frame to sessions, never wait).
  virtual void on_deliver(std::function<void(envelope)> deliver) = 0;
  // Connects (Redis) and keeps reconnecting with backoff until stop().
  virtual void start() = 0;
  // Stops reconnecting and closes connections. Returns at once; the I/O objects finish on the executor, so
  // destroy the bus before its io_context, and keep running the io_context for a moment to let it close.
  virtual void stop() = 0;
  // Never blocks, never throws. This process's own connections get the envelope at once whether or not
  // Redis is up; while Redis is down the cross-process copy is dropped, and once it is back the other
  // processes hear events_missed (their clients resume from the store).
  virtual void publish(envelope e) = 0;

  // Targeted routing: the changes of a chat (every kind with a change number but the membership ones, plus
  // read and typing) reach this process only while it follows the chat; membership changes, presence and
  // credential events reach every process. follow() completes once the subscriptions are confirmed (at once
  // for the in-process bus, and while Redis is unreachable: they are made when it is back). Each follow of a
  // chat is undone by one unfollow. From any thread; the awaitable completes on the caller's executor.
  virtual boost::asio::awaitable<void> follow(std::vector<chat_id> chats) = 0;
  virtual void unfollow(std::vector<chat_id> chats) = 0;
  // False for a bus that hands every event to every process (the in-process one): following is then free
  // to skip, and one process pays nothing for it.
  virtual bool routes_by_chat() const = 0;

  // Presence across processes: connection counts per user. connected() returns true when this made the user
  // go from 0 to 1 connections overall; disconnected() returns true when it made the user go to 0. A crashed
  // process's connections expire by themselves. While Redis is unreachable these fall back to this process's
  // own count within about a second (never hang). The awaitables complete on the caller's executor.
  virtual boost::asio::awaitable<bool> connected(user_id user, std::string const& connection_id) = 0;
  virtual boost::asio::awaitable<bool> disconnected(user_id user, std::string const& connection_id) = 0;
  // Of these users, those online now (in the order given).
  virtual boost::asio::awaitable<std::vector<user_id>> online_among(std::vector<user_id> users) = 0;
  // Set before start(). Called with users whose last connections were on a server process that stopped
  // without saying goodbye (killed, crashed) and who are offline now: one surviving process finds them once
  // those connections expired, so that their contacts hear of it. On an I/O thread; must be quick. The
  // in-process bus has no other process and never calls it.
  virtual void on_gone_offline(std::function<void(std::vector<user_id>)> handler) = 0;

  struct health_info {
    std::string backend;  // "local" or "redis"
    bool ok = false;
    std::string detail;
  };
  virtual health_info health() const = 0;
};

std::unique_ptr<bus> make_local_bus(boost::asio::any_io_executor io);

struct redis_bus_options {
  // Namespace of the channel ("<prefix>:events") and presence keys ("<prefix>:presence:<user>"), so that
  // several deployments (or test runs) can share one Redis.
  std::string key_prefix = "windi";
  // A connection not refreshed for this long counts as gone (its process crashed).
  std::chrono::milliseconds presence_ttl{30'000};
  std::chrono::milliseconds presence_refresh{10'000};
};

// redis_url: redis://[[user]:password@]host[:port][/db]
std::unique_ptr<bus> make_redis_bus(std::string redis_url, boost::asio::any_io_executor io,
                                    redis_bus_options options = {});

}  // namespace windi
