// Connection caps over the in-process limits (the shared ones run the same contract in
// tests/contract/limiter_contract_test.cpp).
#include "ws/connection_caps.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <vector>

namespace windi::ws {
namespace {

class ConnectionCaps : public ::testing::Test {
 protected:
  template <class T>
  T run(boost::asio::awaitable<T> work) {
    auto future = boost::asio::co_spawn(io_, std::move(work), boost::asio::use_future);
    io_.restart();
    io_.run();
    return future.get();
  }
  std::optional<connection_caps::lease> user(connection_caps& caps, user_id id) {
    return run(caps.admit_user(id, "c" + std::to_string(next_++)));
  }
  std::optional<connection_caps::lease> address(connection_caps& caps, std::string a) {
    return run(caps.admit_address(std::move(a), "c" + std::to_string(next_++)));
  }
  std::size_t open_for(user_id id) { return limits_.connections(connection_caps::user_key(id)); }

  boost::asio::io_context io_;
  system_clock clock_;
  local_limiter limits_{limiter_settings{}, clock_};
  int next_ = 0;
};

TEST_F(ConnectionCaps, AUserGetsUpToTheCapAndAPlaceBackWhenOneCloses) {
  connection_caps caps(limits_, 3, 100);
  std::vector<connection_caps::lease> open;
  for (int i = 0; i < 3; ++i) {
    auto admitted = user(caps, 7);
    ASSERT_TRUE(admitted) << i;
    open.push_back(std::move(*admitted));
  }
  EXPECT_FALSE(user(caps, 7)) << "a fourth connection of the same user";
  EXPECT_TRUE(user(caps, 8)) << "another user is not affected";
  EXPECT_EQ(open_for(7), 3u);
  open.pop_back();
  EXPECT_EQ(open_for(7), 2u);
  EXPECT_TRUE(user(caps, 7)) << "after a close there is room again";
}

TEST_F(ConnectionCaps, AddressesAreCappedApartFromUsers) {
  connection_caps caps(limits_, 100, 2);
  auto first = address(caps, "192.0.2.1");
  auto second = address(caps, "192.0.2.1");
  ASSERT_TRUE(first);
  ASSERT_TRUE(second);
  EXPECT_FALSE(address(caps, "192.0.2.1"));
  EXPECT_TRUE(address(caps, "192.0.2.2"));
  EXPECT_TRUE(user(caps, 1));
  first.reset();
  EXPECT_TRUE(address(caps, "192.0.2.1"));
}

TEST_F(ConnectionCaps, AMovedLeaseReleasesOnceAndNothingIsKeptForWhoLeft) {
  connection_caps caps(limits_, 1, 1);
  {
    auto admitted = user(caps, 5);
    ASSERT_TRUE(admitted);
    connection_caps::lease moved = std::move(*admitted);
    admitted.reset();  // the moved-from lease gives nothing back
    EXPECT_EQ(open_for(5), 1u);
    EXPECT_FALSE(user(caps, 5));
  }
  EXPECT_EQ(open_for(5), 0u);
  EXPECT_TRUE(user(caps, 5));
}

TEST_F(ConnectionCaps, ACapOfZeroAdmitsNobody) {
  connection_caps caps(limits_, 0, 0);
  EXPECT_FALSE(user(caps, 1));
  EXPECT_FALSE(address(caps, "192.0.2.1"));
  EXPECT_EQ(open_for(1), 0u);
}

}  // namespace
}  // namespace windi::ws
