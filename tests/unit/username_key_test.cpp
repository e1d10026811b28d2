#include "core/username_key.hpp"

#include <gtest/gtest.h>

namespace windi {
namespace {

TEST(UsernameKey, LookAlikesOfAUsernameShareItsKey) {
  auto const alice = username_key("alice");
  for (char const* lookalike :
       {"aIice", "al1ce", "alice.", "a_lice", "a-l-i-c-e", "ALICE", "AL1CE", "a.l.i.c.e"}) {
    EXPECT_EQ(username_key(lookalike), alice) << lookalike;
  }
  EXPECT_EQ(username_key("0scar"), username_key("oscar"));
  EXPECT_EQ(username_key("he11o"), username_key("hello"));
  EXPECT_EQ(username_key("b0b"), username_key("bob"));
  EXPECT_EQ(username_key("rnary"), username_key("mary"));
  EXPECT_EQ(username_key("rnary"), username_key("Mary"));
}

TEST(UsernameKey, DifferentNamesKeepDifferentKeys) {
  auto const alice = username_key("alice");
  for (char const* other : {"alicia", "alina", "malice", "alice2", "bob", "charlie", "diana", "eve"}) {
    EXPECT_NE(username_key(other), alice) << other;
  }
  EXPECT_NE(username_key("bob"), username_key("bobby"));
  EXPECT_NE(username_key("eve"), username_key("eva"));
}

TEST(UsernameKey, IsStableAndNotEmptyForOrdinaryNames) {
  EXPECT_EQ(username_key("charlie_1"), username_key("charlie_1"));
  EXPECT_FALSE(username_key("abc").empty());
}

}  // namespace
}  // namespace windi
