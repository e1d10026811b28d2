// Where each user's sessions are: the hub hands an event only to the threads this index names, so a thread it
// leaves out would never show the event to a recipient there.
#include "ws/user_threads.hpp"

#include <gtest/gtest.h>

#include <vector>

namespace windi::ws {
namespace {

using holding = std::vector<bool>;

TEST(UserThreads, NamesOnlyTheThreadsOfTheAudience) {
  user_threads where(4);
  where.add(1, 0);
  where.add(2, 2);
  where.add(3, 3);
  EXPECT_EQ(where.holding_any({1, 2}), (holding{true, false, true, false}));
  EXPECT_EQ(where.holding_any({3}), (holding{false, false, false, true}));
  EXPECT_EQ(where.holding_any({42}), (holding{false, false, false, false}));
  EXPECT_EQ(where.holding_any({}), (holding{false, false, false, false}));
}

TEST(UserThreads, AUserOnSeveralThreadsIsFoundOnEach) {
  user_threads where(3);
  where.add(7, 0);
  where.add(7, 2);
  EXPECT_EQ(where.holding_any({7}), (holding{true, false, true}));
  where.remove(7, 0);
  EXPECT_EQ(where.holding_any({7}), (holding{false, false, true}));
}

TEST(UserThreads, AThreadStaysNamedUntilItsLastSessionOfTheUserLeaves) {
  user_threads where(2);
  where.add(5, 1);
  where.add(5, 1);
  where.add(5, 1);
  where.remove(5, 1);
  EXPECT_EQ(where.holding_any({5}), (holding{false, true}));
  where.remove(5, 1, 2);  // two at once, as when closed sessions are swept together
  EXPECT_EQ(where.holding_any({5}), (holding{false, false}));
  where.add(5, 1);
  EXPECT_EQ(where.holding_any({5}), (holding{false, true}));
}

TEST(UserThreads, RemovingWhatIsNotThereChangesNothing) {
  user_threads where(2);
  where.add(1, 0);
  where.remove(1, 1);
  where.remove(2, 0);
  where.remove(1, 0, 0);
  EXPECT_EQ(where.holding_any({1}), (holding{true, false}));
  where.remove(1, 0, 5);  // more than there are: gone, never negative
  EXPECT_EQ(where.holding_any({1}), (holding{false, false}));
  where.add(1, 0);
  EXPECT_EQ(where.holding_any({1}), (holding{true, false}));
}

TEST(UserThreads, ALargeAudienceNamesEveryThreadItReaches) {
  user_threads where(2);
  for (user_id u = 1; u <= 1000; ++u) where.add(u, u % 2 == 0 ? 0 : 1);
  std::vector<user_id> audience;
  for (user_id u = 1; u <= 1000; ++u) audience.push_back(u);
  EXPECT_EQ(where.holding_any(audience), (holding{true, true}));
  std::vector<user_id> odd_only;
  for (user_id u = 1; u <= 1000; u += 2) odd_only.push_back(u);
  EXPECT_EQ(where.holding_any(odd_only), (holding{false, true}));
}

}  // namespace
}  // namespace windi::ws
