// Client actions over the socket: thin adapters over the same services the REST routes call.
#include "api/json_input.hpp"
#include "api/views.hpp"
#include "ws/session.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/array.hpp>

#include <algorithm>
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
        self->me_.subject, request.chat_id, std::move(request.text), std::move(request.client_message_id));
    if (!sent) {
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

// Resume: the client says the last seq it saw per chat and gets what it missed, from the store, in order,
// plus the read state of every chat. Live frames arriving meanwhile are held and replayed after, minus those
// the replay already carried, so there is neither a gap nor a duplicate at the boundary.
boost::asio::awaitable<void> session::sync(json::object const& data) {
  std::map<chat_id, std::int64_t> cursors;
  if (auto const* given = data.if_contains("chats")) {
    if (!given->is_object())
      co_return send_error("sync", fail(errc::validation, "Input should be an object", "chats"));
    for (auto const& [key, value] : given->get_object()) {
      chat_id id = 0;
      auto [end, ec] = std::from_chars(key.data(), key.data() + key.size(), id);
      if (ec != std::errc{} || end != key.data() + key.size() || !value.is_int64() || value.get_int64() < 0) {
        co_return send_error("sync",
                             fail(errc::validation, "Expected {\"<chat_id>\": <last seen seq>}", "chats"));
      }
      cursors[id] = value.get_int64();
    }
  }
  syncing_ = true;
  auto chats = co_await services_.chats.list(me_.subject);
  if (!chats) {
    syncing_ = false;
    flush_held_after_sync({});
    co_return send_error("sync", chats.error());
  }
  std::map<chat_id, std::int64_t> replayed;
  std::vector<user_id> people;
  json::array entries;
  int const max_replay = services_.limits.sync_max_messages;
  for (auto const& summary : *chats) {
    auto const& info = summary.info;
    for (auto const& m : info.members) people.push_back(m.id);
    auto cursor = cursors.count(info.id) ? cursors[info.id] : 0;
    json::object entry{{"chat_id", info.id},
                       {"last_seq", info.last_seq},
                       {"last_read_seq", summary.my_last_read_seq},
                       {"unread_count", summary.unread_count},
                       {"resync_required", false}};
    json::array members;
    for (auto const& m : info.members) members.push_back(member_view(m));
    entry["members"] = std::move(members);
    json::array missed;
    if (info.last_seq - cursor > max_replay) {
      entry["resync_required"] = true;
    } else {
      std::int64_t after = cursor;
      while (after < info.last_seq) {
        history_request page;
        page.chat = info.id;
        page.limit = services_.limits.history_max_limit;
        page.after_seq = after;
        auto got = co_await services_.messages.history(me_.subject, page);
        if (!got || got->messages.empty()) break;
        for (auto const& m : got->messages) missed.push_back(message_view(m, read_by_count(got->info, m)));
        after = got->messages.back().seq;
      }
      replayed[info.id] = after;
    }
    entry["messages"] = std::move(missed);
    entries.push_back(std::move(entry));
  }
  std::sort(people.begin(), people.end());
  people.erase(std::unique(people.begin(), people.end()), people.end());
  auto online = co_await services_.presence.online_among(std::move(people));
  json::array online_ids;
  for (auto id : online) online_ids.push_back(id);
  enqueue(encode_event("sync", {{"chats", std::move(entries)}, {"online_user_ids", std::move(online_ids)}}));
  syncing_ = false;
  flush_held_after_sync(replayed);
}

void session::flush_held_after_sync(std::map<chat_id, std::int64_t> const& covered) {
  auto held = std::move(held_);
  held_.clear();
  for (auto& event : held) {
    if (event.change > 0) {
      auto it = covered.find(event.chat);
      if (it != covered.end() && event.change <= it->second) continue;  // the answer already carried it
    }
    enqueue(std::move(event.frame));
  }
}

}  // namespace windi::ws
