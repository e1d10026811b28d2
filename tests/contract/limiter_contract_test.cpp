// One contract over every limiter: the in-process one, and the one shared through Redis, on a single node
// and on a Redis Cluster (two instances stand for two server processes). Redis runs only when
// WINDI_TEST_REDIS_URL is set (required when CI=true).
#include "bus/redis_limiter.hpp"
#include "contract/bus_support.hpp"
#include "contract/redis_cluster_support.hpp"
#include "core/limiter.hpp"

#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

namespace windi {
namespace {

using namespace windi::testing;
using std::chrono::seconds;

std::string env(char const* name) {
  char const* value = std::getenv(name);
  return value != nullptr ? value : "";
}

limiter_settings test_settings() {
  limiter_settings s;
  s.login.account_free_failures = 3;
  s.login.address_free_failures = 6;
  s.login.first_delay = seconds(10);
  s.login.max_delay = seconds(40);
  for (auto& bucket : s.buckets) bucket = {.burst = 3, .per_second = 1.0 / 60};
  return s;
}

class limiter_contract : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (shared()) {
      url_ = env("WINDI_TEST_REDIS_URL");
      if (url_.empty()) {
        if (env("CI") == "true") FAIL() << "WINDI_TEST_REDIS_URL must be set in CI";
        GTEST_SKIP() << "WINDI_TEST_REDIS_URL is not set";
      }
      if (GetParam() == "cluster") url_ = redis_cluster::shared().urls();
    }
    // Keys of our own: other tests and servers may share this Redis.
    options_.key_prefix = "windi-test-" + std::to_string(std::random_device{}());
  }

  void TearDown() override {
    for (auto& l : limiters_) l->stop();
    limiters_.clear();
    EXPECT_TRUE(runner_.finish()) << "the io_context still had work after every limiter stopped";
  }

  bool shared() const { return GetParam() != "local"; }
  bool single_node() const { return GetParam() == "redis"; }

  // A limiter ("a server process"), connected.
  limiter& add(std::string const& url = {}, bool wait_connected = true) {
    std::unique_ptr<limiter> l = shared() ? make_redis_limiter(url.empty() ? url_ : url, runner_.executor(),
                                                               test_settings(), clock_, options_)
                                          : std::make_unique<local_limiter>(test_settings(), clock_);
    l->start();
    if (wait_connected) {
      EXPECT_TRUE(eventually([&] { return l->connected(); }));
    }
    limiters_.push_back(std::move(l));
    return *limiters_.back();
  }

  limiter::wait take(limiter& l, bucket_kind kind, std::string key) {
    return await_on(runner_, l.take(kind, std::move(key)));
  }
  limiter::wait locked(limiter& l, std::string user, std::string address) {
    return await_on(runner_, l.login_locked(std::move(user), std::move(address)));
  }
  void fail_login(limiter& l, std::string user, std::string address) {
    await_on(runner_, l.login_failed(std::move(user), std::move(address)));
  }
  void succeed_login(limiter& l, std::string user, std::string address) {
    await_on(runner_, l.login_succeeded(std::move(user), std::move(address)));
  }

  io_runner runner_;
  system_clock clock_;
  std::string url_;
  redis_limiter_options options_;
  std::vector<std::unique_ptr<limiter>> limiters_;
};

TEST_P(limiter_contract, a_bucket_gives_its_burst_then_says_how_long_to_wait) {
  limiter& l = add();
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(take(l, bucket_kind::send, "42")) << i;
  auto wait = take(l, bucket_kind::send, "42");
  ASSERT_TRUE(wait);
  EXPECT_GE(wait->count(), 59);
  EXPECT_LE(wait->count(), 60);
  EXPECT_FALSE(take(l, bucket_kind::send, "43")) << "another user has a bucket of their own";
  EXPECT_FALSE(take(l, bucket_kind::read, "42")) << "another kind has a bucket of its own";
}

TEST_P(limiter_contract, failed_logins_lock_the_account_from_that_address_only) {
  limiter& l = add();
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(locked(l, "alice", "10.0.0.1"));
    fail_login(l, "alice", "10.0.0.1");
  }
  EXPECT_FALSE(locked(l, "alice", "10.0.0.1")) << "three failures are free";
  fail_login(l, "alice", "10.0.0.1");
  auto wait = locked(l, "alice", "10.0.0.1");
  ASSERT_TRUE(wait);
  EXPECT_GE(wait->count(), 9);
  EXPECT_LE(wait->count(), 10);
  EXPECT_TRUE(locked(l, "ALICE", "10.0.0.1")) << "usernames are matched without case";
  EXPECT_FALSE(locked(l, "bob", "10.0.0.1"));
  EXPECT_FALSE(locked(l, "alice", "10.0.0.2"));
  fail_login(l, "alice", "10.0.0.1");
  EXPECT_GE(locked(l, "alice", "10.0.0.1")->count(), 19) << "the delay doubles";
}

TEST_P(limiter_contract, an_address_guessing_many_accounts_is_locked_as_a_whole) {
  limiter& l = add();
  for (int i = 0; i < 7; ++i) fail_login(l, "user" + std::to_string(i), "10.0.0.9");
  EXPECT_TRUE(locked(l, "someone-new", "10.0.0.9"));
  EXPECT_FALSE(locked(l, "someone-new", "10.0.0.8"));
}

TEST_P(limiter_contract, a_correct_password_clears_the_accounts_count) {
  limiter& l = add();
  for (int i = 0; i < 3; ++i) fail_login(l, "carol", "10.0.0.3");
  succeed_login(l, "carol", "10.0.0.3");
  for (int i = 0; i < 3; ++i) fail_login(l, "carol", "10.0.0.3");
  EXPECT_FALSE(locked(l, "carol", "10.0.0.3")) << "three failures since the success";
}

TEST_P(limiter_contract, connection_places_up_to_the_cap_and_back_when_released) {
  limiter& l = add();
  auto admit = [&](std::string key, std::string id) {
    return await_on(runner_, l.admit_connection(std::move(key), std::move(id), 2));
  };
  EXPECT_TRUE(admit("user:1", "a"));
  EXPECT_TRUE(admit("user:1", "b"));
  EXPECT_FALSE(admit("user:1", "c")) << "a third connection";
  EXPECT_TRUE(admit("user:2", "c")) << "another key has places of its own";
  l.release_connection("user:1", "a");
  EXPECT_TRUE(eventually([&] {
    bool in = admit("user:1", "d");
    if (in) l.release_connection("user:1", "d");
    return in;
  })) << "a released place is free again";
}

TEST_P(limiter_contract, processes_share_buckets_and_login_counts) {
  if (!shared()) GTEST_SKIP() << "one process only";
  limiter& a = add();
  limiter& b = add();
  EXPECT_FALSE(take(a, bucket_kind::registration, "192.0.2.7"));
  EXPECT_FALSE(take(b, bucket_kind::registration, "192.0.2.7"));
  EXPECT_FALSE(take(a, bucket_kind::registration, "192.0.2.7"));
  EXPECT_TRUE(take(b, bucket_kind::registration, "192.0.2.7")) << "the third used the address's last token";
  EXPECT_TRUE(take(a, bucket_kind::registration, "192.0.2.7"));

  fail_login(a, "dave", "10.0.0.4");
  fail_login(b, "dave", "10.0.0.4");
  fail_login(a, "dave", "10.0.0.4");
  fail_login(b, "dave", "10.0.0.4");
  EXPECT_TRUE(locked(a, "dave", "10.0.0.4")) << "four failures across the processes lock";
  EXPECT_TRUE(locked(b, "dave", "10.0.0.4"));
  succeed_login(b, "dave", "10.0.0.4");
  EXPECT_FALSE(locked(b, "dave", "10.0.0.4"));

  EXPECT_TRUE(await_on(runner_, a.admit_connection("user:3", "a1", 2)));
  EXPECT_TRUE(await_on(runner_, b.admit_connection("user:3", "b1", 2)));
  EXPECT_FALSE(await_on(runner_, a.admit_connection("user:3", "a2", 2))) << "the cap counts both processes";
  EXPECT_FALSE(await_on(runner_, b.admit_connection("user:3", "b2", 2)));
  b.release_connection("user:3", "b1");
  EXPECT_TRUE(eventually([&] {
    bool in = await_on(runner_, a.admit_connection("user:3", "a3", 2));
    if (in) a.release_connection("user:3", "a3");
    return in;
  })) << "a place released on one process is free on the other";
}

TEST_P(limiter_contract, buckets_on_the_way_of_a_message_are_shared_within_a_round_trip) {
  if (!shared()) GTEST_SKIP() << "one process only";
  limiter& a = add();
  limiter& b = add();
  // Sends answer at once; the shared count follows a moment later and refuses what comes after it. (The
  // pauses let each count reach Redis in this order.)
  EXPECT_FALSE(take(a, bucket_kind::send, "8"));
  EXPECT_FALSE(take(a, bucket_kind::send, "8"));
  std::this_thread::sleep_for(200ms);
  EXPECT_FALSE(take(b, bucket_kind::send, "8")) << "the shared bucket's last token";
  std::this_thread::sleep_for(200ms);
  auto refused = take(b, bucket_kind::send, "8");
  ASSERT_TRUE(refused) << "the user's three sends emptied the shared bucket, though b's own still has two";
  EXPECT_GE(refused->count(), 1);
  EXPECT_FALSE(take(a, bucket_kind::send, "8")) << "a had not heard yet: one more goes through there";
  EXPECT_FALSE(take(b, bucket_kind::send, "9")) << "another user";
  EXPECT_FALSE(take(b, bucket_kind::read, "8")) << "another kind";
}

TEST_P(limiter_contract, the_places_of_a_process_that_died_expire_by_themselves) {
  if (!shared()) GTEST_SKIP() << "one process only";
  options_.place_lifetime = 1s;
  options_.place_refresh = 200ms;
  limiter& survivor = add();
  limiter& doomed = add();
  EXPECT_TRUE(await_on(runner_, doomed.admit_connection("user:5", "d1", 1)));
  std::this_thread::sleep_for(1500ms);
  EXPECT_FALSE(await_on(runner_, survivor.admit_connection("user:5", "s1", 1)))
      << "a live process keeps its places past their lifetime";
  doomed.stop();  // its places are never released, as when the process is killed
  EXPECT_TRUE(
      eventually([&] { return await_on(runner_, survivor.admit_connection("user:5", "s1", 1)); }, 3s));
}

TEST_P(limiter_contract, without_redis_each_process_still_limits_and_answers_at_once) {
  if (!single_node()) GTEST_SKIP() << "one Redis node stopping";
  redis_process redis;
  redis.start();
  limiter& l = add(redis.url());
  redis.stop();
  EXPECT_TRUE(eventually([&] { return !l.connected(); }));
  auto started = steady::now();
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(take(l, bucket_kind::send, "9"));
  EXPECT_TRUE(take(l, bucket_kind::send, "9")) << "the process's own bucket";
  for (int i = 0; i < 4; ++i) fail_login(l, "erin", "10.0.0.5");
  EXPECT_TRUE(locked(l, "erin", "10.0.0.5"));
  EXPECT_LT(steady::now() - started, 2s) << "no waiting on an unreachable Redis";
  redis.start();
  EXPECT_TRUE(eventually([&] { return l.connected(); }, 10s)) << "reconnects by itself";
}

TEST_P(limiter_contract, a_hung_redis_costs_at_most_the_deadline) {
  if (!single_node()) GTEST_SKIP() << "one Redis node hanging";
  redis_process redis;
  redis.start();
  limiter& l = add(redis.url());
  redis.freeze();
  auto started = steady::now();
  EXPECT_FALSE(take(l, bucket_kind::send, "11")) << "the process's own bucket decides";
  EXPECT_LT(steady::now() - started, 1s);
  redis.thaw();
}

INSTANTIATE_TEST_SUITE_P(backends, limiter_contract, ::testing::Values("local", "redis", "cluster"),
                         [](auto const& info) { return info.param; });

}  // namespace
}  // namespace windi
