// The in-process bus: one server process, no Redis. Delivery goes through a strand so that envelopes reach
// `deliver` one at a time and in publish order, even when several threads run the io_context.
#include "bus/bus.hpp"
#include "bus/bus_stats.hpp"
#include "bus/delivery_target.hpp"
#include "bus/local_presence.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <utility>

namespace windi {
namespace {

namespace asio = boost::asio;

template <class T>
asio::awaitable<T> ready(T value) {
  co_return value;
}

class local_bus final : public bus, public bus_stats_source {
 public:
  explicit local_bus(asio::any_io_executor io) : delivery_(asio::make_strand(std::move(io))) {}

  void on_deliver(std::function<void(envelope)> deliver) override {
    target_ = std::make_shared<delivery_target>(std::move(deliver));
  }
  // Nothing to connect: publishing works from construction, so wiring that forgets start() still delivers.
  void start() override {}
  void stop() override {
    if (target_) target_->stopped = true;
  }

  void publish(envelope e) override {
    if (!target_ || target_->stopped) return;
    e.publication = stamp_publication();
    stats_.published.inc();
    if (e.kind == event_kind::presence) stats_.presence_updates.inc();
    asio::post(delivery_,
               [target = target_, e = std::move(e)]() mutable { deliver_to(target, std::move(e)); });
  }

  // Not coroutines: the counting happens at the call, so no reference parameter is kept past it.
  asio::awaitable<bool> connected(user_id user, std::string const& connection_id) override {
    return ready(presence_.add(user, connection_id));
  }
  asio::awaitable<bool> disconnected(user_id user, std::string const& connection_id) override {
    auto const result = presence_.remove(user, connection_id);
    return ready(result.was_present && result.now_offline);
  }
  asio::awaitable<std::vector<user_id>> online_among(std::vector<user_id> users) override {
    return ready(presence_.online_among(users));
  }

  // One process: it has every chat's events anyway.
  asio::awaitable<void> follow(std::vector<chat_id>) override { co_return; }
  void unfollow(std::vector<chat_id>) override {}
  bool routes_by_chat() const override { return false; }
  void on_gone_offline(std::function<void(std::vector<user_id>)>) override {}
  health_info health() const override { return {"local", true, "in-process"}; }
  bus_stats const& stats() const override { return stats_; }

 private:
  asio::strand<asio::any_io_executor> delivery_;
  std::shared_ptr<delivery_target> target_;
  local_presence presence_;
  bus_stats stats_;
};

}  // namespace

std::unique_ptr<bus> make_local_bus(asio::any_io_executor io) {
  return std::make_unique<local_bus>(std::move(io));
}

}  // namespace windi
