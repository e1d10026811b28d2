// A connection's queue of frames: order, byte count, and a user's newer presence taking the place of the
// one still waiting.
#include "ws/outbox.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace windi::ws {
namespace {

frame_ptr frame(std::string text) { return std::make_shared<std::string const>(std::move(text)); }

std::vector<std::string> drain(outbox& box) {
  std::vector<std::string> out;
  while (!box.empty()) {
    out.push_back(*box.front());
    box.pop_front();
  }
  return out;
}

TEST(Outbox, KeepsOrderAndCountsBytes) {
  outbox box;
  box.push(frame("one"));
  box.push(frame("three"));
  EXPECT_EQ(box.size(), 2u);
  EXPECT_EQ(box.bytes(), 8u);
  EXPECT_EQ(drain(box), (std::vector<std::string>{"one", "three"}));
  EXPECT_EQ(box.bytes(), 0u);
}

TEST(Outbox, NewerPresenceOfAUserReplacesTheWaitingOneInPlace) {
  outbox box;
  box.push(frame("message 1"));
  box.push(frame("7 online"), 7);
  box.push(frame("message 2"));
  EXPECT_TRUE(box.replace_presence(7, frame("7 offline")));
  EXPECT_EQ(box.size(), 3u);
  EXPECT_EQ(box.bytes(), std::string("message 17 offlinemessage 2").size());
  EXPECT_EQ(drain(box), (std::vector<std::string>{"message 1", "7 offline", "message 2"}));
}

TEST(Outbox, PresenceOfOtherUsersAndOtherFramesAreNotReplaced) {
  outbox box;
  box.push(frame("7 online"), 7);
  EXPECT_FALSE(box.replace_presence(8, frame("8 online")));
  box.push(frame("8 online"), 8);
  EXPECT_TRUE(box.replace_presence(8, frame("8 offline")));
  EXPECT_EQ(drain(box), (std::vector<std::string>{"7 online", "8 offline"}));
}

TEST(Outbox, APresenceFrameOnceWrittenIsNotReplacedAnyMore) {
  outbox box;
  box.push(frame("7 online"), 7);
  box.pop_front();
  EXPECT_FALSE(box.replace_presence(7, frame("7 offline")));
  box.push(frame("7 offline"), 7);
  box.push(frame("message"));
  EXPECT_TRUE(box.replace_presence(7, frame("7 online")));
  EXPECT_EQ(drain(box), (std::vector<std::string>{"7 online", "message"}));
}

TEST(Outbox, PositionsStayRightAfterManyFramesCameAndWent) {
  outbox box;
  for (int i = 0; i < 1000; ++i) {
    box.push(frame("m" + std::to_string(i)));
    box.push(frame("p" + std::to_string(i)), 1 + i % 3);
    box.pop_front();
    box.pop_front();
  }
  box.push(frame("first"));
  box.push(frame("2 online"), 2);
  box.push(frame("3 online"), 3);
  EXPECT_TRUE(box.replace_presence(2, frame("2 offline")));
  EXPECT_EQ(drain(box), (std::vector<std::string>{"first", "2 offline", "3 online"}));
}

TEST(Outbox, PresenceQueuedBeforeASealIsNotReplaced) {
  outbox box;
  box.push(frame("7 online"), 7);
  box.seal();
  box.push(frame("sync: 7 online"));
  EXPECT_FALSE(box.replace_presence(7, frame("7 offline")));
  box.push(frame("7 offline"), 7);
  EXPECT_TRUE(box.replace_presence(7, frame("7 online again")));
  EXPECT_EQ(drain(box), (std::vector<std::string>{"7 online", "sync: 7 online", "7 online again"}));
}

TEST(Outbox, PoppingAnOlderPresenceFrameKeepsTheNewerOneReplaceable) {
  outbox box;
  box.push(frame("7 online"), 7);
  box.push(frame("7 offline"), 7);  // pushed without trying a replacement first
  box.pop_front();
  EXPECT_TRUE(box.replace_presence(7, frame("7 online again")));
  EXPECT_EQ(drain(box), (std::vector<std::string>{"7 online again"}));
}

TEST(Outbox, ClearForgetsWaitingPresence) {
  outbox box;
  box.push(frame("7 online"), 7);
  box.clear();
  EXPECT_TRUE(box.empty());
  EXPECT_EQ(box.bytes(), 0u);
  EXPECT_FALSE(box.replace_presence(7, frame("7 offline")));
  box.push(frame("after"));
  EXPECT_EQ(drain(box), (std::vector<std::string>{"after"}));
}

}  // namespace
}  // namespace windi::ws
