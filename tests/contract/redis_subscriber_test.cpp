// The subscriber connection against a real Redis: plain and sharded channels, confirmations, unsubscribing,
// and a Redis that stops or hangs. Runs when WINDI_TEST_REDIS_URL is set (required when CI=true).
#include "bus/redis_subscriber.hpp"
#include "bus/redis_connection.hpp"
#include "contract/bus_support.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_future.hpp>

#include <cstdlib>
#include <mutex>
#include <random>

namespace windi::redis {
namespace {

using namespace windi::testing;
namespace asio = boost::asio;

std::string env(char const* name) {
  char const* value = std::getenv(name);
  return value != nullptr ? value : "";
}

std::string unique(std::string const& what) {
  return "windi-test:" + what + ":" + std::to_string(std::random_device{}());
}

class subscriber_test : public ::testing::Test {
 protected:
  void SetUp() override {
    url_ = env("WINDI_TEST_REDIS_URL");
    if (url_.empty()) {
      if (env("CI") == "true") FAIL() << "WINDI_TEST_REDIS_URL must be set in CI";
      GTEST_SKIP() << "WINDI_TEST_REDIS_URL is not set";
    }
    sub_ = std::make_shared<subscriber>(strand_, "test-subscriber");
    sub_->on_message([this](std::string_view channel, std::string_view payload) {
      std::lock_guard guard(mutex_);
      received_.emplace_back(std::string(channel), std::string(payload));
    });
    publisher_ = std::make_shared<connection>(publisher_strand_, "test-publisher");
  }

  void TearDown() override {
    if (sub_) on_strand(close_both(sub_, publisher_));
    sub_.reset();
    publisher_.reset();
    EXPECT_TRUE(runner_.finish());
  }

  static asio::awaitable<bool> close_both(std::shared_ptr<subscriber> s, std::shared_ptr<connection> p) {
    s->close();
    p->close();
    co_return true;
  }

  template <class T>
  T on_strand(asio::awaitable<T> work) {
    return asio::co_spawn(strand_, std::move(work), asio::use_future).get();
  }

  static asio::awaitable<bool> open_at(std::shared_ptr<subscriber> s, endpoint ep) {
    co_return co_await s->open(std::move(ep), std::chrono::seconds(2));
  }
  static asio::awaitable<bool> subscribe_to(std::shared_ptr<subscriber> s, subscriber::mode m,
                                            std::vector<std::string> channels) {
    co_return co_await s->subscribe(m, std::move(channels), std::chrono::seconds(2));
  }
  static asio::awaitable<long long> publish_with(std::shared_ptr<connection> p, endpoint ep,
                                                 std::string command, std::string channel,
                                                 std::string payload) {
    if (!p->is_open() && !co_await p->open(std::move(ep), std::chrono::seconds(2))) co_return -1;
    std::vector<std::string> args;
    args.push_back(std::move(command));
    args.push_back(std::move(channel));
    args.push_back(std::move(payload));
    auto answer = co_await p->command(std::move(args), std::chrono::seconds(2));
    co_return answer && answer->type == reply::kind::integer ? answer->integer : -1;
  }

  bool open(std::string const& url = {}) {
    return on_strand(open_at(sub_, parse_url(url.empty() ? url_ : url)));
  }
  bool subscribe(subscriber::mode m, std::vector<std::string> channels) {
    return on_strand(subscribe_to(sub_, m, std::move(channels)));
  }
  // How many subscribers got it, as Redis says.
  long long publish(std::string command, std::string channel, std::string payload) {
    return asio::co_spawn(publisher_strand_,
                          publish_with(publisher_, parse_url(url_), std::move(command), std::move(channel),
                                       std::move(payload)),
                          asio::use_future)
        .get();
  }
  bool received(std::string const& channel, std::string const& payload) {
    return eventually([&] {
      std::lock_guard guard(mutex_);
      return std::find(received_.begin(), received_.end(), std::pair{channel, payload}) != received_.end();
    });
  }

  io_runner runner_;
  strand strand_ = asio::make_strand(runner_.executor());
  strand publisher_strand_ = asio::make_strand(runner_.executor());
  std::string url_;
  std::shared_ptr<subscriber> sub_;
  std::shared_ptr<connection> publisher_;
  std::mutex mutex_;
  std::vector<std::pair<std::string, std::string>> received_;
};

TEST_F(subscriber_test, plain_and_sharded_channels_on_one_connection) {
  ASSERT_TRUE(open());
  auto const events = unique("events");
  auto const chat1 = unique("chat:{1}");
  auto const chat2 = unique("chat:{2}");
  ASSERT_TRUE(subscribe(subscriber::mode::plain, {events}));
  ASSERT_TRUE(subscribe(subscriber::mode::sharded, {chat1, chat2}));
  EXPECT_EQ(sub_->subscribed(subscriber::mode::sharded).size(), 2u);
  EXPECT_EQ(publish("PUBLISH", events, "hello"), 1);
  EXPECT_EQ(publish("SPUBLISH", chat1, std::string("bin\0ary\r\n", 9)), 1);
  EXPECT_EQ(publish("SPUBLISH", chat2, "two"), 1);
  EXPECT_TRUE(received(events, "hello"));
  EXPECT_TRUE(received(chat1, std::string("bin\0ary\r\n", 9)));
  EXPECT_TRUE(received(chat2, "two"));
  EXPECT_EQ(publish("SPUBLISH", unique("chat:{3}"), "nobody"), 0)
      << "a channel nobody follows reaches nobody";
}

TEST_F(subscriber_test, unsubscribed_channels_stop_arriving) {
  ASSERT_TRUE(open());
  auto const chat = unique("chat:{4}");
  ASSERT_TRUE(subscribe(subscriber::mode::sharded, {chat}));
  on_strand([](std::shared_ptr<subscriber> s, std::string c) -> asio::awaitable<bool> {
    s->unsubscribe(subscriber::mode::sharded, {c});
    co_return true;
  }(sub_, chat));
  EXPECT_TRUE(eventually([&] { return publish("SPUBLISH", chat, "late") == 0; }));
  EXPECT_TRUE(eventually([&] { return sub_->subscribed(subscriber::mode::sharded).empty(); }));
}

TEST_F(subscriber_test, a_stopped_redis_closes_the_connection_and_a_hung_one_misses_the_deadline) {
  redis_process redis;
  ASSERT_TRUE(open(redis.url()));
  EXPECT_TRUE(on_strand([](std::shared_ptr<subscriber> s) -> asio::awaitable<bool> {
    co_return co_await s->ping(std::chrono::seconds(1));
  }(sub_)));
  redis.freeze();
  auto const started = steady::now();
  EXPECT_FALSE(subscribe(subscriber::mode::plain, {"x"})) << "no confirmation from a hung Redis";
  EXPECT_LT(steady::now() - started, 3s);
  EXPECT_FALSE(sub_->is_open()) << "a connection that missed a deadline is not trusted again";
  redis.thaw();
  ASSERT_TRUE(open(redis.url())) << "reusable";
  ASSERT_TRUE(subscribe(subscriber::mode::plain, {"x"}));
  redis.stop();
  EXPECT_TRUE(eventually([&] { return !sub_->is_open(); }));
  EXPECT_FALSE(open(redis.url())) << "nothing listens";
  EXPECT_FALSE(sub_->last_error().empty());
}

}  // namespace
}  // namespace windi::redis
