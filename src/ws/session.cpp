#include "ws/session.hpp"

#include "api/error_status.hpp"
#include "api/json_input.hpp"
#include "api/views.hpp"
#include "support/random_hex.hpp"
#include "ws/hub.hpp"
#include "ws/upgrade_checks.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <boost/json/array.hpp>
#include <boost/json/parse.hpp>
#include <cerrno>
#include <cstring>

namespace windi::ws {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;
namespace json = boost::json;

namespace {

constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
// A connection whose chats cannot be listed (the database restarts) waits this long for it, at most, before
// it is closed with "try again later".
constexpr int follow_retries = 4;
constexpr auto follow_retry_pause = std::chrono::milliseconds(500);

}  // namespace

session::session(asio::ip::tcp::socket socket, session_services& services, session_limits const& limits,
                 std::string client_address)
    : ws_(std::move(socket)),
      executor_(ws_.get_executor()),
      services_(services),
      limits_(limits),
      overflow_deadline_(ws_.get_executor()),
      send_done_(ws_.get_executor()),
      token_expiry_(ws_.get_executor()),
      connection_id_(random_hex(8)),
      client_address_(std::move(client_address)) {}

void session::start(std::shared_ptr<session> self, upgrade_request request) {
  auto executor = self->ws_.get_executor();
  asio::co_spawn(executor, run(std::move(self), std::move(request)), asio::detached);
}

void session::deliver(envelope const& event) {
  if (event.kind == event_kind::events_missed) {
    ask_to_sync();
    return;
  }
  if (event.kind == event_kind::credentials_changed) {
    if (registered_ && !closing_)
      asio::co_spawn(executor_, check_token_again(shared_from_this()), asio::detached);
    return;
  }
  // Once this user is out of a chat, nothing more of it reaches the connection, whatever was published late
  // (an event committed just before the removal can be published after it).
  bool joined = false;
  if (event.kind == event_kind::member_removed && event.subject == me_.subject) {
    left_chats_.insert(event.chat);
    if (followed_.erase(event.chat) > 0) services_.events.unfollow({event.chat});
  } else if (event.kind == event_kind::chat_created ||
             (event.kind == event_kind::member_added && event.subject == me_.subject)) {
    left_chats_.erase(event.chat);
    joined = true;
  } else if (event.chat != 0 && left_chats_.contains(event.chat)) {
    return;
  }
  // A change published by this process before this connection registered, still on its way: committed before,
  // so the sync the client sends on `connected` carries it; sent live as well, it would arrive twice.
  if (event.change > 0 && event.publication != 0 && event.publication <= registered_after_) return;
  if (auto joining = joining_.find(event.chat); joining != joining_.end()) {
    joining->second.push_back({event.chat, event.change, event.frame});
    return;
  }
  if (joined && registered_ && services_.events.routes_by_chat() && !followed_.contains(event.chat)) {
    // This process may not hear of the chat until it follows it: its events wait, the first being this one.
    followed_.insert(event.chat);
    joining_[event.chat].push_back({event.chat, event.change, event.frame});
    asio::co_spawn(executor_, join_chat(shared_from_this(), event.chat, event.change), asio::detached);
    return;
  }
  if (event.kind == event_kind::presence && !syncing_) return enqueue(event.frame, event.subject);
  pass_on(event.chat, event.change, event.frame);
}

void session::unregister() {
  services_.local.remove(me_.subject, this);
  if (!followed_.empty()) {
    services_.events.unfollow(std::vector<chat_id>(followed_.begin(), followed_.end()));
    followed_.clear();
  }
}

void session::ask_to_sync() {
  // Before "connected" the client has not synced yet, and its first sync reads the store after this.
  if (!writer_started_ || closing_) return;
  // One request is enough while the client has not answered it: its sync will read the store after this.
  if (sync_asked_) return;
  sync_asked_ = true;
  enqueue(sync_required_event());
}

void session::mark_synced(chat_id chat, std::int64_t change) {
  auto& floor = synced_up_to_[chat];
  floor = std::max(floor, change);
}

void session::pass_on(chat_id chat, std::int64_t change, frame_ptr frame) {
  if (change > 0) {
    // The answer to a sync or a catch-up carried it already; this live copy came late (another process
    // published it after the store was read).
    auto floor = synced_up_to_.find(chat);
    if (floor != synced_up_to_.end() && change <= floor->second) return;
  }
  if (syncing_) {
    if (overflowed_ || closing_) return;
    // Held events count against the outbox limit too: a sync answered slowly must not let them pile up.
    if (held_.size() + outbox_.size() >= limits_.outbox_max_frames) return overflow();
    held_.push_back({chat, change, std::move(frame)});
  } else {
    enqueue(std::move(frame));
  }
}

asio::awaitable<bool> session::follow_my_chats(std::shared_ptr<session> self) {
  if (!self->services_.events.routes_by_chat()) co_return true;
  auto mine = co_await self->services_.chats.ids_of(self->me_.subject);
  // Unfollowed, the chats' events would never reach this connection live.
  if (!mine) co_return false;
  std::vector<chat_id> fresh;
  for (chat_id id : *mine) {
    if (self->followed_.insert(id).second) fresh.push_back(id);
  }
  co_await self->services_.events.follow(std::move(fresh));
  co_return true;
}

asio::awaitable<void> session::join_chat(std::shared_ptr<session> self, chat_id chat,
                                         std::int64_t from_change) {
  std::vector<chat_id> one(1, chat);
  co_await self->services_.events.follow(std::move(one));
  auto changed = co_await self->services_.sync.changes_after(chat, from_change);
  auto held = std::move(self->joining_[chat]);
  self->joining_.erase(chat);
  if (!self->followed_.contains(chat)) {
    // Left the chat, or the connection ended, while the follow was on its way: undo it.
    std::vector<chat_id> undo(1, chat);
    self->services_.events.unfollow(std::move(undo));
    co_return;
  }
  if (self->closing_) co_return;
  // The event that said "joined" first, then what the store has after it, then live events the store's
  // answer did not cover yet.
  std::int64_t covered = from_change;
  if (!held.empty()) self->pass_on(chat, held.front().change, held.front().frame);
  if (changed && !changed->truncated) {
    for (auto const& m : changed->messages) {
      auto frame = m.deleted                 ? message_changed_event("message_deleted", m, 0)
                   : m.edited_at.has_value() ? message_changed_event("message_edited", m, 0)
                                             : new_message_event(m, 0);
      self->pass_on(chat, m.change_seq, std::move(frame));
    }
    covered = changed->last_change;
  } else {
    // The store could not say (or too much changed to replay here): the client's sync will.
    self->ask_to_sync();
  }
  self->mark_synced(chat, covered);
  for (std::size_t i = 1; i < held.size(); ++i) self->pass_on(chat, held[i].change, held[i].frame);
}

void session::shutdown() { asio::co_spawn(executor_, drain_and_close(shared_from_this()), asio::detached); }

void session::enqueue(frame_ptr frame, user_id presence_of) {
  if (closing_ || overflowed_) return;
  if (presence_of != 0 && outbox_.replace_presence(presence_of, frame)) return;
  // The limits bound what waits behind the socket; one frame larger than the byte limit (a long sync
  // replay) still goes out when nothing is waiting.
  if (!outbox_.empty() && (outbox_.size() >= limits_.outbox_max_frames ||
                           outbox_.bytes() + frame->size() > limits_.outbox_max_bytes)) {
    return overflow();
  }
  outbox_.push(std::move(frame), presence_of);
  write_next();
}

void session::overflow() {
  // Never block the producer and never grow without bound: drop the queue and close; the client resumes.
  overflowed_ = true;
  held_.clear();
  outbox_.clear();
  // The writer may be stuck in a write the peer never reads; the 4008 close can only follow that write.
  // A peer that drains its socket in time gets the close; one that does not is cut off.
  overflow_deadline_.expires_after(limits_.write_timeout);
  overflow_deadline_.async_wait([self = shared_from_this()](boost::system::error_code ec) {
    if (ec) return;
    boost::system::error_code ignored;
    beast::get_lowest_layer(self->ws_).socket().close(ignored);
  });
  spdlog::warn("ws: user {} connection {} too slow, closing with {}", me_.subject, connection_id_,
               close_slow_consumer);
  if (auto* traffic = services_.local.traffic()) traffic->outbox_overflows.inc();
  write_next();
}

// The writer is a chain of completion handlers rather than a coroutine waiting on a timer: a frame queued
// while the socket is idle goes out in the same handler, with no wake-up in between.
void session::write_next() {
  if (writing_ || !writer_started_ || writer_failed_) return;
  if (overflowed_ || (closing_ && outbox_.empty())) {
    if (close_sent_ || (!overflowed_ && !ws_.is_open())) return;
    close_sent_ = true;
    writing_ = true;
    auto reason =
        overflowed_ ? websocket::close_reason(static_cast<websocket::close_code>(close_slow_consumer),
                                              "slow consumer")
        : !token_ended_.empty()
            ? websocket::close_reason(static_cast<websocket::close_code>(close_token_expired), token_ended_)
            : websocket::close_reason(websocket::close_code::going_away, "server shutting down");
    ws_.async_close(reason, [self = shared_from_this()](boost::system::error_code) {});
    return;
  }
  if (outbox_.empty()) return;
  writing_ = true;
  ws_.text(true);
  // The handler owns the frame: an overflow can empty the queue while the frame is on the wire.
  auto frame = outbox_.front();
  auto bytes = asio::buffer(*frame);
  ws_.async_write(bytes, [self = shared_from_this(), frame = std::move(frame)](boost::system::error_code ec,
                                                                               std::size_t written) {
    self->writing_ = false;
    if (!ec) self->note_frame_out(written);
    // Not the front any more: the queue was emptied, or a newer presence frame took this one's place.
    if (!self->outbox_.empty() && self->outbox_.front() == frame) self->outbox_.pop_front();
    if (ec) {
      // The reader sees the broken socket too and ends the session; nothing more is queued.
      self->writer_failed_ = true;
      self->closing_ = true;
      self->outbox_.clear();
      return;
    }
    self->write_next();
  });
}

frame_ptr error_frame(std::string_view action, failure const& f) {
  json::object data{{"action", action}, {"status", http_status_for(f.code)}, {"detail", client_detail(f)}};
  if (!f.field.empty() && f.field.back() != '.') data["field"] = f.field;
  if (f.retry_after_seconds > 0) data["retry_after"] = f.retry_after_seconds;
  return encode_event("error", std::move(data));
}

void session::send_error(std::string_view action, failure const& f) {
  note_failure(action, f);
  enqueue(error_frame(action, f));
}

asio::awaitable<void> session::run(std::shared_ptr<session> self, upgrade_request request) {
  auto& ws = self->ws_;
  auto& services = self->services_;
  auto token = token_from_upgrade(request);
  if (auto refusal = check_origin(request, self->limits_.allowed_origins); !refusal.empty()) {
    auto response = refusal_response(request, beast::http::status::forbidden, refusal);
    co_await beast::http::async_write(beast::get_lowest_layer(ws), response, use_tuple);
    self->note_upgrade(request, 403);
    co_return;
  }
  auto address_place = co_await services.caps.admit_address(self->client_address_, self->connection_id_);
  self->address_place_ = std::move(address_place);
  if (!self->address_place_) {
    co_await refuse_too_many(self, request, "Too many connections from this address");
    co_return;
  }
  if (token.value) {
    auto claims = co_await services.auth.authenticate(*token.value);
    if (!claims) {
      auto response =
          refusal_response(request, beast::http::status::unauthorized, "Could not validate credentials");
      co_await beast::http::async_write(beast::get_lowest_layer(ws), response, use_tuple);
      self->note_upgrade(request, 401);
      co_return;
    }
    self->me_ = *claims;
    auto user_place = co_await services.caps.admit_user(self->me_.subject, self->connection_id_);
    self->user_place_ = std::move(user_place);
    if (!self->user_place_) {
      co_await refuse_too_many(self, request, "Too many connections for this user");
      co_return;
    }
  }

  beast::get_lowest_layer(ws).expires_never();
  // Writes wait while that much is unsent, so a reader that falls behind fills the outbox instead.
  if (int const unsent = self->limits_.socket_unsent_max_bytes; unsent > 0) {
    if (::setsockopt(beast::get_lowest_layer(ws).socket().native_handle(), IPPROTO_TCP, TCP_NOTSENT_LOWAT,
                     &unsent, sizeof unsent) != 0) {
      spdlog::debug("ws: TCP_NOTSENT_LOWAT not set: {}", std::strerror(errno));
    }
  }
  websocket::stream_base::timeout timeouts{std::chrono::seconds(30), self->limits_.idle_timeout, true};
  ws.set_option(timeouts);
  ws.read_message_max(self->limits_.max_frame_bytes);
  bool echo_protocol = token.from_subprotocol;
  ws.set_option(websocket::stream_base::decorator([echo_protocol](websocket::response_type& res) {
    res.set(beast::http::field::server, "windi");
    if (echo_protocol) res.set(beast::http::field::sec_websocket_protocol, "bearer");
  }));
  auto [accept_ec] = co_await ws.async_accept(request, use_tuple);
  if (accept_ec) co_return;
  self->note_upgrade(request, 101);
  if (!token.value) {
    bool authenticated =
        co_await self->authenticate_first_frame();  // named: GCC 12 and co_await in conditions
    if (!authenticated) {
      self->note_closed(static_cast<std::uint16_t>(websocket::close_code::policy_error));
      co_return;
    }
    auto user_place = co_await services.caps.admit_user(self->me_.subject, self->connection_id_);
    self->user_place_ = std::move(user_place);
    if (!self->user_place_) {
      self->note_failure("connect",
                         too_many_requests("Too many connections for this user", std::chrono::seconds(5)));
      co_await ws.async_close(
          websocket::close_reason(websocket::close_code::try_again_later, "too many connections"), use_tuple);
      self->note_closed(close_too_many_connections);
      co_return;
    }
  }

  self->registered_after_ = latest_publication();
  services.local.add(self->me_.subject, self);
  self->registered_ = true;
  // A connection does not outlive its token: at the expiry it closes (4001); the client logs in and resumes.
  self->token_expiry_.expires_at(
      std::chrono::system_clock::time_point(std::chrono::microseconds(self->me_.expires_at)));
  self->token_expiry_.async_wait([weak = std::weak_ptr<session>(self)](boost::system::error_code ec) {
    auto s = weak.lock();
    if (ec || !s) return;
    s->end_for_token("token expired");
  });
  // Before "connected": every change committed after the bus follows the user's chats arrives live, and the
  // client's sync (sent on "connected") reads the store after that.
  bool following = co_await follow_my_chats(self);
  for (int retry = 0; !following && retry < follow_retries && !self->closing_; ++retry) {
    asio::steady_timer pause(self->executor_, follow_retry_pause);
    co_await pause.async_wait(use_tuple);
    following = co_await follow_my_chats(self);
  }
  if (!following) {
    // The database is unreachable: a connection without live events would look fine and show nothing.
    self->unregister();
    self->token_expiry_.cancel();
    co_await ws.async_close(
        websocket::close_reason(websocket::close_code::try_again_later, "service unavailable"), use_tuple);
    self->note_closed(close_try_again_later);
    co_return;
  }
  self->writer_started_ = true;
  self->enqueue(encode_event("connected", {{"user_id", self->me_.subject},
                                           {"username", self->me_.username},
                                           {"connection_id", self->connection_id_}}));
  co_await services.presence.connected(self->me_.subject, self->me_.username, self->connection_id_);

  beast::flat_buffer buffer;
  asio::steady_timer reading_pause(self->executor_);
  while (!self->closing_) {
    if (self->reading_paused_until_ > std::chrono::steady_clock::now()) {
      reading_pause.expires_at(self->reading_paused_until_);
      co_await reading_pause.async_wait(use_tuple);
      continue;
    }
    buffer.clear();
    auto [ec, bytes] = co_await ws.async_read(buffer, use_tuple);
    if (ec) {
      self->read_error_ = ec;
      break;
    }
    self->note_frame_in(bytes);
    if (self->draining_) continue;  // shutting down: a send read now gets no acknowledgement
    if (!ws.got_text()) {
      co_await self->sends_at_most(0);  // replies keep the order of the frames
      self->send_error("", fail(errc::bad_request, "Frames must be JSON text"));
      continue;
    }
    try {
      co_await self->handle(beast::buffers_to_string(buffer.data()));
    } catch (std::exception const& e) {
      spdlog::error("ws: unhandled exception for user {}: {}", self->me_.subject, e.what());
      self->send_error("", fail(errc::internal, e.what()));
    }
  }

  self->unregister();
  self->note_closed(self->close_code());
  self->token_expiry_.cancel();
  self->closing_ = true;
  self->write_next();
  co_await services.presence.disconnected(self->me_.subject, self->me_.username, self->connection_id_);
  // The socket is done with (the close goes out on its own): its places go to the next connection.
  self->user_place_.reset();
  self->address_place_.reset();
}

asio::awaitable<void> session::refuse_too_many(std::shared_ptr<session> self, upgrade_request const& request,
                                               std::string detail) {
  // As a 429 over REST: Retry-After, since a connection of the same client may close any moment.
  auto response = refusal_response(request, beast::http::status::too_many_requests, detail, 5);
  co_await beast::http::async_write(beast::get_lowest_layer(self->ws_), response, use_tuple);
  self->note_upgrade(request, 429);
  self->note_failure("connect", too_many_requests(std::move(detail), std::chrono::seconds(5)));
}

asio::awaitable<bool> session::authenticate_first_frame() {
  beast::flat_buffer buffer;
  asio::steady_timer deadline(ws_.get_executor(), limits_.auth_timeout);
  deadline.async_wait([this](boost::system::error_code ec) {
    if (!ec) beast::get_lowest_layer(ws_).cancel();
  });
  auto [ec, bytes] = co_await ws_.async_read(buffer, use_tuple);
  deadline.cancel();
  std::optional<token_claims> claims;
  if (!ec) {
    boost::system::error_code parse_ec;
    auto frame = json::parse(beast::buffers_to_string(buffer.data()), parse_ec);
    if (!parse_ec && frame.is_object() && frame.as_object()["action"] == "auth") {
      auto const* data = frame.as_object().if_contains("data");
      auto const* token = data && data->is_object() ? data->as_object().if_contains("token") : nullptr;
      if (token && token->is_string()) {
        auto verified = co_await services_.auth.authenticate(std::string(token->get_string()));
        if (verified) claims = *verified;
      }
    }
  }
  if (!claims) {
    websocket::close_reason reason(websocket::close_code::policy_error, "authentication required");
    co_await ws_.async_close(reason, use_tuple);
    co_return false;
  }
  me_ = *claims;
  co_return true;
}

asio::awaitable<void> session::check_token_again(std::shared_ptr<session> self) {
  auto valid = co_await self->services_.auth.still_valid(self->me_);
  // Only a definite "no" closes: while the store cannot answer, the connection goes on.
  if (!valid && valid.error().code == errc::unauthorized) self->end_for_token("token revoked");
}

void session::end_for_token(std::string_view reason) {
  if (closing_) return;
  token_ended_ = reason;
  closing_ = true;
  write_next();
}

}  // namespace windi::ws
