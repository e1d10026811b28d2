// Login throttling and token buckets, with time given explicitly.
#include "core/rate_limits.hpp"
#include "http/client_address.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace windi {
namespace {

constexpr micros second = 1'000'000;
constexpr micros t0 = 1'700'000'000 * second;

TEST(LoginThrottle, FreeFailuresThenDelaysThatDoubleUpToTheMaximum) {
  login_throttle throttle({.account_free_failures = 3,
                           .address_free_failures = 100,
                           .first_delay = std::chrono::seconds(1),
                           .max_delay = std::chrono::seconds(4)});
  micros now = t0;
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(throttle.locked("alice", "10.0.0.1", now));
    throttle.failed("alice", "10.0.0.1", now);
  }
  EXPECT_FALSE(throttle.locked("alice", "10.0.0.1", now));  // three failures: still free
  throttle.failed("alice", "10.0.0.1", now);                // the fourth locks for 1 s
  EXPECT_EQ(throttle.locked("alice", "10.0.0.1", now)->count(), 1);
  now += second;
  EXPECT_FALSE(throttle.locked("alice", "10.0.0.1", now));
  throttle.failed("alice", "10.0.0.1", now);
  EXPECT_EQ(throttle.locked("alice", "10.0.0.1", now)->count(), 2);
  now += 2 * second;
  throttle.failed("alice", "10.0.0.1", now);
  EXPECT_EQ(throttle.locked("alice", "10.0.0.1", now)->count(), 4);
  now += 4 * second;
  throttle.failed("alice", "10.0.0.1", now);
  EXPECT_EQ(throttle.locked("alice", "10.0.0.1", now)->count(), 4) << "capped";
}

TEST(LoginThrottle, OneAccountsLockStopsNeitherOtherAccountsNorOtherAddresses) {
  login_throttle throttle({.account_free_failures = 2, .address_free_failures = 100});
  for (int i = 0; i < 3; ++i) throttle.failed("alice", "10.0.0.1", t0);
  EXPECT_TRUE(throttle.locked("alice", "10.0.0.1", t0));
  EXPECT_TRUE(throttle.locked("ALICE", "10.0.0.1", t0)) << "usernames are matched without case";
  EXPECT_FALSE(throttle.locked("bob", "10.0.0.1", t0));
  EXPECT_FALSE(throttle.locked("alice", "10.0.0.2", t0));
}

TEST(LoginThrottle, AnAddressGuessingManyAccountsIsThrottledAsAWhole) {
  login_throttle throttle({.account_free_failures = 100, .address_free_failures = 5});
  for (int i = 0; i < 6; ++i) throttle.failed("user" + std::to_string(i), "10.0.0.9", t0);
  EXPECT_TRUE(throttle.locked("someone-new", "10.0.0.9", t0));
  EXPECT_FALSE(throttle.locked("someone-new", "10.0.0.8", t0));
}

TEST(LoginThrottle, SuccessClearsTheAccountAndOldFailuresAreForgotten) {
  login_throttle throttle(
      {.account_free_failures = 2, .address_free_failures = 100, .forget_after = std::chrono::seconds(60)});
  throttle.failed("alice", "10.0.0.1", t0);
  throttle.failed("alice", "10.0.0.1", t0);
  throttle.succeeded("alice", "10.0.0.1");
  throttle.failed("alice", "10.0.0.1", t0);
  EXPECT_FALSE(throttle.locked("alice", "10.0.0.1", t0)) << "one failure since the success";
  throttle.failed("alice", "10.0.0.1", t0);
  throttle.failed("alice", "10.0.0.1",
                  t0 + 120 * second);  // two minutes after the others: they are forgotten
  EXPECT_FALSE(throttle.locked("alice", "10.0.0.1", t0 + 120 * second));
}

TEST(TokenBuckets, ABurstThenOneTokenPerInterval) {
  token_buckets buckets({.burst = 2, .per_second = 1.0 / 60});
  EXPECT_FALSE(buckets.take("10.0.0.1", t0));
  EXPECT_FALSE(buckets.take("10.0.0.1", t0));
  auto wait = buckets.take("10.0.0.1", t0);
  ASSERT_TRUE(wait);
  EXPECT_EQ(wait->count(), 60);
  EXPECT_FALSE(buckets.take("10.0.0.2", t0)) << "another address has its own bucket";
  EXPECT_FALSE(buckets.take("10.0.0.1", t0 + 60 * second));
  EXPECT_TRUE(buckets.take("10.0.0.1", t0 + 60 * second));
}

TEST(ClientAddress, ForwardedForCountsOnlyFromATrustedProxy) {
  namespace ip = boost::asio::ip;
  auto trusted = http::trusted_proxies::parse("127.0.0.1, 10.1.0.0/16,::1").value();
  EXPECT_EQ(http::client_address(ip::make_address("127.0.0.1"), "203.0.113.7, 10.1.2.3", trusted),
            "203.0.113.7");
  EXPECT_EQ(http::client_address(ip::make_address("10.1.9.9"), " 203.0.113.8", trusted), "203.0.113.8");
  EXPECT_EQ(http::client_address(ip::make_address("::ffff:127.0.0.1"), "203.0.113.9", trusted),
            "203.0.113.9");
  EXPECT_EQ(http::client_address(ip::make_address("192.0.2.1"), "203.0.113.7", trusted), "192.0.2.1");
  EXPECT_EQ(http::client_address(ip::make_address("127.0.0.1"), "not an address", trusted), "127.0.0.1");
  EXPECT_EQ(http::client_address(ip::make_address("127.0.0.1"), "", trusted), "127.0.0.1");
  EXPECT_EQ(http::client_address(ip::make_address("::ffff:192.0.2.5"), "", {}), "192.0.2.5");
  EXPECT_FALSE(http::trusted_proxies::parse("10.0.0.0/40"));
  EXPECT_FALSE(http::trusted_proxies::parse("proxy.example"));
  EXPECT_TRUE(http::trusted_proxies::parse("").value().empty());
}

}  // namespace
}  // namespace windi
