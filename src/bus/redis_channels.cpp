#include "bus/redis_channels.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace windi::redis {
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr duration subscribe_deadline = 2s;

}  // namespace

channels::channels(strand s, std::shared_ptr<client> commands, std::string name)
    : strand_(s), client_(std::move(commands)), name_(std::move(name)), wake_(s) {}

void channels::start(std::vector<std::string> plain, std::function<void()> on_subscribed) {
  plain_ = std::move(plain);
  on_subscribed_ = std::move(on_subscribed);
  asio::co_spawn(strand_, run(shared_from_this()), log_failure{"subscription"});
}

void channels::stop() {
  if (stopped_.exchange(true)) return;
  asio::post(strand_, [self = shared_from_this()] {
    self->wake_.cancel();
    self->close_all();
  });
}

void channels::close_all() {
  up_ = false;
  for (auto& entry : subscribers_) entry.second->close();
  subscribers_.clear();
}

void channels::wake(std::uint64_t round) {
  if (round == round_) wake_.cancel();
}

std::map<channels::node_key, std::vector<std::string>> channels::by_owner(
    std::vector<std::string> sharded) const {
  std::map<node_key, std::vector<std::string>> out;
  for (auto& channel : sharded) {
    auto const owner = client_->slots().master_for(client_->slot_of(channel));
    if (owner) out[{owner->host, owner->port}].push_back(std::move(channel));
  }
  return out;
}

std::shared_ptr<subscriber> channels::subscriber_of(node_key const& owner) const {
  auto found = subscribers_.find(owner);
  return found == subscribers_.end() ? nullptr : found->second;
}

asio::awaitable<void> channels::add(std::vector<std::string> sharded) {
  std::vector<std::string> unconfirmed;
  for (auto& channel : sharded) {
    wanted_.insert(channel);
    unconfirmed.push_back(std::move(channel));
  }
  if (!up_) co_return;
  for (auto& [owner, group] : by_owner(std::move(unconfirmed))) {
    auto s = subscriber_of(owner);
    if (!s || !s->is_open()) co_return;
    auto const& confirmed = s->subscribed(subscriber::mode::sharded);
    std::erase_if(group, [&](std::string const& c) { return confirmed.contains(c); });
    if (group.empty()) continue;
    // A refusal closes the subscriber, and its watcher starts the next round.
    if (!co_await s->subscribe(subscriber::mode::sharded, std::move(group), subscribe_deadline)) {
      client_->suspect();
      co_return;
    }
  }
}

void channels::remove(std::vector<std::string> sharded) {
  for (auto const& channel : sharded) wanted_.erase(channel);
  if (!up_) return;
  for (auto& [owner, group] : by_owner(std::move(sharded))) {
    if (auto s = subscriber_of(owner)) s->unsubscribe(subscriber::mode::sharded, std::move(group));
  }
}

asio::awaitable<bool> channels::subscribe_all() {
  close_all();
  ++round_;
  auto const masters = client_->slots().masters();
  if (masters.empty()) co_return false;
  for (auto const& m : masters) {
    auto s = std::make_shared<subscriber>(strand_, name_ + " " + m.host + ":" + std::to_string(m.port));
    s->on_message(handler_);
    s->one_slot_per_command(client_->is_cluster());
    subscribers_[{m.host, m.port}] = s;
    auto ep = client_->endpoint_of(m);
    if (!co_await s->open(std::move(ep), subscribe_deadline)) {
      if (!complained_)
        spdlog::warn("redis {}: cannot subscribe ({}); retrying with backoff", name_, s->last_error());
      complained_ = true;
      co_return false;
    }
  }
  // A cluster forwards every PUBLISH to every node: one node's subscription hears them all.
  auto first = subscribers_.begin()->second;
  auto plain = plain_;
  if (!co_await first->subscribe(subscriber::mode::plain, std::move(plain), subscribe_deadline))
    co_return false;
  std::vector<std::string> sharded(wanted_.begin(), wanted_.end());
  for (auto& [owner, group] : by_owner(std::move(sharded))) {
    if (!co_await subscriber_of(owner)->subscribe(subscriber::mode::sharded, std::move(group),
                                                  subscribe_deadline))
      co_return false;
  }
  co_return true;
}

asio::awaitable<void> channels::watch(std::shared_ptr<channels> self, std::shared_ptr<subscriber> s,
                                      std::uint64_t round) {
  co_await s->wait_closed();
  self->wake(round);
}

asio::awaitable<void> channels::watch_topology(std::shared_ptr<channels> self, std::uint64_t seen,
                                               std::uint64_t round) {
  co_await self->client_->topology_changed(seen);
  self->wake(round);
}

asio::awaitable<void> channels::run(std::shared_ptr<channels> self) {
  duration backoff = first_backoff;
  while (!stopped_) {
    std::uint64_t const seen = client_->topology();
    if (seen == 0) {
      co_await client_->topology_changed(seen);  // the first slot map
      continue;
    }
    if (!client_->is_up()) {
      // Not every master is reachable (a failover in progress): wait for the client's next round.
      wake_.expires_after(std::min<duration>(backoff, 1s));
      boost::system::error_code ec;
      co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      backoff = std::min(backoff * 2, last_backoff);
      continue;
    }
    if (co_await subscribe_all() && !stopped_) {
      backoff = first_backoff;
      if (complained_) spdlog::info("redis {}: subscribed again on {}", name_, client_->describe());
      complained_ = false;
      up_ = true;
      if (on_subscribed_) on_subscribed_();
      for (auto const& entry : subscribers_)
        asio::co_spawn(strand_, watch(self, entry.second, round_), asio::detached);
      asio::co_spawn(strand_, watch_topology(self, seen, round_), asio::detached);
      // Until a subscriber connection is lost, the topology changes, or stop().
      wake_.expires_at(asio::steady_timer::time_point::max());
      boost::system::error_code ec;
      co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
      close_all();
      continue;
    }
    close_all();
    if (stopped_) break;
    wake_.expires_after(backoff);
    boost::system::error_code ec;
    co_await wake_.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    backoff = std::min(backoff * 2, last_backoff);
  }
  close_all();
}

}  // namespace windi::redis
