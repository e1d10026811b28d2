// The chaos checker's judgement of one client's view of one chat (bench/loadgen/chat_view.hpp): a view built
// from frames that arrive out of order or twice still matches the store, and every injected violation (an
// event lost in the middle or at the end, an edit or a deletion never seen, a message the store does not
// hold) is caught, so a chaos run that passes says something.
#include "chat_view.hpp"

#include <boost/json/parse.hpp>

#include <gtest/gtest.h>

namespace windi::loadgen {
namespace {

message_copy message(std::int64_t id, std::int64_t seq, std::int64_t change, std::string text) {
  message_copy m;
  m.id = id;
  m.seq = seq;
  m.change_seq = change;
  m.sender_id = 7;
  m.text = std::move(text);
  m.client_message_id = "c" + std::to_string(id);
  return m;
}

message_copy deleted(message_copy m, std::int64_t change) {
  m.deleted = true;
  m.text.clear();
  m.change_seq = change;
  return m;
}

// The store after: #1 sent (change 1), #2 sent (2), #1 edited (3), #3 sent (4), #2 deleted (5).
stored_chat store_after_five_changes() {
  stored_chat s;
  s.last_change = 5;
  s.messages[1] = message(1, 1, 3, "edited");
  s.messages[2] = deleted(message(2, 2, 2, "second"), 5);
  s.messages[3] = message(3, 3, 4, "third");
  return s;
}

// Applies a live event the way a client does: the copy, then its change number.
void live(chat_view& view, message_copy m) {
  auto const change = m.change_seq;
  view.absorb(std::move(m));
  view.note_change(change);
}

TEST(ChatView, EventsInOrderShowTheStore) {
  chat_view view;
  live(view, message(1, 1, 1, "first"));
  live(view, message(2, 2, 2, "second"));
  live(view, message(1, 1, 3, "edited"));
  live(view, message(3, 3, 4, "third"));
  live(view, deleted(message(2, 2, 2, "second"), 5));
  auto const truth = store_after_five_changes();
  EXPECT_TRUE(caught_up(view, truth));
  EXPECT_EQ(view_difference(view, truth), "");
}

TEST(ChatView, EventsThatOvertakeEachOtherOrComeTwiceStillShowTheStore) {
  chat_view view;
  live(view, message(2, 2, 2, "second"));
  live(view, message(1, 1, 3, "edited"));
  EXPECT_EQ(view.cursor(), 0);  // change 1 has not arrived: nothing is certain yet
  EXPECT_TRUE(view.waiting());
  live(view, message(1, 1, 1, "first"));  // older than the edit held: changes nothing but the cursor
  EXPECT_EQ(view.cursor(), 3);
  live(view, deleted(message(2, 2, 2, "second"), 5));
  live(view, message(3, 3, 4, "third"));
  live(view, message(3, 3, 4, "third"));
  auto const truth = store_after_five_changes();
  EXPECT_TRUE(caught_up(view, truth));
  EXPECT_EQ(view_difference(view, truth), "");
}

TEST(ChatView, AnEventLostInTheMiddleIsAGapAndADifference) {
  chat_view view;
  live(view, message(1, 1, 1, "first"));
  live(view, message(2, 2, 2, "second"));
  live(view, message(1, 1, 3, "edited"));
  // Change 4 (#3 sent) is lost.
  live(view, deleted(message(2, 2, 2, "second"), 5));
  auto const truth = store_after_five_changes();
  EXPECT_EQ(view.cursor(), 3);
  EXPECT_TRUE(view.waiting());
  EXPECT_FALSE(caught_up(view, truth));
  EXPECT_EQ(view_difference(view, truth), "missing #3 seq 3 change 4 \"third\" reactions []");
}

TEST(ChatView, TheLastEventLostLeavesTheCursorShort) {
  chat_view view;
  live(view, message(1, 1, 1, "first"));
  live(view, message(2, 2, 2, "second"));
  live(view, message(1, 1, 3, "edited"));
  live(view, message(3, 3, 4, "third"));
  // Change 5 (#2 deleted) is lost, and nothing comes after it.
  auto const truth = store_after_five_changes();
  EXPECT_FALSE(view.waiting());
  EXPECT_FALSE(caught_up(view, truth));
  EXPECT_EQ(
      view_difference(view, truth),
      "shows #2 seq 2 change 2 \"second\" reactions [], stored #2 seq 2 change 5 deleted \"\" reactions []");
}

TEST(ChatView, ALostEditShowsTheOldText) {
  chat_view view;
  live(view, message(1, 1, 1, "first"));
  live(view, message(2, 2, 2, "second"));
  view.note_change(3);  // the edit's number arrived (say, from a sync) but not its text
  live(view, message(3, 3, 4, "third"));
  live(view, deleted(message(2, 2, 2, "second"), 5));
  auto const truth = store_after_five_changes();
  EXPECT_TRUE(caught_up(view, truth));
  EXPECT_EQ(
      view_difference(view, truth),
      "shows #1 seq 1 change 1 \"first\" reactions [], stored #1 seq 1 change 3 \"edited\" reactions []");
}

TEST(ChatView, AMessageTheStoreDoesNotHoldIsCaught) {
  chat_view view;
  live(view, message(1, 1, 3, "edited"));
  live(view, deleted(message(2, 2, 2, "second"), 5));
  live(view, message(3, 3, 4, "third"));
  live(view, message(9, 4, 6, "never stored"));
  view.advance_to(5);
  auto const truth = store_after_five_changes();
  EXPECT_EQ(view_difference(view, truth),
            "shows #9 seq 4 change 6 \"never stored\" reactions [], which is not stored");
}

TEST(ChatView, ASyncAnswerClosesAGap) {
  chat_view view;
  live(view, message(1, 1, 1, "first"));
  live(view, message(2, 2, 2, "second"));
  // Changes 3 to 5 were missed while disconnected; the sync answer carries the messages they touched.
  auto const truth = store_after_five_changes();
  for (auto const& [id, m] : truth.messages) view.absorb(m);
  view.advance_to(truth.last_change);
  EXPECT_TRUE(caught_up(view, truth));
  EXPECT_EQ(view_difference(view, truth), "");
}

TEST(ChatView, ReactionsThatArriveBeforeTheirMessageAreKept) {
  auto const event = boost::json::parse(R"({"id": 1, "chat_id": 4, "seq": 1, "change_seq": 1, "sender_id": 7,
      "text": "first", "client_message_id": "c1", "reactions": []})");
  auto const reaction =
      boost::json::parse(R"([{"emoji": "+1", "user_ids": [7, 8]}, {"emoji": "ok", "user_ids": [8]}])");
  chat_view view;
  view.absorb_reactions(1, 2, read_reactions(reaction));
  view.note_change(2);
  view.absorb(read_message(event.as_object()));
  view.note_change(1);
  stored_chat truth;
  truth.last_change = 2;
  truth.messages[1] = message(1, 1, 2, "first");
  truth.messages[1].reactions = "+1:7,8;ok:8";
  EXPECT_TRUE(caught_up(view, truth));
  EXPECT_EQ(view_difference(view, truth), "");
}

TEST(ChatView, AReactionChangeNeverSeenIsADifference) {
  chat_view view;
  live(view, message(1, 1, 1, "first"));
  view.note_change(2);
  stored_chat truth;
  truth.last_change = 2;
  truth.messages[1] = message(1, 1, 2, "first");
  truth.messages[1].reactions = "+1:8";
  EXPECT_TRUE(caught_up(view, truth));
  EXPECT_NE(view_difference(view, truth), "");
}

}  // namespace
}  // namespace windi::loadgen
