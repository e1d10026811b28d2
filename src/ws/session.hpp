#pragma once
// One WebSocket connection: a reader coroutine that handles client actions in order, and a writer that drains
// a bounded outbox one frame at a time. Both run on the connection's executor (one thread at a time);
// deliver() may be called from any thread.
#include "api/events.hpp"
#include "api/json_input.hpp"
#include "bus/bus.hpp"
#include "core/auth_service.hpp"
#include "core/chat_service.hpp"
#include "core/message_service.hpp"
#include "core/presence_service.hpp"
#include "core/sync_service.hpp"
#include "ws/connection_caps.hpp"
#include "ws/outbox.hpp"
#include "ws/upgrade_checks.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/system_timer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

namespace windi::ws {

class hub;

struct session_limits {
  std::size_t max_frame_bytes = 64 * 1024;  // larger client frames close the connection (1009)
  std::size_t outbox_max_frames = 1024;     // a slower consumer is disconnected (4008) and resumes later
  std::size_t outbox_max_bytes = 8 * 1024 * 1024;
  // Unsent bytes the kernel may hold for the socket (TCP_NOTSENT_LOWAT); 0 leaves the kernel's own bound,
  // tcp_wmem's maximum (4 MiB by default): thousands of frames a slow reader has not read that the outbox
  // limits never see, so its 4008 comes late and it pins that much memory. Lower, a reader that is only
  // bursty (a busy client thread) is closed sooner too.
  int socket_unsent_max_bytes = 0;
  std::chrono::seconds idle_timeout{60};  // pings at half of it; a peer silent this long is closed
  // To send the first "auth" frame when no token came with the upgrade.
  std::chrono::seconds auth_timeout{10};
  // After an overflow, how long the last write and the 4008 close may take before the socket is dropped.
  std::chrono::seconds write_timeout{10};
  std::vector<std::string> allowed_origins;  // besides the server's own host; "*" allows any
  std::size_t max_pipelined_sends = 64;      // sends of one connection committing at once
};

struct session_services {
  bus& events;  // which chats' events reach this process (follow / unfollow)
  auth_service& auth;
  chat_service& chats;
  message_service& messages;
  presence_service& presence;
  sync_service& sync;
  hub& local;
  connection_caps& caps;
  service_limits limits;
  // Threads below the I/O threads' priority, for CPU work that must not hold up other connections.
  boost::asio::any_io_executor background;
};

frame_ptr error_frame(std::string_view action, failure const& f);

// Close codes of our own (4000-4999 are for applications).
constexpr std::uint16_t close_slow_consumer = 4008;
// The token expired or was revoked (logout, password change): log in again, then resume.
constexpr std::uint16_t close_token_expired = 4001;
// Authenticated by the first frame, the user already had WS_MAX_CONNECTIONS_PER_USER open here ("Try Again
// Later"); with a token in the upgrade request the refusal is an HTTP 429 instead.
constexpr std::uint16_t close_try_again_later = 1013;
constexpr std::uint16_t close_too_many_connections = close_try_again_later;

class session : public std::enable_shared_from_this<session> {
 public:
  // `client_address`: the peer's, or X-Forwarded-For's from a trusted proxy.
  session(boost::asio::ip::tcp::socket socket, session_services& services, session_limits const& limits,
          std::string client_address);
  // Takes over an upgrade request: authenticates, accepts, serves until either side closes.
  static void start(std::shared_ptr<session> self, upgrade_request request);
  // Queues an event's frame for sending; on this session's thread (its executor).
  void deliver(envelope const& event);
  boost::asio::any_io_executor const& executor() const { return executor_; }
  // Closes with 1001 (going away), for shutdown; from any thread. Sends already read commit first and their
  // replies go out before the close; frames read after this are ignored.
  void shutdown();

 private:
  static boost::asio::awaitable<void> run(std::shared_ptr<session> self, upgrade_request request);
  boost::asio::awaitable<bool> authenticate_first_frame();
  // Answers the upgrade with 429 (a connection cap is reached).
  static boost::asio::awaitable<void> refuse_too_many(std::shared_ptr<session> self,
                                                      upgrade_request const& request, std::string detail);
  // After credentials_changed: closes with close_token_expired when this connection's token was revoked.
  static boost::asio::awaitable<void> check_token_again(std::shared_ptr<session> self);
  void end_for_token(std::string_view reason);
  boost::asio::awaitable<void> handle(std::string const& text);
  boost::asio::awaitable<void> sync(boost::json::object const& data);
  boost::asio::awaitable<void> pipeline_send(send_request request);
  static boost::asio::awaitable<void> send_and_acknowledge(std::shared_ptr<session> self,
                                                           send_request request, std::uint64_t ticket);
  // Waits until no more than `count` of this connection's sends are still unanswered.
  boost::asio::awaitable<void> sends_at_most(std::size_t count);
  // `presence_of`: the user whose presence the frame says, if it does (it replaces their waiting one).
  void enqueue(frame_ptr frame, user_id presence_of = 0);
  // The client cannot keep up: drop what waits, close with 4008 after the write on the wire.
  void overflow();
  void write_next();
  void send_error(std::string_view action, failure const& f);
  // Metrics and the access log (ws/session_traffic.cpp).
  static boost::asio::awaitable<void> drain_and_close(std::shared_ptr<session> self);
  void note_failure(std::string_view action, failure const& f);
  void note_upgrade(upgrade_request const& request, unsigned status);
  void note_frame_in(std::size_t bytes);
  void note_frame_out(std::size_t bytes);
  void note_closed(std::uint16_t code);
  std::uint16_t close_code() const;  // once the reader has stopped
  // `covered`: per chat, the change number up to which the sync answer already carried every change.
  void flush_held_after_sync(std::map<chat_id, std::int64_t> const& covered);
  // Every change of `chat` up to `change` reached the client in an answer: live copies of them are dropped.
  void mark_synced(chat_id chat, std::int64_t change);
  // Follows the chats of this user that the connection does not follow yet (before it says "connected").
  // False when the store could not list them.
  static boost::asio::awaitable<bool> follow_my_chats(std::shared_ptr<session> self);
  // The user was added to `chat` (or it was created with them): follow it, then pass on the held events and
  // what the store says changed after `from_change`.
  static boost::asio::awaitable<void> join_chat(std::shared_ptr<session> self, chat_id chat,
                                                std::int64_t from_change);
  // Out of the hub, and every followed chat unfollowed: nothing more is delivered to this connection.
  void unregister();
  // Sends sync_required: live events may have been lost on their way here (the bus missed some, or a
  // catch-up could not be read).
  void ask_to_sync();
  // A live event past the checks of deliver(): held during a sync, else queued.
  void pass_on(chat_id chat, std::int64_t change, frame_ptr frame);

  boost::beast::websocket::stream<boost::beast::tcp_stream> ws_;
  boost::asio::any_io_executor executor_;
  session_services& services_;
  session_limits const& limits_;
  boost::asio::steady_timer overflow_deadline_;
  boost::asio::steady_timer send_done_;
  boost::asio::system_timer token_expiry_;  // the token's own expiry, a wall-clock time
  std::deque<frame_ptr> send_replies_;      // one per unanswered send, in send order; null until it commits
  std::uint64_t first_reply_ticket_ = 0;
  outbox outbox_;
  struct held_event {
    chat_id chat;
    std::int64_t change;
    frame_ptr frame;
  };
  std::vector<held_event> held_;                  // live events that arrive while a sync is being assembled
  std::map<chat_id, std::int64_t> synced_up_to_;  // per chat, what the last sync or catch-up carried
  std::set<chat_id> left_chats_;  // chats this user was removed from (or left) while connected
  // Chats whose events this connection asked the bus for: its user's when it connected, and those joined
  // since. Each is unfollowed once when it is left or the connection ends.
  std::set<chat_id> followed_;
  // Chats being joined (the user was just added): their live events wait here until the bus follows the
  // chat and what changed meanwhile was read from the store.
  std::map<chat_id, std::vector<held_event>> joining_;
  std::uint64_t registered_after_ = 0;  // the latest publication of this process when the session registered
  bool syncing_ = false;
  bool sync_asked_ = false;  // sync_required went out and the client has not sent sync since
  bool overflowed_ = false;
  std::string_view token_ended_;  // why the token stopped counting ("token expired", "token revoked")
  bool closing_ = false;
  bool registered_ = false;
  bool writer_started_ = false;  // frames queued before the handshake wait for it
  bool writing_ = false;         // a write or the close is on the wire
  bool close_sent_ = false;
  bool writer_failed_ = false;
  token_claims me_;
  std::string connection_id_;
  std::string client_address_;
  // Places under the connection caps, held while the connection is open.
  std::optional<connection_caps::lease> address_place_;
  std::optional<connection_caps::lease> user_place_;
  // For the access log and metrics.
  bool draining_ = false;  // shutting down: no new frame is acted on
  // Over a send, read or typing budget: the next frame is read only after this.
  std::chrono::steady_clock::time_point reading_paused_until_{};
  std::chrono::steady_clock::time_point opened_at_ = std::chrono::steady_clock::now();
  boost::system::error_code read_error_;  // why the reader stopped
  std::uint64_t frames_in_ = 0, frames_out_ = 0, bytes_in_ = 0, bytes_out_ = 0;
};

}  // namespace windi::ws
