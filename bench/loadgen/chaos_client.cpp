#include "chaos_client.hpp"

#include "client/http_client.hpp"
#include "history_reader.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>

namespace windi::loadgen {

namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

constexpr int slow_consumer_close = 4008;

std::int64_t integer(json::object const& o, char const* key) {
  auto const* v = o.if_contains(key);
  return v && v->is_int64() ? v->as_int64() : 0;
}

std::string action_frame(char const* action, json::object data) {
  return json::serialize(json::object{{"action", action}, {"data", std::move(data)}});
}

asio::awaitable<void> sleep_for(std::chrono::steady_clock::duration d) {
  asio::steady_timer timer(co_await asio::this_coro::executor, d);
  boost::system::error_code ignored;
  co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ignored));
}

}  // namespace

chaos_client::chaos_client(asio::any_io_executor executor, std::shared_ptr<chaos_shared> shared, member me,
                           std::size_t index, std::vector<std::int64_t> chats, std::uint64_t seed)
    : executor_(std::move(executor)),
      shared_(std::move(shared)),
      me_(std::move(me)),
      index_(index),
      chats_(std::move(chats)),
      random_(seed) {
  for (auto chat : chats_) views_[chat];
}

asio::awaitable<void> chaos_client::run() {
  auto self = shared_from_this();
  asio::co_spawn(executor_, actor(), asio::detached);
  while (!shared_->stopping) {
    auto ws = std::make_shared<client::ws_client>(executor_);
    client::ws_options options;
    options.connect_timeout = 5s;
    options.socket.receive_buffer = shared_->receive_buffer;
    bool connected = false;
    try {
      co_await ws->connect(shared_->endpoint(index_ + attempts_), client::chat_socket_path(me_.token),
                           options);
      connected = true;
    } catch (std::exception const&) {
      // That process is down (killed, restarting): the next attempt tries the next one.
      ++attempts_;
    }
    if (!connected) {
      co_await sleep_for(std::chrono::milliseconds(100 + random_() % 400));
      continue;
    }
    ws_ = ws;
    ++generation_;
    synced_ = false;
    writing_ = false;
    outbox_.clear();
    awaiting_reply_.clear();
    ++counts_.connections;
    co_await connection_life(ws);
    ws_.reset();
    ++generation_;
    synced_ = false;
    outbox_.clear();
    awaiting_reply_.clear();
    ++counts_.disconnects;
    if (shared_->stopping) break;
    co_await sleep_for(std::chrono::milliseconds(50 + random_() % 450));
  }
}

asio::awaitable<void> chaos_client::connection_life(std::shared_ptr<client::ws_client> ws) {
  try {
    for (;;) {
      if (auto const now = std::chrono::steady_clock::now(); now < frozen_until_) {
        co_await sleep_for(frozen_until_ - now);
        continue;
      }
      handle(co_await ws->read());
      if (read_delay_.count() > 0) co_await sleep_for(read_delay_);
    }
  } catch (std::exception const&) {
    if (ws->close_code() == slow_consumer_close) ++counts_.slow_closes;
  }
}

void chaos_client::handle(std::string const& text) {
  boost::system::error_code ec;
  auto parsed = json::parse(text, ec);
  if (ec || !parsed.is_object()) return;
  auto const& frame = parsed.as_object();
  auto const* type = frame.if_contains("type");
  auto const* data_value = frame.if_contains("data");
  if (!type || !type->is_string() || !data_value || !data_value->is_object()) return;
  auto const& data = data_value->as_object();
  std::string_view const kind = type->as_string();

  if (kind == "connected") {
    send_sync();
  } else if (kind == "sync_required") {
    // Not settled (and not acting) until the answer is in.
    ++counts_.sync_requests;
    synced_ = false;
    send_sync();
  } else if (kind == "sync") {
    on_sync(data);
  } else if (kind == "message_sent") {
    if (!awaiting_reply_.empty()) awaiting_reply_.pop_front();
    auto copy = read_message(data);
    auto [at, first] = acked_.try_emplace(copy.client_message_id, copy.id);
    if (!first && at->second != copy.id) ++counts_.ack_mismatches;
    if (unacked_.erase(copy.client_message_id) > 0) {
      ++counts_.acknowledged;
      if (!copy.deleted) own_.emplace_back(integer(data, "chat_id"), copy.id);
    }
    views_[integer(data, "chat_id")].absorb(std::move(copy));
  } else if (kind == "new_message" || kind == "message_edited" || kind == "message_deleted") {
    on_message_event(data);
  } else if (kind == "reaction_changed") {
    auto& view = views_[integer(data, "chat_id")];
    auto const change = integer(data, "change_seq");
    view.absorb_reactions(integer(data, "message_id"), change,
                          read_reactions(data.contains("reactions") ? data.at("reactions") : json::value()));
    view.note_change(change);
  } else if (kind == "member_added" || kind == "member_removed" || kind == "chat_updated") {
    if (auto change = integer(data, "change_seq"); change > 0)
      views_[integer(data, "chat_id")].note_change(change);
  } else if (kind == "error") {
    ++counts_.errors;
    auto const* action = data.if_contains("action");
    std::string_view const what = action && action->is_string() ? std::string_view(action->as_string()) : "";
    if (what == "send_message" && !awaiting_reply_.empty()) {
      // Replies to sends come in the order of the sends: this one failed (the database restarting, say).
      auto cmid = awaiting_reply_.front();
      awaiting_reply_.pop_front();
      asio::co_spawn(executor_,
                     later(300ms, generation_,
                           [this, cmid] {
                             if (synced_ && unacked_.contains(cmid)) send_message(cmid);
                           }),
                     asio::detached);
    } else if (what == "sync") {
      asio::co_spawn(executor_, later(500ms, generation_, [this] { send_sync(); }), asio::detached);
    }
  }
}

void chaos_client::on_message_event(json::object const& message) {
  auto copy = read_message(message);
  auto& view = views_[integer(message, "chat_id")];
  auto const change = copy.change_seq;
  view.absorb(std::move(copy));
  view.note_change(change);
}

void chaos_client::on_sync(json::object const& data) {
  if (auto const* chats = data.if_contains("chats"); chats && chats->is_array()) {
    for (auto const& entry_value : chats->as_array()) {
      auto const& entry = entry_value.as_object();
      auto const chat = integer(entry, "chat_id");
      auto& view = views_[chat];
      if (entry.contains("resync_required") && entry.at("resync_required").as_bool()) {
        // Too much was missed to replay: the chat's history comes from REST. Every change up to last_change
        // is in it, since it is read after this answer.
        ++counts_.resync_reloads;
        ++reloads_;
        asio::co_spawn(executor_, reload(chat), asio::detached);
      } else if (auto const* messages = entry.if_contains("messages"); messages && messages->is_array()) {
        for (auto const& m : messages->as_array()) view.absorb(read_message(m.as_object()));
      }
      view.advance_to(integer(entry, "last_change"));
    }
  }
  synced_ = true;
  // Whatever was sent but never acknowledged goes again, under the same client_message_id, but for the sends
  // still on their way on this connection (a sync asked for on a live one).
  std::vector<std::string> again;
  for (auto const& [cmid, p] : unacked_) {
    if (std::find(awaiting_reply_.begin(), awaiting_reply_.end(), cmid) == awaiting_reply_.end())
      again.push_back(cmid);
  }
  for (auto const& cmid : again) send_message(cmid);
}

void chaos_client::send_sync() {
  json::object changes;
  for (auto const& [chat, view] : views_) changes[std::to_string(chat)] = view.cursor();
  write(action_frame("sync", {{"changes", std::move(changes)}}));
}

void chaos_client::send_message(std::string const& cmid) {
  auto& p = unacked_.at(cmid);
  if (p.attempts > 0) {
    ++counts_.resends;
    if (resent_.insert(cmid).second) ++counts_.retried;
  }
  ++p.attempts;
  awaiting_reply_.push_back(cmid);
  write(action_frame("send_message", {{"chat_id", p.chat}, {"text", p.text}, {"client_message_id", cmid}}));
}

void chaos_client::write(std::string frame) {
  if (!ws_) return;
  outbox_.push_back(std::move(frame));
  if (writing_) return;
  writing_ = true;
  asio::co_spawn(executor_, writer(ws_, generation_), asio::detached);
}

asio::awaitable<void> chaos_client::writer(std::shared_ptr<client::ws_client> ws, std::uint64_t generation) {
  auto self = shared_from_this();
  while (generation == generation_ && !outbox_.empty()) {
    auto frame = std::move(outbox_.front());
    outbox_.pop_front();
    try {
      co_await ws->send(std::move(frame));
    } catch (std::exception const&) {
      ws->close_now();  // the reader ends the connection
      break;
    }
  }
  if (generation == generation_) writing_ = false;
}

asio::awaitable<void> chaos_client::later(std::chrono::milliseconds delay, std::uint64_t generation,
                                          std::function<void()> then) {
  auto self = shared_from_this();
  co_await sleep_for(delay);
  if (generation == generation_ && !shared_->stopping) then();
}

asio::awaitable<void> chaos_client::reload(std::int64_t chat) {
  auto self = shared_from_this();
  std::int64_t after = 0;
  std::function<void(message_copy)> const take = [this, chat](message_copy m) {
    views_[chat].absorb(std::move(m));
  };
  while (!shared_->stopping) {
    bool done = false;
    try {
      client::http_client http(executor_, shared_->endpoint(index_ + attempts_), 5s);
      co_await read_history(http, chat, me_.token, after, take);
      done = true;
    } catch (std::exception const&) {
      // The server or its database is restarting: go on from the last page read.
    }
    if (done) break;
    co_await sleep_for(500ms);
  }
  --reloads_;
}

asio::awaitable<void> chaos_client::actor() {
  auto self = shared_from_this();
  std::exponential_distribution<double> gap(shared_->actions_per_second);
  while (!shared_->stopping) {
    co_await sleep_for(std::chrono::duration_cast<std::chrono::steady_clock::duration>(
        std::chrono::duration<double>(gap(random_))));
    if (synced_ && shared_->acting && !shared_->stopping) act();
  }
}

void chaos_client::act() {
  auto const roll = random_() % 100;
  if (roll < 65 || own_.empty()) {
    auto cmid = "k" + std::to_string(index_) + "-" + std::to_string(next_message_++);
    auto const chat = chats_[random_() % chats_.size()];
    unacked_[cmid] = pending_send{chat, "message " + cmid, 0};
    ++counts_.sends;
    send_message(cmid);
  } else if (roll < 77) {
    auto const& [chat, id] = own_[random_() % own_.size()];
    ++counts_.edits;
    write(action_frame("edit_message",
                       {{"message_id", id}, {"text", "edited " + std::to_string(next_message_++)}}));
  } else if (roll < 83) {
    auto const at = random_() % own_.size();
    auto const id = own_[at].second;
    own_.erase(own_.begin() + static_cast<std::ptrdiff_t>(at));
    ++counts_.deletes;
    write(action_frame("delete_message", {{"message_id", id}}));
  } else {
    auto const& messages = views_[chats_[random_() % chats_.size()]].messages();
    if (messages.empty()) return;
    // One of the latest: people react to what they just read.
    auto it = messages.rbegin();
    std::advance(it, static_cast<std::ptrdiff_t>(random_() % std::min<std::size_t>(messages.size(), 30)));
    if (it->second.deleted || it->second.placeholder) return;
    static constexpr char const* emoji[] = {"\xF0\x9F\x91\x8D", "\xE2\x9D\xA4\xEF\xB8\x8F",
                                            "\xF0\x9F\x8E\x89"};
    ++counts_.reactions;
    write(action_frame(random_() % 2 ? "react" : "unreact",
                       {{"message_id", it->first}, {"emoji", emoji[random_() % 3]}}));
  }
}

void chaos_client::drop() {
  if (ws_) ws_->close_now();
}

void chaos_client::freeze(std::chrono::milliseconds d) {
  frozen_until_ = std::chrono::steady_clock::now() + d;
}

chaos_counts total_counts(std::vector<std::shared_ptr<chaos_client>> const& clients) {
  chaos_counts total;
  for (auto const& client : clients) {
    auto const& k = client->counts();
    total.sends += k.sends;
    total.resends += k.resends;
    total.retried += k.retried;
    total.acknowledged += k.acknowledged;
    total.edits += k.edits;
    total.deletes += k.deletes;
    total.reactions += k.reactions;
    total.connections += k.connections;
    total.disconnects += k.disconnects;
    total.slow_closes += k.slow_closes;
    total.resync_reloads += k.resync_reloads;
    total.sync_requests += k.sync_requests;
    total.errors += k.errors;
    total.ack_mismatches += k.ack_mismatches;
  }
  return total;
}

void chaos_client::read_slowly(std::chrono::milliseconds per_frame) { read_delay_ = per_frame; }

bool chaos_client::settled() const {
  // A frozen client is not reading: events still on their way would wait in its socket past the check.
  return ws_ && synced_ && unacked_.empty() && reloads_ == 0 && outbox_.empty() &&
         std::chrono::steady_clock::now() >= frozen_until_;
}

}  // namespace windi::loadgen
