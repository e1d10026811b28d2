#include "ws/connection_caps.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace windi::ws {
namespace {

TEST(ConnectionCaps, AUserGetsUpToTheCapAndAPlaceBackWhenOneCloses) {
  connection_caps caps(3, 100);
  std::vector<connection_caps::lease> open;
  for (int i = 0; i < 3; ++i) {
    auto admitted = caps.admit_user(7);
    ASSERT_TRUE(admitted) << i;
    open.push_back(std::move(*admitted));
  }
  EXPECT_FALSE(caps.admit_user(7)) << "a fourth connection of the same user";
  EXPECT_TRUE(caps.admit_user(8)) << "another user is not affected";
  EXPECT_EQ(caps.open_for(7), 3u);
  open.pop_back();
  EXPECT_EQ(caps.open_for(7), 2u);
  EXPECT_TRUE(caps.admit_user(7)) << "after a close there is room again";
}

TEST(ConnectionCaps, AddressesAreCappedApartFromUsers) {
  connection_caps caps(100, 2);
  auto first = caps.admit_address("192.0.2.1");
  auto second = caps.admit_address("192.0.2.1");
  ASSERT_TRUE(first);
  ASSERT_TRUE(second);
  EXPECT_FALSE(caps.admit_address("192.0.2.1"));
  EXPECT_TRUE(caps.admit_address("192.0.2.2"));
  EXPECT_TRUE(caps.admit_user(1));
  first.reset();
  EXPECT_TRUE(caps.admit_address("192.0.2.1"));
}

TEST(ConnectionCaps, AMovedLeaseReleasesOnceAndNothingIsKeptForWhoLeft) {
  connection_caps caps(1, 1);
  {
    auto admitted = caps.admit_user(5);
    ASSERT_TRUE(admitted);
    connection_caps::lease moved = std::move(*admitted);
    admitted.reset();  // the moved-from lease gives nothing back
    EXPECT_EQ(caps.open_for(5), 1u);
    EXPECT_FALSE(caps.admit_user(5));
  }
  EXPECT_EQ(caps.open_for(5), 0u);
  EXPECT_TRUE(caps.admit_user(5));
}

}  // namespace
}  // namespace windi::ws
