#include "bus/redis_subscriber.hpp"

#include "bus/redis_cluster.hpp"

#include <hiredis/hiredis.h>
#include <hiredis/read.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <iterator>
#include <map>

namespace windi::redis {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {
constexpr auto use_tuple = asio::as_tuple(asio::use_awaitable);
}

struct subscriber::waiter {
  explicit waiter(strand const& s) : timer(s) {}
  enum class kind { subscribe, ping };
  kind type = kind::subscribe;
  mode channels_mode = mode::plain;
  std::set<std::string> pending;  // channels not confirmed yet
  bool done = false;
  bool ok = false;
  asio::steady_timer timer;

  void finish(bool success) {
    done = true;
    ok = success;
    timer.cancel();
  }
};

subscriber::subscriber(strand s, std::string name)
    : strand_(s), name_(std::move(name)), socket_(s), resolver_(s), closed_signal_(s) {
  // Never re-armed: changing the expiry would cancel the waits of wait_closed(), which is the signal itself.
  closed_signal_.expires_at(asio::steady_timer::time_point::max());
}

subscriber::~subscriber() {
  if (reader_ != nullptr) redisReaderFree(reader_);
}

void subscriber::fail(std::string what) { last_error_ = name_ + ": " + std::move(what); }

void subscriber::close() {
  ++generation_;
  bool const was_open = open_;
  open_ = false;
  boost::system::error_code ignored;
  socket_.close(ignored);
  resolver_.cancel();
  outbox_.clear();
  writing_ = false;
  plain_.clear();
  sharded_.clear();
  auto waiting = std::move(waiters_);
  waiters_.clear();
  for (auto& w : waiting) w->finish(false);
  if (was_open) closed_signal_.cancel();
}

asio::awaitable<void> subscriber::wait_closed() {
  if (!open_) co_return;
  boost::system::error_code ec;
  co_await closed_signal_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
}

asio::awaitable<std::optional<reply>> subscriber::read_one(duration deadline) {
  asio::steady_timer watchdog(strand_, deadline);
  std::weak_ptr<subscriber> weak = weak_from_this();
  watchdog.async_wait([weak](boost::system::error_code ec) {
    if (auto self = weak.lock(); self && !ec) {
      boost::system::error_code ignored;
      self->socket_.cancel(ignored);
    }
  });
  std::array<char, 4096> buffer{};
  for (;;) {
    void* raw = nullptr;
    if (redisReaderGetReply(reader_, &raw) != REDIS_OK) break;
    if (raw != nullptr) {
      auto r = convert(*static_cast<redisReply*>(raw));
      freeReplyObject(raw);
      watchdog.cancel();
      co_return r;
    }
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(buffer), use_tuple);
    if (ec) break;
    if (redisReaderFeed(reader_, buffer.data(), n) != REDIS_OK) break;
  }
  watchdog.cancel();
  co_return std::nullopt;
}

asio::awaitable<bool> subscriber::open(endpoint ep, duration deadline) {
  close();
  auto const generation = generation_;
  last_error_.clear();
  if (reader_ != nullptr) redisReaderFree(reader_);
  reader_ = redisReaderCreate();
  if (reader_ == nullptr) {
    fail("out of memory");
    co_return false;
  }

  asio::steady_timer watchdog(strand_, deadline);
  std::weak_ptr<subscriber> weak = weak_from_this();
  watchdog.async_wait([weak](boost::system::error_code ec) {
    if (auto self = weak.lock(); self && !ec) {
      self->resolver_.cancel();
      boost::system::error_code ignored;
      self->socket_.cancel(ignored);
    }
  });
  auto [resolve_ec, found] = co_await resolver_.async_resolve(ep.host, std::to_string(ep.port), use_tuple);
  if (resolve_ec || generation != generation_) {
    fail("cannot resolve " + ep.host + (resolve_ec ? ": " + resolve_ec.message() : std::string()));
    co_return false;
  }
  auto [connect_ec, where] = co_await asio::async_connect(socket_, found, use_tuple);
  watchdog.cancel();
  if (connect_ec || generation != generation_) {
    fail("cannot connect to " + ep.host + ":" + std::to_string(ep.port) +
         (connect_ec ? ": " + connect_ec.message() : std::string()));
    close();
    co_return false;
  }
  (void)where;
  boost::system::error_code ignored;
  socket_.set_option(tcp::no_delay(true), ignored);
  socket_.set_option(asio::socket_base::keep_alive(true), ignored);

  // The handshake is written and read in turn, before anything else uses the connection.
  std::vector<std::vector<std::string>> handshake;
  if (!ep.password.empty()) {
    std::vector<std::string> auth{"AUTH"};
    if (!ep.username.empty()) auth.push_back(ep.username);
    auth.push_back(ep.password);
    handshake.push_back(std::move(auth));
  }
  if (ep.db != 0) handshake.push_back({"SELECT", std::to_string(ep.db)});
  for (auto const& command : handshake) {
    write(command);
    open_ = true;  // lets the queued write go out
    auto answer = co_await read_one(deadline);
    if (generation != generation_ || !answer || answer->type == reply::kind::error) {
      fail(answer ? command.front() + " failed: " + answer->text : "no answer to " + command.front());
      close();
      co_return false;
    }
  }
  open_ = true;
  asio::co_spawn(strand_, read_replies(shared_from_this()), asio::detached);
  co_return true;
}

void subscriber::write(std::vector<std::string> const& args) {
  std::vector<char const*> argv;
  std::vector<std::size_t> lengths;
  for (auto const& a : args) {
    argv.push_back(a.data());
    lengths.push_back(a.size());
  }
  char* formatted = nullptr;
  int const length =
      redisFormatCommandArgv(&formatted, static_cast<int>(argv.size()), argv.data(), lengths.data());
  if (length < 0 || formatted == nullptr) return;
  outbox_.emplace_back(formatted, static_cast<std::size_t>(length));
  redisFreeCommand(formatted);
  if (!writing_) {
    writing_ = true;
    asio::co_spawn(strand_, write_queued(shared_from_this()), asio::detached);
  }
}

asio::awaitable<void> subscriber::write_queued(std::shared_ptr<subscriber> self) {
  auto const generation = generation_;
  while (generation == generation_ && !outbox_.empty()) {
    std::string bytes = std::move(outbox_.front());
    outbox_.pop_front();
    auto [ec, n] = co_await asio::async_write(socket_, asio::buffer(bytes), use_tuple);
    (void)n;
    if (generation != generation_) co_return;
    if (ec) {
      fail("write: " + ec.message());
      close();
      co_return;
    }
  }
  if (generation == generation_) writing_ = false;
  (void)self;
}

asio::awaitable<void> subscriber::read_replies(std::shared_ptr<subscriber> self) {
  auto const generation = generation_;
  std::array<char, 16384> buffer{};
  while (generation == generation_) {
    auto [ec, n] = co_await socket_.async_read_some(asio::buffer(buffer), use_tuple);
    if (generation != generation_) co_return;
    if (ec) {
      fail(ec == asio::error::eof ? "Server closed the connection" : "read: " + ec.message());
      close();
      co_return;
    }
    if (redisReaderFeed(reader_, buffer.data(), n) != REDIS_OK) {
      fail("unreadable reply");
      close();
      co_return;
    }
    for (;;) {
      void* raw = nullptr;
      if (redisReaderGetReply(reader_, &raw) != REDIS_OK) {
        fail("protocol error");
        close();
        co_return;
      }
      if (raw == nullptr) break;
      auto r = convert(*static_cast<redisReply*>(raw));
      freeReplyObject(raw);
      dispatch(r);
      if (generation != generation_) co_return;  // the handler closed the connection
    }
  }
  (void)self;
}

void subscriber::dispatch(reply const& r) {
  auto finish_first = [this](waiter::kind type, bool ok) {
    auto found =
        std::find_if(waiters_.begin(), waiters_.end(), [type](auto const& w) { return w->type == type; });
    if (found == waiters_.end()) return;
    auto w = *found;
    waiters_.erase(found);
    w->finish(ok);
  };
  if (r.type == reply::kind::error) {
    // A refused (S)SUBSCRIBE or (S)UNSUBSCRIBE (say, a MOVED: the slot lives elsewhere now) leaves what this
    // connection hears unknown, and one subscribe may have sent several commands: start over.
    fail(r.text);
    close();
    return;
  }
  if (r.type == reply::kind::status && r.text == "PONG") return finish_first(waiter::kind::ping, true);
  if (r.type != reply::kind::array || r.elements.size() < 2 || r.elements[0].type != reply::kind::string)
    return;
  auto const& kind = r.elements[0].text;
  auto const& channel = r.elements[1].text;
  if ((kind == "message" || kind == "smessage") && r.elements.size() == 3) {
    if (handler_) handler_(channel, r.elements[2].text);
  } else if (kind == "subscribe" || kind == "ssubscribe") {
    mode const m = kind == "subscribe" ? mode::plain : mode::sharded;
    (m == mode::plain ? plain_ : sharded_).insert(channel);
    for (auto it = waiters_.begin(); it != waiters_.end(); ++it) {
      auto& w = **it;
      if (w.type != waiter::kind::subscribe || w.channels_mode != m || w.pending.erase(channel) == 0)
        continue;
      if (w.pending.empty()) {
        auto done = *it;
        waiters_.erase(it);
        done->finish(true);
      }
      break;
    }
  } else if (kind == "unsubscribe" || kind == "sunsubscribe") {
    // Also unasked: a cluster drops a sharded channel whose slot moved to another node.
    (kind == "unsubscribe" ? plain_ : sharded_).erase(channel);
  } else if (kind == "pong") {
    finish_first(waiter::kind::ping, true);
  }
}

asio::awaitable<bool> subscriber::subscribe(mode m, std::vector<std::string> channels, duration deadline) {
  if (!open_) co_return false;
  if (channels.empty()) co_return true;
  auto w = std::make_shared<waiter>(strand_);
  w->type = waiter::kind::subscribe;
  w->channels_mode = m;
  w->pending.insert(channels.begin(), channels.end());
  waiters_.push_back(w);
  write_batched(m == mode::plain ? "SUBSCRIBE" : "SSUBSCRIBE", m, std::move(channels));
  w->timer.expires_after(deadline);
  boost::system::error_code ec;
  co_await w->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (!w->done) {
    // No answer in time: the connection is suspect, and a late answer would be taken for the next command's.
    fail("no confirmation within the deadline");
    close();
    co_return false;
  }
  co_return w->ok;
}

void subscriber::unsubscribe(mode m, std::vector<std::string> channels) {
  if (!open_ || channels.empty()) return;
  write_batched(m == mode::plain ? "UNSUBSCRIBE" : "SUNSUBSCRIBE", m, std::move(channels));
}

void subscriber::write_batched(std::string const& command, mode m, std::vector<std::string> channels) {
  // A cluster takes the sharded channels of one slot per command.
  std::map<int, std::vector<std::string>> by_slot;
  for (auto& channel : channels) {
    int const slot = m == mode::sharded && one_slot_per_command_ ? cluster::key_slot(channel) : 0;
    by_slot[slot].push_back(std::move(channel));
  }
  constexpr std::size_t most_per_command = 1000;
  for (auto& [slot, group] : by_slot) {
    for (std::size_t first = 0; first < group.size(); first += most_per_command) {
      std::vector<std::string> args(1, command);
      auto const last = std::min(group.size(), first + most_per_command);
      std::move(group.begin() + static_cast<std::ptrdiff_t>(first),
                group.begin() + static_cast<std::ptrdiff_t>(last), std::back_inserter(args));
      write(args);
    }
  }
}

asio::awaitable<bool> subscriber::ping(duration deadline) {
  if (!open_) co_return false;
  auto w = std::make_shared<waiter>(strand_);
  w->type = waiter::kind::ping;
  waiters_.push_back(w);
  write({"PING"});
  w->timer.expires_after(deadline);
  boost::system::error_code ec;
  co_await w->timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
  if (!w->done) {
    fail("no answer to PING within the deadline");
    close();
    co_return false;
  }
  co_return w->ok;
}

}  // namespace windi::redis
