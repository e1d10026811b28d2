// The store contract for changes to a chat (src/store/store.hpp): edits, deletions, replies, reactions,
// membership and names, each numbered in the chat's stream of changes. Runs against every backend.
#include "contract/store_fixture.hpp"
#include "store/group_commit.hpp"
#include "store/open_store.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>

namespace windi::testing {
namespace {

class store_changes : public store_contract {
 protected:
  appended_message reply(chat_id chat, user_id sender, std::string text, message_id to) {
    return run(db_->append_message({chat, sender, std::move(text), std::nullopt, t0, to})).value();
  }
  message only(std::vector<message> const& page) {
    EXPECT_EQ(page.size(), 1u);
    return page.empty() ? message{} : page.front();
  }
  std::vector<message> all_history(chat_id chat) {
    return run(db_->history({chat, 100, 0, std::nullopt, 0})).value();
  }
};

std::vector<std::int64_t> change_seqs(std::vector<message> const& page) {
  std::vector<std::int64_t> out;
  for (auto const& m : page) out.push_back(m.change_seq);
  return out;
}

TEST_P(store_changes, SendsTakeTheChatsNextChangeNumber) {
  auto a = add_user("alice");
  auto g = group(a.id, {});
  EXPECT_EQ(send(g.id, a.id, "one").stored.change_seq, 1);
  EXPECT_EQ(send(g.id, a.id, "two").stored.change_seq, 2);
  auto info = run(db_->get_chat(g.id)).value();
  EXPECT_EQ(info.last_change, 2);
  EXPECT_EQ(info.last_seq, 2);
}

TEST_P(store_changes, TheSenderEditsAndTheMessageRecordsTheChange) {
  auto a = add_user("alice");
  auto b = add_user("bob");
  auto eve = add_user("eve");
  auto g = group(a.id, {b.id});
  auto sent = send(g.id, a.id, "helo").stored;
  run(db_->mark_read(g.id, b.id, sent.seq)).value();
  auto edited = run(db_->edit_message(sent.id, a.id, "hello", t0 + 5)).value();
  EXPECT_EQ(edited.read_by, 1);  // the changed message goes out whole, its read state included
  EXPECT_EQ(edited.change, 2);
  EXPECT_EQ(edited.stored.text, "hello");
  EXPECT_EQ(edited.stored.change_seq, 2);
  EXPECT_EQ(edited.stored.seq, sent.seq);
  EXPECT_EQ(edited.stored.edited_at, t0 + 5);
  EXPECT_EQ(std::set<user_id>(edited.members.begin(), edited.members.end()), (std::set<user_id>{a.id, b.id}));
  EXPECT_EQ(only(all_history(g.id)).text, "hello");

  // The same text again is no change: no number, no event.
  EXPECT_EQ(run(db_->edit_message(sent.id, a.id, "hello", t0 + 6)).value().change, 0);
  EXPECT_EQ(run(db_->get_chat(g.id)).value().last_change, 2);

  EXPECT_FAILS_WITH(run(db_->edit_message(sent.id, b.id, "mine now", t0)), errc::forbidden);
  EXPECT_FAILS_WITH(run(db_->edit_message(sent.id, eve.id, "outsider", t0)), errc::not_found);
  EXPECT_FAILS_WITH(run(db_->edit_message(424242, a.id, "nothing", t0)), errc::not_found);
  EXPECT_EQ(only(all_history(g.id)).text, "hello");
}

TEST_P(store_changes, DeletionLeavesATombstoneWithItsSeqAndNoText) {
  auto a = add_user("alice");
  auto b = add_user("bob");
  auto g = group(a.id, {b.id});
  auto first = send(g.id, b.id, "first").stored;
  auto secret = send(g.id, b.id, "the secret", t0, "cid-1").stored;
  run(db_->set_reaction(secret.id, a.id, "👍", true, 20, t0)).value();
  send(g.id, b.id, "third");

  auto deleted = run(db_->delete_message(secret.id, b.id, t0 + 9)).value();
  EXPECT_GT(deleted.change, 0);
  EXPECT_TRUE(deleted.stored.deleted);
  EXPECT_EQ(deleted.stored.text, "");
  EXPECT_TRUE(deleted.stored.reactions.empty());

  auto page = all_history(g.id);
  ASSERT_EQ(seqs(page), (std::vector<std::int64_t>{1, 2, 3}));
  EXPECT_TRUE(page[1].deleted);
  EXPECT_EQ(page[1].text, "");
  EXPECT_EQ(page[1].id, secret.id);
  EXPECT_EQ(page[1].sender_id, b.id);
  EXPECT_EQ(page[1].created_at, secret.created_at);
  EXPECT_FALSE(page[0].deleted);
  EXPECT_EQ(run(db_->get_chat(g.id)).value().last_seq, 3);

  // A resend of the deleted message returns the tombstone and stores nothing.
  auto resent =
      run(db_->append_message({g.id, b.id, "the secret", std::string("cid-1"), t0, std::nullopt})).value();
  EXPECT_TRUE(resent.duplicate);
  EXPECT_TRUE(resent.stored.deleted);
  EXPECT_EQ(resent.stored.id, secret.id);

  // Nothing more can happen to it; deleting again changes nothing.
  EXPECT_FAILS_WITH(run(db_->edit_message(secret.id, b.id, "back", t0)), errc::conflict);
  EXPECT_FAILS_WITH(run(db_->set_reaction(secret.id, a.id, "👍", true, 20, t0)), errc::conflict);
  EXPECT_FAILS_WITH(run(db_->append_message({g.id, a.id, "re", std::nullopt, t0, secret.id})),
                    errc::validation);
  EXPECT_EQ(run(db_->delete_message(secret.id, b.id, t0)).value().change, 0);
  EXPECT_EQ(first.seq, 1);
}

TEST_P(store_changes, GroupAdminsDeleteAnyoneElseOnlyTheirOwn) {
  auto admin = add_user("alice");
  auto b = add_user("bob");
  auto c = add_user("carol");
  auto eve = add_user("eve");
  auto g = group(admin.id, {b.id, c.id});
  auto by_b = send(g.id, b.id, "bob's").stored;
  auto by_admin = send(g.id, admin.id, "admin's").stored;
  EXPECT_FAILS_WITH(run(db_->delete_message(by_b.id, c.id, t0)), errc::forbidden);
  EXPECT_FAILS_WITH(run(db_->delete_message(by_admin.id, b.id, t0)), errc::forbidden);
  EXPECT_FAILS_WITH(run(db_->delete_message(by_b.id, eve.id, t0)), errc::not_found);
  EXPECT_TRUE(run(db_->delete_message(by_b.id, admin.id, t0)).value().stored.deleted);

  // In a private chat nobody is admin: only the sender deletes.
  auto p = run(db_->find_or_create_private_chat(b.id, c.id, t0)).value().info;
  auto private_message = send(p.id, b.id, "just us").stored;
  EXPECT_FAILS_WITH(run(db_->delete_message(private_message.id, c.id, t0)), errc::forbidden);
}

TEST_P(store_changes, AReplyShowsItsOriginalAsItIsNow) {
  auto a = add_user("alice");
  auto b = add_user("bob");
  auto g = group(a.id, {b.id});
  auto other = group(a.id, {});
  std::string long_text(150, 'x');
  auto original = send(g.id, a.id, long_text).stored;
  auto answer = reply(g.id, b.id, "agreed", original.id).stored;
  ASSERT_TRUE(answer.reply_to);
  EXPECT_EQ(answer.reply_to->id, original.id);
  EXPECT_EQ(answer.reply_to->sender_id, a.id);
  EXPECT_EQ(answer.reply_to->sender_username, "alice");
  EXPECT_EQ(answer.reply_to->text, std::string(reply_preview_chars, 'x'));

  run(db_->edit_message(original.id, a.id, "fixed", t0)).value();
  EXPECT_EQ(all_history(g.id).back().reply_to->text, "fixed");
  run(db_->delete_message(original.id, a.id, t0)).value();
  auto after = all_history(g.id).back();
  ASSERT_TRUE(after.reply_to);
  EXPECT_TRUE(after.reply_to->deleted);
  EXPECT_EQ(after.reply_to->text, "");

  // Another chat's message and an unknown id are refused alike.
  auto elsewhere = send(other.id, a.id, "elsewhere").stored;
  EXPECT_FAILS_WITH(run(db_->append_message({g.id, a.id, "x", std::nullopt, t0, elsewhere.id})),
                    errc::validation);
  EXPECT_FAILS_WITH(run(db_->append_message({g.id, a.id, "x", std::nullopt, t0, 424242})), errc::validation);
  EXPECT_EQ(run(db_->get_chat(g.id)).value().last_seq, 2);
}

TEST_P(store_changes, ReactionsAreIdempotentCountedAndBounded) {
  auto a = add_user("alice");
  auto b = add_user("bob");
  auto eve = add_user("eve");
  auto g = group(a.id, {b.id});
  auto m = send(g.id, a.id, "react to me").stored;
  auto first = run(db_->set_reaction(m.id, a.id, "👍", true, 3, t0 + 1)).value();
  EXPECT_GT(first.change, 0);
  EXPECT_EQ(run(db_->set_reaction(m.id, a.id, "👍", true, 3, t0 + 2)).value().change, 0);
  run(db_->set_reaction(m.id, b.id, "👍", true, 3, t0 + 3)).value();
  auto now = run(db_->set_reaction(m.id, b.id, "🎉", true, 3, t0 + 4)).value().stored;
  ASSERT_EQ(now.reactions.size(), 2u);
  EXPECT_EQ(now.reactions[0].emoji, "👍");
  EXPECT_EQ(now.reactions[0].count, 2);
  EXPECT_EQ(now.reactions[0].user_ids, (std::vector<user_id>{a.id, b.id}));
  EXPECT_EQ(now.reactions[1].emoji, "🎉");
  EXPECT_EQ(now.reactions[1].count, 1);
  EXPECT_EQ(only(all_history(g.id)).reactions.size(), 2u);

  run(db_->set_reaction(m.id, a.id, "😂", true, 3, t0 + 5)).value();
  EXPECT_FAILS_WITH(run(db_->set_reaction(m.id, a.id, "😮", true, 3, t0)), errc::validation);
  // An emoji already on the message does not count against the bound.
  EXPECT_TRUE(run(db_->set_reaction(m.id, b.id, "😂", true, 3, t0 + 6)).has_value());

  auto removed = run(db_->set_reaction(m.id, a.id, "👍", false, 3, t0 + 7)).value();
  EXPECT_GT(removed.change, 0);
  EXPECT_EQ(removed.stored.reactions[0].count, 1);
  EXPECT_EQ(run(db_->set_reaction(m.id, a.id, "👍", false, 3, t0 + 8)).value().change, 0);
  EXPECT_FAILS_WITH(run(db_->set_reaction(m.id, eve.id, "👍", true, 3, t0)), errc::not_found);
}

TEST_P(store_changes, ChangesSinceListsEachChangedMessageOnceInChangeOrder) {
  auto a = add_user("alice");
  auto g = group(a.id, {});
  auto one = send(g.id, a.id, "one").stored;                             // change 1
  auto two = send(g.id, a.id, "two").stored;                             // change 2
  auto three = send(g.id, a.id, "three").stored;                         // change 3
  run(db_->edit_message(one.id, a.id, "ONE", t0)).value();               // change 4
  run(db_->set_reaction(two.id, a.id, "❤️", true, 20, t0)).value();  // change 5
  run(db_->delete_message(one.id, a.id, t0)).value();                    // change 6

  auto all = run(db_->changes_since(g.id, 0, 100)).value();
  EXPECT_EQ(all.last_change, 6);
  EXPECT_FALSE(all.truncated);
  EXPECT_EQ(change_seqs(all.messages), (std::vector<std::int64_t>{3, 5, 6}));
  EXPECT_EQ(all.messages[0].id, three.id);
  EXPECT_EQ(all.messages[1].id, two.id);
  EXPECT_EQ(all.messages[1].reactions.size(), 1u);
  EXPECT_TRUE(all.messages[2].deleted);

  EXPECT_EQ(change_seqs(run(db_->changes_since(g.id, 4, 100)).value().messages),
            (std::vector<std::int64_t>{5, 6}));
  EXPECT_EQ(change_seqs(run(db_->changes_since(g.id, 0, 3)).value().messages),
            (std::vector<std::int64_t>{3, 5, 6}));
  // More changed messages than the limit: the caller learns that it cannot replay them.
  EXPECT_TRUE(run(db_->changes_since(g.id, 0, 2)).value().truncated);
  auto none = run(db_->changes_since(g.id, 6, 100)).value();
  EXPECT_TRUE(none.messages.empty());
  EXPECT_EQ(none.last_change, 6);
  EXPECT_FAILS_WITH(run(db_->changes_since(424242, 0, 100)), errc::not_found);
}

// A cursor in the middle of a long chat: the sends after it and the older messages changed after it, nothing
// else.
TEST_P(store_changes, ChangesSinceFindsRecentSendsAndOldMessagesChangedLater) {
  auto a = add_user("alice");
  auto b = add_user("bob");
  auto g = group(a.id, {b.id});
  std::vector<message> sent;
  for (int i = 0; i < 40; ++i)
    sent.push_back(send(g.id, i % 2 ? a.id : b.id, "m" + std::to_string(i)).stored);
  // The client saw up to change 30 (the 30th send).
  run(db_->edit_message(sent[3].id, sent[3].sender_id, "old one edited", t0)).value();  // 41
  run(db_->set_reaction(sent[35].id, a.id, "👍", true, 20, t0)).value();                 // 42
  run(db_->delete_message(sent[10].id, sent[10].sender_id, t0)).value();                // 43
  auto page = run(db_->changes_since(g.id, 30, 100)).value();
  std::vector<message_id> ids;
  for (auto const& m : page.messages) ids.push_back(m.id);
  std::vector<message_id> expected;
  for (int i = 30; i < 40; ++i) {
    if (i != 35) expected.push_back(sent[i].id);
  }
  expected.push_back(sent[3].id);
  expected.push_back(sent[35].id);
  expected.push_back(sent[10].id);
  EXPECT_EQ(ids, expected);
  EXPECT_EQ(page.last_change, 43);
  EXPECT_EQ(page.messages[10].reactions.size(), 1u);
  EXPECT_TRUE(page.messages.back().deleted);
  // Twelve messages (ten sends, one of them changed again, and two older ones): a limit of 11 cannot hold
  // them.
  EXPECT_TRUE(run(db_->changes_since(g.id, 30, 11)).value().truncated);
  EXPECT_FALSE(run(db_->changes_since(g.id, 30, 12)).value().truncated);
}

TEST_P(store_changes, MembershipAndNameChangesAreNumberedToo) {
  auto a = add_user("alice");
  auto b = add_user("bob");
  auto g = group(a.id, {});
  send(g.id, a.id, "hi");  // change 1
  auto added = run(db_->add_member(g.id, b.id, member_role::member, t0)).value();
  EXPECT_EQ(added.change, 2);
  EXPECT_EQ(std::set<user_id>(added.audience.begin(), added.audience.end()), (std::set<user_id>{a.id, b.id}));
  auto renamed = run(db_->rename_chat(g.id, "renamed")).value();
  EXPECT_EQ(renamed.change, 3);
  EXPECT_EQ(renamed.info.name, "renamed");
  EXPECT_EQ(run(db_->rename_chat(g.id, "renamed")).value().change, 0);
  auto removed = run(db_->remove_member(g.id, b.id)).value();
  EXPECT_EQ(removed.change, 4);
  // The removed member hears of the removal.
  EXPECT_EQ(std::set<user_id>(removed.audience.begin(), removed.audience.end()),
            (std::set<user_id>{a.id, b.id}));
  EXPECT_EQ(removed.info.members.size(), 1u);
  EXPECT_EQ(send(g.id, a.id, "after").stored.change_seq, 5);
  EXPECT_EQ(run(db_->get_chat(g.id)).value().last_change, 5);
}

TEST_P(store_changes, ConcurrentChangesGetGaplessNumbersInCommitOrder) {
  auto a = add_user("alice");
  auto b = add_user("bob");
  auto g = group(a.id, {b.id});
  std::vector<message> sent;
  for (int i = 0; i < 6; ++i) sent.push_back(send(g.id, i % 2 ? a.id : b.id, "m" + std::to_string(i)).stored);

  std::vector<task<outcome<message_change>>> work;
  for (int i = 0; i < 6; ++i) {
    auto const& m = sent[i];
    work.push_back(db_->edit_message(m.id, m.sender_id, "edited " + std::to_string(i), t0 + i));
    work.push_back(db_->set_reaction(m.id, a.id, "👍", true, 20, t0 + i));
    work.push_back(db_->set_reaction(m.id, b.id, "🎉", true, 20, t0 + i));
  }
  work.push_back(db_->delete_message(sent[0].id, sent[0].sender_id, t0));
  std::vector<std::int64_t> numbers;
  for (auto& r : run_concurrently(std::move(work))) {
    ASSERT_TRUE(r.has_value() || r.error().code == errc::conflict) << r.error().detail;
    if (r && r->change > 0) numbers.push_back(r->change);
  }
  std::sort(numbers.begin(), numbers.end());
  std::vector<std::int64_t> expected;
  for (std::int64_t n = 7; n < 7 + static_cast<std::int64_t>(numbers.size()); ++n) expected.push_back(n);
  EXPECT_EQ(numbers, expected);
  EXPECT_EQ(run(db_->get_chat(g.id)).value().last_change, 6 + static_cast<std::int64_t>(numbers.size()));
  // A deleted message stays deleted whichever order the edit and the delete took.
  EXPECT_TRUE(all_history(g.id).front().deleted);
}

INSTANTIATE_TEST_SUITE_P(backends, store_changes, ::testing::ValuesIn(store_backends()),
                         [](::testing::TestParamInfo<store_backend> const& info) { return info.param.name; });

// Deleting for everyone erases the text from the SQLite file itself, not only from query results.
TEST(sqlite_store, DeletedTextIsGoneFromTheFileAfterShutdown) {
  auto dir =
      std::filesystem::temp_directory_path() / ("windi-erase-" + std::to_string(std::random_device{}()));
  std::filesystem::create_directories(dir);
  auto path = (dir / "windi.db").string();
  std::string const secret = "the launch code is 0000-" + std::to_string(std::random_device{}());
  std::string const kept = "kept text " + std::to_string(std::random_device{}());
  {
    boost::asio::io_context io;
    auto db = make_sqlite_store(path);
    ASSERT_TRUE(run_task(io, db->migrate()).has_value());
    auto a = run_task(io, db->create_user({"alice", "alice@example.com", "hash", t0})).value();
    auto g = run_task(io, db->create_group_chat(a.id, "g", {}, t0)).value();
    auto m = run_task(io, db->append_message({g.id, a.id, secret, std::nullopt, t0, std::nullopt})).value();
    run_task(io, db->append_message({g.id, a.id, kept, std::nullopt, t0, std::nullopt})).value();
    run_task(io, db->edit_message(m.stored.id, a.id, secret + " (edited)", t0)).value();
    ASSERT_TRUE(run_task(io, db->delete_message(m.stored.id, a.id, t0)).value().stored.deleted);
  }
  std::string bytes;
  for (auto const& entry : std::filesystem::directory_iterator(dir)) {
    std::ifstream file(entry.path(), std::ios::binary);
    bytes.append(std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>());
  }
  EXPECT_NE(bytes.find(kept), std::string::npos) << "the check must see the file's text";
  EXPECT_EQ(bytes.find(secret), std::string::npos) << "deleted text left in " << dir;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace windi::testing
