// The Redis bus, on a single node or a Redis Cluster alike. Per process: a redis::client for PUBLISH,
// SPUBLISH and presence (one connection per master), and redis::channels for what this process hears: the
// channel
// "<prefix>:events" of every process, and the sharded channel of each chat it follows (one subscriber
// connection per master, never one per user or connection). Local delivery never depends on Redis: a
// publish is handed to this process's `deliver` at once, and the echo of our own message coming back from
// Redis is recognised by its origin id and ignored.
#include "bus/bus.hpp"
#include "bus/bus_stats.hpp"
#include "bus/delivery_target.hpp"
#include "bus/local_presence.hpp"
#include "bus/redis_channels.hpp"
#include "bus/redis_client.hpp"
#include "bus/redis_scripts.hpp"
#include "bus/wire.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <deque>
#include <map>
#include <random>
#include <unordered_map>

namespace windi {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using std::chrono::milliseconds;

constexpr redis::duration presence_deadline = 1s;
// Cross-process copies queued for the strand, and commands hiredis has not had answered; past either, the
// copy is dropped (this process still delivers locally; other processes' clients resume from the store).
constexpr std::size_t max_unsent = 10'000;
// Our own publishes awaiting their echo, to time the Redis hop; older ones are forgotten (their echo was
// lost).
constexpr std::size_t max_awaiting_echo = 4096;

std::uint64_t random_origin() {
  std::random_device seed;
  return (std::uint64_t{seed()} << 32) ^ seed();
}

class redis_core : public std::enable_shared_from_this<redis_core> {
 public:
  redis_core(std::vector<redis::endpoint> seeds, asio::any_io_executor io, redis_bus_options options)
      : options_(std::move(options)),
        channel_(options_.key_prefix + ":events"),
        ttl_ms_(std::to_string(options_.presence_ttl.count())),
        connect_script_(std::string(redis_scripts::now_ms) + redis_scripts::connect),
        disconnect_script_(std::string(redis_scripts::now_ms) + redis_scripts::disconnect),
        refresh_script_(std::string(redis_scripts::now_ms) + redis_scripts::refresh),
        count_script_(std::string(redis_scripts::now_ms) + redis_scripts::count),
        register_script_(std::string(redis_scripts::now_ms) + redis_scripts::register_process),
        claim_script_(std::string(redis_scripts::now_ms) + redis_scripts::claim_lost_processes),
        replace_users_script_(redis_scripts::replace_users),
        origin_(random_origin()),
        process_id_(std::to_string(origin_)),
        processes_key_(options_.key_prefix + ":processes"),
        // A process outlives its connections in the registry, so that when it is found lost they are gone.
        process_lifetime_ms_(std::to_string((options_.presence_ttl + std::chrono::seconds(1)).count())),
        users_lifetime_ms_(std::to_string((options_.presence_ttl * 3).count())),
        delivery_(asio::make_strand(io)),
        strand_(asio::make_strand(io)),
        refresh_timer_(strand_),
        commands_(std::make_shared<redis::client>(strand_, std::move(seeds), "bus")),
        channels_(std::make_shared<redis::channels>(strand_, commands_, "bus subscriber")) {
    channels_->on_message([this](std::string_view, std::string_view payload) { on_message(payload); });
  }

  void on_gone_offline(std::function<void(std::vector<user_id>)> handler) {
    gone_offline_ = std::move(handler);
  }

  void on_deliver(std::function<void(envelope)> deliver) {
    target_ = std::make_shared<delivery_target>(std::move(deliver));
  }

  void start() {
    std::weak_ptr<redis_core> weak = weak_from_this();
    // Presence is written again after every reconnect: a restarted Redis lost it.
    commands_->start([weak] {
      if (auto self = weak.lock()) {
        // Publishes on their way when the connection broke may never have reached Redis. And a process that
        // starts may replace one that was killed between storing changes and publishing them: either way the
        // other processes' connections resync.
        if (self->published_before_) self->stats_.reconnects.inc();
        self->owe_missed_notice_ = true;
        self->published_before_ = true;
        self->refresh_presence();
        self->send_missed_notice_if_owed();
      }
    });
    std::vector<std::string> everyone(1, channel_);
    channels_->start(std::move(everyone), [weak] {
      if (auto self = weak.lock()) {
        if (self->subscribed_before_) {
          self->stats_.reconnects.inc();
          // Whatever was published while the subscription was down never reached this process.
          self->deliver_missed();
        }
        self->subscribed_before_ = true;
        spdlog::info("bus: subscribed to {} on {}", self->channel_, self->commands_->describe());
      }
    });
    asio::co_spawn(strand_, run_refresher(shared_from_this()), redis::log_failure{"bus presence refresh"});
  }

  void stop() {
    if (stopped_.exchange(true)) return;
    if (target_) target_->stopped = true;
    asio::post(strand_, [self = shared_from_this()] { self->shut_down(); });
  }

  void publish(envelope e) {
    if (stopped_ || !target_) return;
    e.publication = stamp_publication();
    stats_.published.inc();
    if (e.kind == event_kind::presence) stats_.presence_updates.inc();
    if (unsent_.fetch_add(1) < max_unsent) {
      chat_id const by_chat = routed_by_chat(e) ? e.chat : 0;
      asio::post(strand_, [self = shared_from_this(), bytes = wire::encode(e, origin_), by_chat] {
        self->send(bytes, by_chat);
      });
    } else {
      --unsent_;
      count_drop();
    }
    asio::post(delivery_,
               [target = target_, e = std::move(e)]() mutable { deliver_to(target, std::move(e)); });
  }

  asio::awaitable<void> follow(std::shared_ptr<redis_core> self, std::vector<chat_id> chats) {
    auto& strand = self->strand_;
    co_await asio::co_spawn(strand, self->follow_here(self, std::move(chats)), asio::use_awaitable);
  }

  void unfollow(std::vector<chat_id> chats) {
    asio::post(strand_,
               [self = shared_from_this(), chats = std::move(chats)] { self->unfollow_here(chats); });
  }

  asio::awaitable<bool> connected(std::shared_ptr<redis_core> self, user_id user, std::string id) {
    bool const first_here = presence_.add(user, id);
    if (first_here) note_user_here(user, true);
    auto op = self->commands_->command(presence_args(connect_script_, user, id, true), presence_deadline);
    auto answer = co_await asio::co_spawn(strand_, std::move(op), asio::use_awaitable);
    if (auto counts = redis::two_integers(answer))
      co_return first_here && counts->first == 1 && counts->second == 1;
    co_return first_here;
  }

  asio::awaitable<bool> disconnected(std::shared_ptr<redis_core> self, user_id user, std::string id) {
    auto const here = presence_.remove(user, id);
    if (here.was_present && here.now_offline) note_user_here(user, false);
    auto op = self->commands_->command(presence_args(disconnect_script_, user, id, false), presence_deadline);
    auto answer = co_await asio::co_spawn(strand_, std::move(op), asio::use_awaitable);
    if (auto counts = redis::two_integers(answer)) {
      co_return here.now_offline && counts->second == 0 && (counts->first == 1 || here.was_present);
    }
    bool const gone_here = here.was_present && here.now_offline;
    co_return gone_here;
  }

  asio::awaitable<std::vector<user_id>> online_among(std::shared_ptr<redis_core> self,
                                                     std::vector<user_id> users) {
    if (users.empty()) co_return users;
    auto& strand = self->strand_;
    co_return co_await asio::co_spawn(strand, self->online_here(self, std::move(users)), asio::use_awaitable);
  }

  bus_stats const& stats() const { return stats_; }

  bus::health_info health() const {
    bus::health_info info;
    info.backend = "redis";
    info.ok = commands_->is_up() && channels_->is_up();
    std::string const where = commands_->describe();
    info.detail =
        info.ok ? "connected to " + where : "reconnecting to " + where + ": " + commands_->last_error();
    return info;
  }

 private:
  std::string chat_channel(chat_id chat) const {
    return options_.key_prefix + ":chat:{" + std::to_string(chat) + "}";
  }

  // On the strand. Waits for the channels not confirmed yet, those another follow asked for included.
  asio::awaitable<void> follow_here(std::shared_ptr<redis_core> self, std::vector<chat_id> chats) {
    std::vector<std::string> channels;
    for (chat_id chat : chats) {
      ++followed_[chat];
      channels.push_back(chat_channel(chat));
    }
    // While Redis is away there is nothing to wait for: every followed chat is subscribed when it is back,
    // and clients close the gap with sync.
    co_await self->channels_->add(std::move(channels));
  }

  void unfollow_here(std::vector<chat_id> const& chats) {
    std::vector<std::string> dropped;
    for (chat_id chat : chats) {
      auto found = followed_.find(chat);
      if (found == followed_.end()) continue;
      if (--found->second > 0) continue;
      followed_.erase(found);
      dropped.push_back(chat_channel(chat));
    }
    channels_->remove(std::move(dropped));
  }

  std::string presence_key(user_id user) const {
    return options_.key_prefix + ":presence:" + std::to_string(user);
  }

  std::vector<std::string> presence_args(std::string const& script, user_id user, std::string id,
                                         bool ttl) const {
    std::vector<std::string> args;
    args.push_back("EVAL");
    args.push_back(script);
    args.push_back("1");
    args.push_back(presence_key(user));
    args.push_back(std::move(id));
    if (ttl) args.push_back(ttl_ms_);
    return args;
  }

  std::vector<std::string> count_args(std::vector<user_id> const& users) const {
    std::vector<std::string> args;
    args.push_back("EVAL");
    args.push_back(count_script_);
    args.push_back(std::to_string(users.size()));
    for (user_id user : users) args.push_back(presence_key(user));
    return args;
  }

  // On the strand. One script per slot: a cluster runs a script only on keys of one slot (a single node:
  // one script for all).
  asio::awaitable<std::vector<user_id>> online_here(std::shared_ptr<redis_core> self,
                                                    std::vector<user_id> users) {
    std::map<int, std::vector<user_id>> by_slot;
    for (user_id user : users) by_slot[commands_->slot_of(presence_key(user))].push_back(user);
    std::vector<user_id> online;
    for (auto const& [slot, group] : by_slot) {
      auto answer = co_await commands_->command(count_args(group), presence_deadline);
      auto here = merge_online(group, answer);
      online.insert(online.end(), here.begin(), here.end());
    }
    std::vector<user_id> ordered;
    for (user_id user : users) {
      if (std::find(online.begin(), online.end(), user) != online.end()) ordered.push_back(user);
    }
    (void)self;
    co_return ordered;
  }

  // Redis's answer, plus whoever is connected here (Redis may have lost them in a restart until the next
  // refresh); this process's own count alone when Redis did not answer.
  std::vector<user_id> merge_online(std::vector<user_id> const& users,
                                    std::optional<redis::reply> const& answer) const {
    auto here = presence_.online_among(users);
    if (!answer || answer->type != redis::reply::kind::array || answer->elements.size() != users.size()) {
      return here;
    }
    std::vector<user_id> online;
    for (std::size_t i = 0; i < users.size(); ++i) {
      bool const remote =
          answer->elements[i].type == redis::reply::kind::integer && answer->elements[i].integer > 0;
      if (remote || std::find(here.begin(), here.end(), users[i]) != here.end()) online.push_back(users[i]);
    }
    return online;
  }

  // `by_chat`: the chat whose channel carries it (SPUBLISH), or 0 for the channel of every process.
  void send(std::string const& bytes, chat_id by_chat) {
    --unsent_;
    std::string const channel = by_chat != 0 ? chat_channel(by_chat) : channel_;
    if (commands_->unanswered(channel) >= max_unsent) {
      count_drop();
      return;
    }
    std::vector<std::string_view> args{by_chat != 0 ? "SPUBLISH" : "PUBLISH", channel, bytes};
    if (!commands_->send(args)) {
      count_drop();
      return;
    }
    send_missed_notice_if_owed();
    // Only what comes back to us: a chat's events do while this process follows the chat.
    if (by_chat != 0 && !followed_.contains(by_chat)) return;
    if (awaiting_echo_.size() >= max_awaiting_echo) awaiting_echo_.pop_front();
    awaiting_echo_.push_back({std::hash<std::string_view>{}(bytes), std::chrono::steady_clock::now()});
  }

  // Our own message came back: how long the hop through Redis took. Echoes arrive in publish order, so the
  // entries before the match are publishes whose echo was lost.
  void time_echo(std::string_view payload) {
    auto const h = std::hash<std::string_view>{}(payload);
    while (!awaiting_echo_.empty()) {
      auto const sent = awaiting_echo_.front();
      awaiting_echo_.pop_front();
      if (sent.hash == h) {
        stats_.delivery_lag_seconds.observe(
            std::chrono::duration<double>(std::chrono::steady_clock::now() - sent.at).count());
        return;
      }
    }
  }

  // On the strand. After this process dropped cross-process copies, once Redis takes commands again: tells
  // every other process that some of its events never came, so that their connections resync.
  void send_missed_notice_if_owed() {
    if (!owe_missed_notice_.exchange(false)) return;
    envelope notice;
    notice.kind = event_kind::events_missed;
    std::string const bytes = wire::encode(notice, origin_);
    std::vector<std::string_view> args{"PUBLISH", channel_, bytes};
    if (!commands_->send(args)) {
      owe_missed_notice_ = true;
      return;
    }
    stats_.missed_notices.inc();
  }

  // On the strand: this process's own connections resync.
  void deliver_missed() {
    if (!target_ || target_->stopped) return;
    stats_.missed_notices.inc();
    envelope notice;
    notice.kind = event_kind::events_missed;
    asio::post(delivery_, [target = target_, notice = std::move(notice)]() mutable {
      deliver_to(target, std::move(notice));
    });
  }

  void count_drop() {
    owe_missed_notice_ = true;
    stats_.dropped.inc();
    if (dropped_.fetch_add(1) % 1000 == 0) {
      spdlog::warn("bus: Redis is unreachable or not keeping up; cross-process copies dropped so far: {}",
                   dropped_.load());
    }
  }

  void on_message(std::string_view payload) {
    auto decoded = wire::decode(payload);
    if (!decoded) {
      spdlog::warn("bus: ignored a malformed message on {} ({} bytes)", channel_, payload.size());
      return;
    }
    if (decoded->origin == origin_) {
      time_echo(payload);
      return;
    }
    if (!target_ || target_->stopped) return;
    stats_.received.inc();
    asio::post(delivery_, [target = target_, e = std::move(decoded->message)]() mutable {
      deliver_to(target, std::move(e));
    });
  }

  // Keeps this process's connections alive in Redis.
  asio::awaitable<void> run_refresher(std::shared_ptr<redis_core> self) {
    while (!stopped_) {
      refresh_timer_.expires_after(options_.presence_refresh);
      boost::system::error_code ec;
      co_await refresh_timer_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      if (stopped_) break;
      refresh_presence();
      co_await reap_lost_processes();
    }
    (void)self;
  }

  std::string users_key(std::string_view process) const {
    return options_.key_prefix + ":process:{" + std::string(process) + "}:users";
  }

  // Which users have connections here, for whoever reaps this process if it is lost.
  void note_user_here(user_id user, bool here) {
    asio::post(strand_, [self = shared_from_this(), user, here] {
      std::string const key = self->users_key(self->process_id_);
      std::string const member = std::to_string(user);
      std::vector<std::string_view> args{here ? "SADD" : "SREM", key, member};
      self->commands_->send(args);
    });
  }

  // On the strand. Claims the processes that stopped refreshing their place in the registry (each is
  // claimed by one survivor only) and announces those of their users who are connected nowhere now.
  asio::awaitable<void> reap_lost_processes() {
    auto claimed = co_await commands_->command(claim_args(), presence_deadline);
    if (!claimed || claimed->type != redis::reply::kind::array) co_return;
    bool found_lost = false;
    for (auto const& lost : claimed->elements) {
      if (lost.type == redis::reply::kind::string && lost.text != process_id_) found_lost = true;
    }
    if (found_lost) {
      // A lost process may have died between storing changes and publishing them (if it was restarted, its
      // successor said so already; if not, this is the only word of it): every connection resyncs, once for
      // however many were found.
      deliver_missed();
      owe_missed_notice_ = true;
      send_missed_notice_if_owed();
    }
    for (auto const& lost : claimed->elements) {
      if (lost.type != redis::reply::kind::string || lost.text == process_id_) continue;
      auto members = co_await commands_->command(members_args(users_key(lost.text)), presence_deadline);
      if (!members || members->type != redis::reply::kind::array) continue;
      std::vector<user_id> users;
      for (auto const& m : members->elements) {
        if (m.type == redis::reply::kind::string) users.push_back(std::strtoll(m.text.c_str(), nullptr, 10));
      }
      std::string const key = users_key(lost.text);
      std::vector<std::string_view> forget{"DEL", key};
      commands_->send(forget);
      if (users.empty()) continue;
      auto online = co_await online_here(shared_from_this(), users);
      std::erase_if(users,
                    [&](user_id u) { return std::find(online.begin(), online.end(), u) != online.end(); });
      spdlog::info("bus: a server process stopped without saying goodbye; {} of its users are offline now",
                   users.size());
      if (!users.empty() && gone_offline_) gone_offline_(std::move(users));
    }
  }

  std::vector<std::string> claim_args() const {
    std::vector<std::string> args;
    args.push_back("EVAL");
    args.push_back(claim_script_);
    args.push_back("1");
    args.push_back(processes_key_);
    return args;
  }

  static std::vector<std::string> members_args(std::string key) {
    std::vector<std::string> args;
    args.push_back("SMEMBERS");
    args.push_back(std::move(key));
    return args;
  }

  void refresh_presence() {
    std::vector<std::string> users;
    for (auto const& [user, ids] : presence_.snapshot()) {
      std::string const key = presence_key(user);
      std::vector<std::string_view> args{"EVAL", refresh_script_, "1", key, ttl_ms_};
      args.insert(args.end(), ids.begin(), ids.end());
      commands_->send(args);
      users.push_back(std::to_string(user));
    }
    // After the connections: the registry says this process lives on, and whom it serves.
    std::string const key = users_key(process_id_);
    std::vector<std::string_view> replace{"EVAL", replace_users_script_, "1", key, users_lifetime_ms_};
    replace.insert(replace.end(), users.begin(), users.end());
    commands_->send(replace);
    std::vector<std::string_view> alive{"EVAL",         register_script_, "1",
                                        processes_key_, process_id_,      process_lifetime_ms_};
    commands_->send(alive);
  }

  void shut_down() {
    refresh_timer_.cancel();
    channels_->stop();
    commands_->stop();
  }

  redis_bus_options const options_;
  std::string const channel_;
  std::string const ttl_ms_;
  std::string const connect_script_, disconnect_script_, refresh_script_, count_script_;
  std::string const register_script_, claim_script_, replace_users_script_;
  std::uint64_t const origin_;  // tags our messages, to recognise their echo
  std::string const process_id_, processes_key_, process_lifetime_ms_, users_lifetime_ms_;
  std::function<void(std::vector<user_id>)> gone_offline_;
  bus_stats stats_;
  struct sent_message {
    std::size_t hash;
    std::chrono::steady_clock::time_point at;
  };
  std::deque<sent_message> awaiting_echo_;                     // on strand_
  std::unordered_map<chat_id, int> followed_;                  // on strand_: follows per chat
  bool subscribed_before_ = false, published_before_ = false;  // on strand_
  std::shared_ptr<delivery_target> target_;
  local_presence presence_;
  std::atomic<bool> stopped_{false};
  std::atomic<std::size_t> unsent_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::atomic<bool> owe_missed_notice_{false};  // copies were dropped since the last events_missed went out
  // Serialises deliveries, so `deliver` is never called twice at once and sees each publisher's order.
  asio::strand<asio::any_io_executor> delivery_;
  // Everything Redis: the connections, their callbacks, the supervisors and the timers.
  redis::strand strand_;
  asio::steady_timer refresh_timer_;
  // Last, so that they are closed (and their callbacks run) while everything above still exists.
  std::shared_ptr<redis::client> commands_;
  std::shared_ptr<redis::channels> channels_;
};

class redis_bus final : public bus, public bus_stats_source {
 public:
  redis_bus(std::vector<redis::endpoint> seeds, asio::any_io_executor io, redis_bus_options options)
      : core_(std::make_shared<redis_core>(std::move(seeds), std::move(io), std::move(options))) {}
  ~redis_bus() override { core_->stop(); }

  void on_deliver(std::function<void(envelope)> deliver) override { core_->on_deliver(std::move(deliver)); }
  void on_gone_offline(std::function<void(std::vector<user_id>)> handler) override {
    core_->on_gone_offline(std::move(handler));
  }
  void start() override { core_->start(); }
  void stop() override { core_->stop(); }
  void publish(envelope e) override { core_->publish(std::move(e)); }
  asio::awaitable<void> follow(std::vector<chat_id> chats) override {
    return core_->follow(core_, std::move(chats));
  }
  void unfollow(std::vector<chat_id> chats) override { core_->unfollow(std::move(chats)); }
  bool routes_by_chat() const override { return true; }
  // Not coroutines themselves: the id is copied into the core's coroutine before the caller's string can go.
  asio::awaitable<bool> connected(user_id user, std::string const& connection_id) override {
    return core_->connected(core_, user, connection_id);
  }
  asio::awaitable<bool> disconnected(user_id user, std::string const& connection_id) override {
    return core_->disconnected(core_, user, connection_id);
  }
  asio::awaitable<std::vector<user_id>> online_among(std::vector<user_id> users) override {
    return core_->online_among(core_, std::move(users));
  }
  health_info health() const override { return core_->health(); }
  bus_stats const& stats() const override { return core_->stats(); }

 private:
  std::shared_ptr<redis_core> core_;
};

}  // namespace

std::unique_ptr<bus> make_redis_bus(std::string redis_url, asio::any_io_executor io,
                                    redis_bus_options options) {
  auto seeds = redis::parse_seeds(redis_url);
  return std::make_unique<redis_bus>(std::move(seeds), std::move(io), std::move(options));
}

}  // namespace windi
