// Client actions over the socket: thin adapters over the same services the REST routes call.
#include "api/events.hpp"
#include "api/json_input.hpp"
#include "api/views.hpp"
#include "ws/session.hpp"

#include "support/offload.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>

#include <charconv>

namespace windi::ws {

namespace json = boost::json;

namespace {

// A client frame taken apart: the action's name ("" when it has none) and its data, or why it is not one.
struct client_frame {
  std::string action;
  json::object data;
  std::optional<failure> error;
};

client_frame read_frame(std::string const& text) {
  auto parsed = parse_json_object(text);
  if (!parsed) return {"", {}, parsed.error()};
  auto const* name = parsed->if_contains("action");
  if (!name || !name->is_string()) return {"", {}, fail(errc::validation, "Field required", "action")};
  client_frame out{std::string(name->get_string()), {}, std::nullopt};
  if (auto* d = parsed->if_contains("data")) {
    if (d->is_object()) {
      out.data = std::move(d->get_object());
    } else if (!d->is_null()) {
      out.error = fail(errc::validation, "Input should be a valid JSON object", "data");
    }
  }
  return out;
}

}  // namespace

boost::asio::awaitable<void> session::handle(std::string const& text) {
  // The token expired or was revoked: the connection is closing with 4001, nothing more is done.
  if (!token_ended_.empty()) co_return;
  auto frame = read_frame(text);
  // A well-formed send is pipelined; anything else is answered once every send before it has been, so the
  // replies (acks and errors alike) keep the order of the frames.
  if (!frame.error && frame.action == "send_message") {
    auto request = read_send_request(frame.data);
    if (request) {
      co_await pipeline_send(std::move(*request));
      co_return;
    }
    co_await sends_at_most(0);
    co_return send_error(frame.action, request.error());
  }
  co_await sends_at_most(0);
  if (frame.error) co_return send_error(frame.action, *frame.error);
  auto const& action = frame.action;
  auto const& data = frame.data;
  if (action == "typing") {
    auto chat = required_id(data, "chat_id");
    if (!chat) co_return send_error(action, chat.error());
    auto is_typing = required_bool(data, "is_typing");
    if (!is_typing) co_return send_error(action, is_typing.error());
    auto done = co_await services_.messages.typing(me_.subject, me_.username, *chat, *is_typing);
    if (!done) send_error(action, done.error());
  } else if (action == "mark_read") {
    auto chat = required_id(data, "chat_id");
    if (!chat) co_return send_error(action, chat.error());
    auto up_to = optional_id(data, "message_id");
    if (!up_to) co_return send_error(action, up_to.error());
    auto marked = co_await services_.messages.mark_read(me_.subject, *chat, *up_to);
    if (!marked) send_error(action, marked.error());
  } else if (action == "edit_message") {
    auto id = required_id(data, "message_id");
    if (!id) co_return send_error(action, id.error());
    auto text = required_string(data, "text");
    if (!text) co_return send_error(action, text.error());
    auto edited = co_await services_.messages.edit(me_.subject, *id, std::move(*text));
    if (!edited) send_error(action, edited.error());
  } else if (action == "delete_message") {
    auto id = required_id(data, "message_id");
    if (!id) co_return send_error(action, id.error());
    auto deleted = co_await services_.messages.remove(me_.subject, *id);
    if (!deleted) send_error(action, deleted.error());
  } else if (action == "react" || action == "unreact") {
    auto id = required_id(data, "message_id");
    if (!id) co_return send_error(action, id.error());
    auto emoji = required_string(data, "emoji");
    if (!emoji) co_return send_error(action, emoji.error());
    auto reacted = co_await services_.messages.react(me_.subject, *id, std::move(*emoji), action == "react");
    if (!reacted) send_error(action, reacted.error());
  } else if (action == "sync") {
    co_await sync(data);
  } else if (action == "ping") {
    enqueue(encode_event("pong", json::object{}));
  } else {
    send_error(action, fail(errc::bad_request, "Unknown action"));
  }
}

// The next frame is read while this send commits, so a client sending a burst fills the store's group
// commits. Sends keep their order: each joins the store's queue (first in, first out) before its coroutine
// first waits, and coroutines spawned here start in the order they were spawned.
boost::asio::awaitable<void> session::pipeline_send(send_request request) {
  co_await sends_at_most(limits_.max_pipelined_sends - 1);
  send_replies_.emplace_back();
  auto ticket = first_reply_ticket_ + send_replies_.size() - 1;
  auto work = send_and_acknowledge(shared_from_this(), std::move(request), ticket);
  boost::asio::co_spawn(executor_, std::move(work), boost::asio::detached);
}

boost::asio::awaitable<void> session::send_and_acknowledge(std::shared_ptr<session> self,
                                                           send_request request, std::uint64_t ticket) {
  frame_ptr reply;
  try {
    auto sent = co_await self->services_.messages.send(
        self->me_.subject, request.chat_id, std::move(request.text), std::move(request.client_message_id),
        request.reply_to, std::move(request.attachments));
    if (!sent) {
      self->note_failure("send_message", sent.error());
      reply = error_frame("send_message", sent.error());
    } else {
      // The acknowledgement to this connection; every member's connections (this one too) also get
      // new_message.
      auto view = message_view(sent->stored, 0);
      view["duplicate"] = sent->duplicate;
      reply = encode_event("message_sent", std::move(view));
    }
  } catch (std::exception const& e) {
    spdlog::error("ws: unhandled exception for user {}: {}", self->me_.subject, e.what());
    reply = error_frame("send_message", fail(errc::internal, e.what()));
  }
  // Replies leave in the order of the sends, whichever commit answered first.
  self->send_replies_[ticket - self->first_reply_ticket_] = std::move(reply);
  while (!self->send_replies_.empty() && self->send_replies_.front()) {
    self->enqueue(std::move(self->send_replies_.front()));
    self->send_replies_.pop_front();
    ++self->first_reply_ticket_;
  }
  self->send_done_.cancel();
}

boost::asio::awaitable<void> session::sends_at_most(std::size_t count) {
  while (send_replies_.size() > count) {
    send_done_.expires_at(boost::asio::steady_timer::time_point::max());
    co_await send_done_.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  }
}

namespace {

// {"<chat_id>": <number>, ...} with non-negative integers.
outcome<std::map<chat_id, std::int64_t>> read_cursor(json::object const& data, std::string_view key) {
  std::map<chat_id, std::int64_t> cursor;
  auto const* given = data.if_contains(key);
  if (!given || given->is_null()) return cursor;
  auto const expected = "Expected {\"<chat_id>\": <last seen number>}";
  if (!given->is_object()) return fail(errc::validation, expected, std::string(key));
  for (auto const& [name, value] : given->get_object()) {
    chat_id id = 0;
    auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), id);
    if (ec != std::errc{} || end != name.data() + name.size() || !value.is_int64() || value.get_int64() < 0) {
      return fail(errc::validation, expected, std::string(key));
    }
    cursor[id] = value.get_int64();
  }
  return cursor;
}

// A sync answer replaying at least this many messages is encoded off the I/O thread. Below it, the hop to the
// background pool (whose threads yield to the I/O threads) would cost more than it spares.
constexpr std::size_t encode_elsewhere_from = 200;

}  // namespace

// Resume, answered by the sync service from the store. Live events arriving meanwhile are held and sent
// after the answer, minus those it already covers (by chat and change number), so there is neither a gap
// nor a duplicate at the boundary.
boost::asio::awaitable<void> session::sync(json::object const& data) {
  auto seqs = read_cursor(data, "chats");
  if (!seqs) co_return send_error("sync", seqs.error());
  auto changes = read_cursor(data, "changes");
  if (!changes) co_return send_error("sync", changes.error());
  syncing_ = true;
  // The answer lists who is online now: a status frame still waiting must not be replaced by a newer one
  // that the answer would then follow, and contradict. Live events are held until the answer is queued.
  outbox_.seal();
  sync_asked_ = false;
  sync_request request{std::move(*changes), std::move(*seqs)};
  auto result = co_await services_.sync.sync(me_.subject, std::move(request));
  if (!result) {
    syncing_ = false;
    flush_held_after_sync({});
    co_return send_error("sync", result.error());
  }
  std::size_t replayed = 0;
  for (auto const& entry : result->chats) replayed += entry.messages.size();
  frame_ptr answer;
  try {
    if (replayed < encode_elsewhere_from) {
      answer = sync_event(*result);
    } else {
      // Thousands of messages take milliseconds to encode: on the background pool, the other connections'
      // deliveries on this I/O thread do not wait behind one client's resume. Live events stay held
      // meanwhile.
      answer = co_await offload(services_.background, [&result] { return sync_event(*result); });
    }
  } catch (std::exception const&) {
    // Never leave live events held for good: they go out, and the client is told the sync failed.
    syncing_ = false;
    flush_held_after_sync({});
    throw;
  }
  syncing_ = false;
  enqueue(std::move(answer));
  flush_held_after_sync(result->covered);
}

void session::flush_held_after_sync(std::map<chat_id, std::int64_t> const& covered) {
  for (auto const& [chat, change] : covered) mark_synced(chat, change);
  auto held = std::move(held_);
  held_.clear();
  for (auto& event : held) pass_on(event.chat, event.change, std::move(event.frame));
}

}  // namespace windi::ws
