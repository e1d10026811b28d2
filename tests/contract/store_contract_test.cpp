// The store contract (src/store/store.hpp), run unchanged against every backend in store_backends().
// Only documented behaviour is checked: nothing here depends on how a backend orders ties or lays out rows.
#include "contract/store_fixture.hpp"

#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <future>
#include <map>
#include <memory>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace windi::testing {

namespace {

// --- users

TEST_P(store_contract, CreatedUserCanBeReadBack) {
  auto created = run(db_->create_user({"Alice", "Alice@Example.com", "argon2-hash", t0 + 5})).value();
  EXPECT_GT(created.id, 0);
  EXPECT_EQ(created.username, "Alice");
  EXPECT_EQ(created.email, "Alice@Example.com");
  EXPECT_EQ(created.created_at, t0 + 5);
  auto fetched = run(db_->get_user(created.id)).value();
  EXPECT_EQ(fetched.id, created.id);
  EXPECT_EQ(fetched.username, "Alice");
  EXPECT_EQ(fetched.email, "Alice@Example.com");
  EXPECT_EQ(fetched.created_at, t0 + 5);
  EXPECT_NE(add_user("bob").id, created.id);
}

TEST_P(store_contract, UsernameIsUniqueIgnoringCase) {
  add_user("alice");
  auto again = run(db_->create_user({"ALICE", "other@example.com", "h", t0}));
  EXPECT_FAILS_WITH(again, errc::conflict);
  EXPECT_EQ(again.error().detail, "Username already registered");
}

TEST_P(store_contract, EmailIsUniqueIgnoringCase) {
  add_user("alice");
  auto again = run(db_->create_user({"alicia", "ALICE@example.COM", "h", t0}));
  EXPECT_FAILS_WITH(again, errc::conflict);
  EXPECT_EQ(again.error().detail, "Email already registered");
}

TEST_P(store_contract, UsernamesThatLookAlikeAreRefused) {
  add_user("alice");
  for (char const* lookalike : {"aIice", "al1ce", "alice.", "a_lice", "AL1CE"}) {
    auto again = run(db_->create_user({lookalike, std::string(lookalike) + "@example.org", "h", t0}));
    EXPECT_FAILS_WITH(again, errc::conflict);
    if (!again) {
      EXPECT_EQ(again.error().detail, "Username is too similar to an existing username") << lookalike;
    }
  }
  // The same name in other letter case is the older, plainer refusal.
  EXPECT_EQ(run(db_->create_user({"Alice", "other@example.com", "h", t0})).error().detail,
            "Username already registered");
  EXPECT_TRUE(run(db_->create_user({"alicia", "alicia@example.com", "h", t0})));
  EXPECT_TRUE(run(db_->create_user({"malice", "malice@example.com", "h", t0})));
}

TEST_P(store_contract, UnknownUserIsNotFound) {
  EXPECT_FAILS_WITH(run(db_->get_user(424242)), errc::not_found);
}

TEST_P(store_contract, CredentialsMatchTheExactUsername) {
  auto alice = add_user("Alice");
  auto found = run(db_->find_credentials("Alice")).value();
  EXPECT_EQ(found.account.id, alice.id);
  EXPECT_EQ(found.account.username, "Alice");
  EXPECT_EQ(found.password_hash, "hash of Alice");
  EXPECT_FAILS_WITH(run(db_->find_credentials("alice")), errc::not_found);
  EXPECT_FAILS_WITH(run(db_->find_credentials("nobody")), errc::not_found);
}

// --- credentials (token revocation)

TEST_P(store_contract, NewUserHasGenerationZeroAndNoRevokedTokens) {
  auto alice = add_user("alice");
  auto state = run(db_->get_credential_state(alice.id, t0)).value();
  EXPECT_EQ(state.token_generation, 0);
  EXPECT_TRUE(state.revoked_token_ids.empty());
  EXPECT_EQ(run(db_->find_credentials("alice")).value().token_generation, 0);
  EXPECT_FAILS_WITH(run(db_->get_credential_state(424242, t0)), errc::not_found);
}

TEST_P(store_contract, RevokedTokensAreListedUntilTheyExpire) {
  auto alice = add_user("alice");
  auto bob = add_user("bob");
  ASSERT_TRUE(run(db_->revoke_token(alice.id, "token-a", t0 + 100, t0)));
  ASSERT_TRUE(run(db_->revoke_token(alice.id, "token-b", t0 + 200, t0)));
  ASSERT_TRUE(run(db_->revoke_token(alice.id, "token-a", t0 + 100, t0))) << "revoking again changes nothing";
  ASSERT_TRUE(run(db_->revoke_token(bob.id, "token-c", t0 + 100, t0)));

  auto ids = run(db_->get_credential_state(alice.id, t0)).value().revoked_token_ids;
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::string>{"token-a", "token-b"}));
  EXPECT_EQ(run(db_->get_credential_state(bob.id, t0)).value().revoked_token_ids,
            std::vector<std::string>{"token-c"});
  // Past its expiry a token is refused anyway: it need not be listed any more.
  EXPECT_EQ(run(db_->get_credential_state(alice.id, t0 + 150)).value().revoked_token_ids,
            std::vector<std::string>{"token-b"});
  EXPECT_TRUE(run(db_->get_credential_state(alice.id, t0 + 200)).value().revoked_token_ids.empty());
  EXPECT_FAILS_WITH(run(db_->revoke_token(424242, "token-d", t0 + 100, t0)), errc::not_found);
}

TEST_P(store_contract, SetPasswordReplacesTheHashAndRaisesTheGeneration) {
  auto alice = add_user("alice");
  EXPECT_EQ(run(db_->set_password(alice.id, "new hash")).value(), 1);
  EXPECT_EQ(run(db_->set_password(alice.id, "newer hash")).value(), 2);
  auto credentials = run(db_->find_credentials("alice")).value();
  EXPECT_EQ(credentials.password_hash, "newer hash");
  EXPECT_EQ(credentials.token_generation, 2);
  EXPECT_EQ(run(db_->get_credential_state(alice.id, t0)).value().token_generation, 2);
  EXPECT_EQ(run(db_->find_credentials("bob")).error().code, errc::not_found);
  EXPECT_FAILS_WITH(run(db_->set_password(424242, "hash")), errc::not_found);
}

TEST_P(store_contract, SearchMatchesPrefixIgnoringCase) {
  add_user("Carla");
  add_user("dave");
  auto me = add_user("zed");
  EXPECT_EQ(names(run(db_->search_users("cAR", me.id, 10)).value()), std::vector<std::string>{"Carla"});
  EXPECT_EQ(names(run(db_->search_users("DA", me.id, 10)).value()), std::vector<std::string>{"dave"});
  EXPECT_TRUE(run(db_->search_users("xyz", me.id, 10)).value().empty());
}

TEST_P(store_contract, SearchIsOrderedByUsernameLimitedAndExcludesCaller) {
  add_user("cartman");
  add_user("carol");
  auto carmen = add_user("carmen");
  add_user("caroline");
  add_user("dave");
  EXPECT_EQ(names(run(db_->search_users("car", carmen.id, 3)).value()),
            (std::vector<std::string>{"carol", "caroline", "cartman"}));
  EXPECT_EQ(names(run(db_->search_users("car", carmen.id, 1)).value()), std::vector<std::string>{"carol"});
}

TEST_P(store_contract, SearchTreatsWildcardsLiterally) {
  add_user("a_b");
  add_user("axb");
  add_user("a%c");
  add_user("abc");
  auto me = add_user("zed");
  EXPECT_EQ(names(run(db_->search_users("a_", me.id, 10)).value()), std::vector<std::string>{"a_b"});
  EXPECT_EQ(names(run(db_->search_users("a%", me.id, 10)).value()), std::vector<std::string>{"a%c"});
}

// --- chats

TEST_P(store_contract, PrivateChatIsCreatedOnceForEitherOrder) {
  auto a = add_user("alice");
  auto b = add_user("bob");
  auto first = run(db_->find_or_create_private_chat(a.id, b.id, t0)).value();
  EXPECT_TRUE(first.created);
  EXPECT_EQ(first.info.kind, chat_kind::private_chat);
  EXPECT_EQ(first.info.name, "");
  EXPECT_EQ(first.info.last_seq, 0);
  EXPECT_EQ(member_ids(first.info), (std::set<user_id>{a.id, b.id}));
  for (auto const& m : first.info.members) EXPECT_EQ(m.role, member_role::member);
  EXPECT_EQ(find_member(first.info, b.id)->username, "bob");

  auto second = run(db_->find_or_create_private_chat(b.id, a.id, t0 + 1)).value();
  EXPECT_FALSE(second.created);
  EXPECT_EQ(second.info.id, first.info.id);
}

TEST_P(store_contract, ConcurrentPrivateChatCreationYieldsOneChat) {
  auto a = add_user("alice");
  auto b = add_user("bob");
  std::vector<task<outcome<store::private_chat_result>>> work;
  for (int i = 0; i < 8; ++i) {
    work.push_back(i % 2 ? db_->find_or_create_private_chat(a.id, b.id, t0)
                         : db_->find_or_create_private_chat(b.id, a.id, t0));
  }
  int created = 0;
  std::set<chat_id> ids;
  for (auto& r : run_concurrently(std::move(work))) {
    ASSERT_TRUE(r.has_value()) << r.error().detail;
    created += r->created ? 1 : 0;
    ids.insert(r->info.id);
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(ids.size(), 1u);
}

TEST_P(store_contract, PrivateChatWithUnknownUserIsNotFound) {
  auto a = add_user("alice");
  EXPECT_FAILS_WITH(run(db_->find_or_create_private_chat(a.id, 424242, t0)), errc::not_found);
  EXPECT_TRUE(run(db_->list_chats(a.id)).value().empty());
}

TEST_P(store_contract, GroupCreatorIsAdminAndMembersAreDeduplicated) {
  auto a = add_user("alice");
  auto b = add_user("bob");
  auto c = add_user("carol");
  auto g = run(db_->create_group_chat(a.id, "Team", {b.id, c.id, b.id, a.id}, t0 + 7)).value();
  EXPECT_EQ(g.kind, chat_kind::group);
  EXPECT_EQ(g.name, "Team");
  EXPECT_EQ(g.created_by, a.id);
  EXPECT_EQ(g.created_at, t0 + 7);
  EXPECT_EQ(g.last_activity_at, t0 + 7);
  EXPECT_EQ(g.last_seq, 0);
  ASSERT_EQ(g.members.size(), 3u);
  EXPECT_EQ(find_member(g, a.id)->role, member_role::admin);
  EXPECT_EQ(find_member(g, b.id)->role, member_role::member);
  EXPECT_EQ(find_member(g, c.id)->username, "carol");
  EXPECT_EQ(find_member(g, c.id)->joined_at, t0 + 7);
  EXPECT_EQ(find_member(g, c.id)->last_read_seq, 0);

  auto fetched = run(db_->get_chat(g.id)).value();
  EXPECT_EQ(fetched.name, "Team");
  EXPECT_EQ(member_ids(fetched), (std::set<user_id>{a.id, b.id, c.id}));
}

TEST_P(store_contract, GroupWithUnknownMemberIsNotFoundAndNotCreated) {
  auto a = add_user("alice");
  auto b = add_user("bob");
  EXPECT_FAILS_WITH(run(db_->create_group_chat(a.id, "Team", {b.id, 424242}, t0)), errc::not_found);
  EXPECT_TRUE(run(db_->list_chats(a.id)).value().empty());
  EXPECT_TRUE(run(db_->list_chats(b.id)).value().empty());
}

TEST_P(store_contract, UnknownChatIsNotFound) {
  EXPECT_FAILS_WITH(run(db_->get_chat(424242)), errc::not_found);
}

TEST_P(store_contract, MembershipIsTheRecordOrNothing) {
  auto a = add_user("alice");
  auto b = add_user("bob");
  auto outsider = add_user("eve");
  auto g = group(a.id, {b.id});
  auto record = run(db_->get_membership(g.id, a.id)).value();
  ASSERT_TRUE(record.has_value());
  EXPECT_EQ(record->id, a.id);
  EXPECT_EQ(record->username, "alice");
  EXPECT_EQ(record->role, member_role::admin);
  EXPECT_FALSE(run(db_->get_membership(g.id, outsider.id)).value().has_value());
  EXPECT_FALSE(run(db_->get_membership(424242, a.id)).value().has_value());
}

TEST_P(store_contract, AddMemberAddsOnceAndKeepsTheExistingRecord) {
  auto a = add_user("alice");
  auto b = add_user("bob");
  auto g = group(a.id, {});
  auto added = run(db_->add_member(g.id, b.id, member_role::member, t0 + 3)).value();
  auto const* bob = find_member(added.info, b.id);
  ASSERT_NE(bob, nullptr);
  EXPECT_EQ(bob->username, "bob");
  EXPECT_EQ(bob->role, member_role::member);
  EXPECT_EQ(bob->joined_at, t0 + 3);
  EXPECT_EQ(added.change, added.info.last_change);
  EXPECT_GT(added.change, 0);

  auto again = run(db_->add_member(g.id, b.id, member_role::admin, t0 + 9)).value();
  EXPECT_EQ(again.change, 0);  // nothing changed, nothing to announce
  EXPECT_EQ(find_member(again.info, b.id)->role, member_role::member);
  EXPECT_EQ(find_member(again.info, b.id)->joined_at, t0 + 3);
  EXPECT_EQ(run(db_->get_chat(g.id)).value().members.size(), 2u);
}

TEST_P(store_contract, AddMemberToUnknownChatOrOfUnknownUserIsNotFound) {
  auto a = add_user("alice");
  auto g = group(a.id, {});
  EXPECT_FAILS_WITH(run(db_->add_member(424242, a.id, member_role::member, t0)), errc::not_found);
  EXPECT_FAILS_WITH(run(db_->add_member(g.id, 424242, member_role::member, t0)), errc::not_found);
}

TEST_P(store_contract, RemoveMemberRemovesAndRejectsNonMembers) {
  auto a = add_user("alice");
  auto b = add_user("bob");
  auto g = group(a.id, {b.id});
  ASSERT_TRUE(run(db_->remove_member(g.id, b.id)).has_value());
  EXPECT_FALSE(run(db_->get_membership(g.id, b.id)).value().has_value());
  EXPECT_TRUE(run(db_->list_chats(b.id)).value().empty());
  EXPECT_FAILS_WITH(run(db_->remove_member(g.id, b.id)), errc::not_found);
  EXPECT_FAILS_WITH(run(db_->remove_member(424242, a.id)), errc::not_found);
}

TEST_P(store_contract, LastAdminLeavingPromotesTheLongestStandingMember) {
  auto a = add_user("alice");
  auto b = add_user("bob");
  auto c = add_user("carol");
  auto g = group(a.id, {}, t0);
  // Added out of join order, so the promotion must follow joined_at, not insertion order.
  run(db_->add_member(g.id, c.id, member_role::member, t0 + 300)).value();
  run(db_->add_member(g.id, b.id, member_role::member, t0 + 200)).value();
  ASSERT_TRUE(run(db_->remove_member(g.id, a.id)).has_value());
  auto after = run(db_->get_chat(g.id)).value();
  ASSERT_EQ(after.members.size(), 2u);
  EXPECT_EQ(find_member(after, b.id)->role, member_role::admin);
  EXPECT_EQ(find_member(after, c.id)->role, member_role::member);
}

TEST_P(store_contract, AdminLeavingWhileAnotherAdminRemainsPromotesNobody) {
  auto a = add_user("alice");
  auto b = add_user("bob");
  auto c = add_user("carol");
  auto g = group(a.id, {b.id}, t0);
  run(db_->add_member(g.id, c.id, member_role::admin, t0 + 100)).value();
  ASSERT_TRUE(run(db_->remove_member(g.id, a.id)).has_value());
  auto after = run(db_->get_chat(g.id)).value();
  EXPECT_EQ(find_member(after, b.id)->role, member_role::member);
  EXPECT_EQ(find_member(after, c.id)->role, member_role::admin);
}

TEST_P(store_contract, LastMemberCanLeaveAGroup) {
  auto a = add_user("alice");
  auto g = group(a.id, {});
  ASSERT_TRUE(run(db_->remove_member(g.id, a.id)).has_value());
  EXPECT_TRUE(run(db_->list_chats(a.id)).value().empty());
}

TEST_P(store_contract, ChatListIsNewestActivityFirstWithLastMessageAndUnread) {
  auto a = add_user("alice");
  auto b = add_user("bob");
  auto c = add_user("carol");
  EXPECT_TRUE(run(db_->list_chats(a.id)).value().empty());
  auto older = group(a.id, {b.id}, t0 + 100);
  auto newer = run(db_->find_or_create_private_chat(a.id, c.id, t0 + 200)).value().info;

  auto empty_chats = run(db_->list_chats(a.id)).value();
  ASSERT_EQ(empty_chats.size(), 2u);
  EXPECT_EQ(empty_chats[0].info.id, newer.id);  // empty chats rank by creation time
  EXPECT_EQ(empty_chats[1].info.id, older.id);
  EXPECT_FALSE(empty_chats[0].last_message.has_value());
  EXPECT_EQ(empty_chats[0].unread_count, 0);

  send(older.id, b.id, "first", t0 + 300);
  auto last = send(older.id, b.id, "second", t0 + 400).stored;
  auto list = run(db_->list_chats(a.id)).value();
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0].info.id, older.id);
  EXPECT_EQ(list[1].info.id, newer.id);
  ASSERT_TRUE(list[0].last_message.has_value());
  EXPECT_EQ(list[0].last_message->id, last.id);
  EXPECT_EQ(list[0].last_message->text, "second");
  EXPECT_EQ(list[0].last_message->sender_username, "bob");
  EXPECT_EQ(list[0].unread_count, 2);
  EXPECT_EQ(list[0].my_last_read_seq, 0);
  EXPECT_EQ(list[0].info.last_seq, 2);
  EXPECT_EQ(member_ids(list[0].info), (std::set<user_id>{a.id, b.id}));
  EXPECT_EQ(find_member(list[0].info, b.id)->username, "bob");
  EXPECT_EQ(member_ids(list[1].info), (std::set<user_id>{a.id, c.id}));

  auto for_b = run(db_->list_chats(b.id)).value();
  ASSERT_EQ(for_b.size(), 1u);
  EXPECT_EQ(for_b[0].unread_count, 0);  // the sender has read its own messages
  EXPECT_EQ(for_b[0].my_last_read_seq, 2);
}

TEST_P(store_contract, ChatIdsAndContactsFollowMembership) {
  auto a = add_user("alice");
  auto b = add_user("bob");
  auto c = add_user("carol");
  auto d = add_user("dave");
  auto loner = add_user("erin");
  auto g = group(a.id, {b.id, c.id}, t0);
  auto ad = run(db_->find_or_create_private_chat(a.id, d.id, t0 + 1)).value().info;
  auto bc = run(db_->find_or_create_private_chat(b.id, c.id, t0 + 2)).value().info;
  auto ids = [&](user_id u) {
    auto v = run(db_->chat_ids_of(u)).value();
    return std::multiset<chat_id>(v.begin(), v.end());
  };
  // A multiset: someone met in two chats must still come once.
  auto contacts = [&](user_id u) {
    auto v = run(db_->contacts_of(u)).value();
    return std::multiset<user_id>(v.begin(), v.end());
  };
  EXPECT_EQ(ids(a.id), (std::multiset<chat_id>{g.id, ad.id}));
  EXPECT_EQ(ids(b.id), (std::multiset<chat_id>{g.id, bc.id}));
  EXPECT_EQ(ids(d.id), (std::multiset<chat_id>{ad.id}));
  EXPECT_TRUE(ids(loner.id).empty());
  EXPECT_EQ(contacts(a.id), (std::multiset<user_id>{b.id, c.id, d.id}));
  EXPECT_EQ(contacts(b.id), (std::multiset<user_id>{a.id, c.id}));  // carol in the group and in private
  EXPECT_EQ(contacts(d.id), (std::multiset<user_id>{a.id}));
  EXPECT_TRUE(contacts(loner.id).empty());

  ASSERT_TRUE(run(db_->remove_member(g.id, b.id)).has_value());
  EXPECT_EQ(ids(b.id), (std::multiset<chat_id>{bc.id}));
  EXPECT_EQ(contacts(b.id), (std::multiset<user_id>{c.id}));
  EXPECT_EQ(contacts(a.id), (std::multiset<user_id>{c.id, d.id}));

  ASSERT_TRUE(run(db_->add_member(g.id, d.id, member_role::member, t0 + 3)).has_value());
  EXPECT_EQ(ids(d.id), (std::multiset<chat_id>{g.id, ad.id}));
  EXPECT_EQ(contacts(d.id), (std::multiset<user_id>{a.id, c.id}));
  EXPECT_EQ(contacts(c.id), (std::multiset<user_id>{a.id, b.id, d.id}));
}

// --- messages

TEST_P(store_contract, AppendAssignsConsecutiveSeqsAndUpdatesTheChat) {
  auto a = add_user("alice");
  auto b = add_user("bob");
  auto g = group(a.id, {b.id}, t0);
  auto m1 = send(g.id, a.id, "hello", t0 + 10, "c-1");
  EXPECT_FALSE(m1.duplicate);
  EXPECT_GT(m1.stored.id, 0);
  EXPECT_EQ(m1.stored.chat, g.id);
  EXPECT_EQ(m1.stored.seq, 1);
  EXPECT_EQ(m1.stored.sender_id, a.id);
  EXPECT_EQ(m1.stored.sender_username, "alice");
  EXPECT_EQ(m1.stored.text, "hello");
  EXPECT_EQ(m1.stored.client_message_id, "c-1");
  EXPECT_EQ(m1.stored.created_at, t0 + 10);
  EXPECT_EQ(send(g.id, b.id, "hi", t0 + 20).stored.seq, 2);
  EXPECT_EQ(send(g.id, a.id, "bye", t0 + 30).stored.seq, 3);
  auto info = run(db_->get_chat(g.id)).value();
  EXPECT_EQ(info.last_seq, 3);
  EXPECT_EQ(info.last_activity_at, t0 + 30);
  auto mine = run(db_->get_membership(g.id, a.id)).value();
  EXPECT_EQ(mine->last_read_seq, 3);  // the sender has read its own message

  auto fetched = run(db_->get_message(m1.stored.id)).value();
  EXPECT_EQ(fetched.seq, 1);
  EXPECT_EQ(fetched.text, "hello");
  EXPECT_EQ(fetched.sender_username, "alice");
  EXPECT_EQ(fetched.client_message_id, "c-1");
}

TEST_P(store_contract, SeqsArePerChat) {
  auto a = add_user("alice");
  auto g1 = group(a.id, {});
  auto g2 = group(a.id, {});
  send(g1.id, a.id, "one");
  send(g1.id, a.id, "two");
  EXPECT_EQ(send(g2.id, a.id, "other").stored.seq, 1);
}

TEST_P(store_contract, ResendWithSameClientMessageIdReturnsTheFirstMessage) {
  auto a = add_user("alice");
  auto g = group(a.id, {});
  auto first = send(g.id, a.id, "hello", t0, "c-1");
  auto again = send(g.id, a.id, "hello (retry)", t0 + 5, "c-1");
  EXPECT_TRUE(again.duplicate);
  EXPECT_EQ(again.stored.id, first.stored.id);
  EXPECT_EQ(again.stored.seq, 1);
  EXPECT_EQ(again.stored.text, "hello");
  EXPECT_EQ(run(db_->get_chat(g.id)).value().last_seq, 1);

  EXPECT_EQ(send(g.id, a.id, "next", t0, "c-2").stored.seq, 2);
  EXPECT_EQ(send(g.id, a.id, "no id").stored.seq, 3);
  EXPECT_EQ(send(g.id, a.id, "no id").stored.seq, 4);  // without a client id nothing is deduplicated
}

TEST_P(store_contract, ClientMessageIdsOfDifferentSendersDoNotCollide) {
  auto a = add_user("alice");
  auto b = add_user("bob");
  auto g = group(a.id, {b.id});
  send(g.id, a.id, "from alice", t0, "same");
  auto other = send(g.id, b.id, "from bob", t0, "same");
  EXPECT_FALSE(other.duplicate);
  EXPECT_EQ(other.stored.seq, 2);
}

TEST_P(store_contract, AppendByNonMemberIsForbiddenAndToUnknownChatIsNotFound) {
  auto a = add_user("alice");
  auto outsider = add_user("eve");
  auto g = group(a.id, {});
  EXPECT_FAILS_WITH(run(db_->append_message({g.id, outsider.id, "hi", std::nullopt, t0, std::nullopt})),
                    errc::forbidden);
  EXPECT_FAILS_WITH(run(db_->append_message({424242, a.id, "hi", std::nullopt, t0, std::nullopt})),
                    errc::not_found);
  EXPECT_EQ(run(db_->get_chat(g.id)).value().last_seq, 0);
}

TEST_P(store_contract, ConcurrentAppendsGetDistinctConsecutiveSeqs) {
  auto a = add_user("alice");
  auto b = add_user("bob");
  auto g = group(a.id, {b.id});
  std::vector<task<outcome<appended_message>>> work;
  for (int i = 0; i < 20; ++i) {
    work.push_back(db_->append_message(
        {g.id, i % 2 ? a.id : b.id, "m" + std::to_string(i), std::nullopt, t0 + i, std::nullopt}));
  }
  std::vector<std::int64_t> got;
  for (auto& r : run_concurrently(std::move(work))) {
    ASSERT_TRUE(r.has_value()) << r.error().detail;
    got.push_back(r->stored.seq);
  }
  std::sort(got.begin(), got.end());
  std::vector<std::int64_t> expected(20);
  for (int i = 0; i < 20; ++i) expected[i] = i + 1;
  EXPECT_EQ(got, expected);
  EXPECT_EQ(run(db_->get_chat(g.id)).value().last_seq, 20);
}

// Sends that arrive together are committed together; each still gets exactly its own answer.
TEST_P(store_contract, ABurstOfAppendsAnswersEachSendOnItsOwn) {
  auto a = add_user("alice");
  auto b = add_user("bob");
  auto outsider = add_user("mallory");
  auto first = group(a.id, {b.id});
  auto second = group(b.id, {});
  std::vector<task<outcome<appended_message>>> work;
  for (int i = 0; i < 30; ++i) {
    work.push_back(db_->append_message({i % 2 ? first.id : second.id, b.id, "m" + std::to_string(i),
                                        "burst-" + std::to_string(i % 10), t0 + i, std::nullopt}));
  }
  work.push_back(db_->append_message({first.id, outsider.id, "intruder", std::nullopt, t0, std::nullopt}));
  work.push_back(db_->append_message({424242, a.id, "nowhere", std::nullopt, t0, std::nullopt}));
  auto results = run_concurrently(std::move(work));
  ASSERT_EQ(results.size(), 32u);
  EXPECT_FAILS_WITH(results[30], errc::forbidden);
  EXPECT_FAILS_WITH(results[31], errc::not_found);
  std::map<std::string, message_id> by_client_id;
  int stored = 0;
  for (int i = 0; i < 30; ++i) {
    ASSERT_TRUE(results[i].has_value()) << results[i].error().detail;
    auto const& r = *results[i];
    auto [it, fresh] = by_client_id.emplace(*r.stored.client_message_id, r.stored.id);
    EXPECT_EQ(it->second, r.stored.id) << "one message per client_message_id";
    stored += r.duplicate ? 0 : 1;
    // The members come back with the message, so the event can be addressed without another query.
    auto expected_members =
        r.stored.chat == first.id ? std::vector<user_id>{a.id, b.id} : std::vector<user_id>{b.id};
    auto members = r.members;
    std::sort(members.begin(), members.end());
    EXPECT_EQ(members, expected_members);
  }
  EXPECT_EQ(stored, 10) << "one send per client_message_id stored, the others told they are duplicates";
  auto last_first = run(db_->get_chat(first.id)).value().last_seq;
  auto last_second = run(db_->get_chat(second.id)).value().last_seq;
  EXPECT_EQ(last_first + last_second, 10);
  EXPECT_EQ(run(db_->history({first.id, 100, 0, {}, {}})).value().size(),
            static_cast<std::size_t>(last_first));
}

TEST_P(store_contract, HistoryPagesAscendingByOffsetAndCursors) {
  auto a = add_user("alice");
  auto g = group(a.id, {});
  auto other = group(a.id, {});
  for (int i = 1; i <= 10; ++i) {
    send(g.id, a.id, "m" + std::to_string(i), t0 + i);
    send(other.id, a.id, "noise", t0 + i);
  }
  auto page = [&](int limit, int offset, std::optional<std::int64_t> before,
                  std::optional<std::int64_t> after) {
    return seqs(run(db_->history({g.id, limit, offset, before, after})).value());
  };
  using seq_list = std::vector<std::int64_t>;
  EXPECT_EQ(page(3, 0, {}, {}), (seq_list{8, 9, 10}));
  EXPECT_EQ(page(3, 2, {}, {}), (seq_list{6, 7, 8}));
  EXPECT_EQ(page(3, 9, {}, {}), (seq_list{1}));
  EXPECT_EQ(page(3, 10, {}, {}), seq_list{});
  EXPECT_EQ(page(3, 0, 5, {}), (seq_list{2, 3, 4}));
  EXPECT_EQ(page(10, 0, 3, {}), (seq_list{1, 2}));
  EXPECT_EQ(page(3, 0, 1, {}), seq_list{});
  EXPECT_EQ(page(3, 0, {}, 5), (seq_list{6, 7, 8}));
  EXPECT_EQ(page(3, 0, {}, 9), (seq_list{10}));
  EXPECT_EQ(page(3, 0, {}, 10), seq_list{});
  EXPECT_EQ(page(3, 0, {}, 0), (seq_list{1, 2, 3}));

  auto messages = run(db_->history({g.id, 1, 0, {}, {}})).value();
  ASSERT_EQ(messages.size(), 1u);
  EXPECT_EQ(messages[0].chat, g.id);
  EXPECT_EQ(messages[0].text, "m10");
  EXPECT_EQ(messages[0].sender_username, "alice");
  EXPECT_EQ(messages[0].created_at, t0 + 10);
}

TEST_P(store_contract, UnknownMessageIsNotFound) {
  EXPECT_FAILS_WITH(run(db_->get_message(424242)), errc::not_found);
}

TEST_P(store_contract, MarkReadAdvancesClampsAndNeverMovesBack) {
  auto a = add_user("alice");
  auto b = add_user("bob");
  auto g = group(a.id, {b.id});
  for (int i = 0; i < 5; ++i) send(g.id, a.id, "m");

  auto first = run(db_->mark_read(g.id, b.id, 3)).value();
  EXPECT_EQ(first.chat, g.id);
  EXPECT_EQ(first.reader, b.id);
  EXPECT_EQ(first.last_read_seq, 3);
  EXPECT_TRUE(first.advanced);

  auto back = run(db_->mark_read(g.id, b.id, 2)).value();
  EXPECT_EQ(back.last_read_seq, 3);
  EXPECT_FALSE(back.advanced);

  auto past_end = run(db_->mark_read(g.id, b.id, 100)).value();
  EXPECT_EQ(past_end.last_read_seq, 5);
  EXPECT_TRUE(past_end.advanced);
  EXPECT_FALSE(run(db_->mark_read(g.id, b.id, 5)).value().advanced);

  EXPECT_EQ(run(db_->get_membership(g.id, b.id)).value()->last_read_seq, 5);
  auto list = run(db_->list_chats(b.id)).value();
  ASSERT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0].unread_count, 0);
  EXPECT_EQ(list[0].my_last_read_seq, 5);
}

TEST_P(store_contract, MarkReadByNonMemberIsForbidden) {
  auto a = add_user("alice");
  auto outsider = add_user("eve");
  auto g = group(a.id, {});
  send(g.id, a.id, "m");
  EXPECT_FAILS_WITH(run(db_->mark_read(g.id, outsider.id, 1)), errc::forbidden);
}

// --- operations

TEST_P(store_contract, MigrateAgainAppliesNothing) { EXPECT_EQ(run(db_->migrate()).value(), 0); }

TEST_P(store_contract, HealthIsOk) {
  auto health = run(db_->health());
  EXPECT_TRUE(health.ok) << health.detail;
  EXPECT_EQ(health.backend, GetParam().name == "sqlite" ? "sqlite" : "postgresql");
}

INSTANTIATE_TEST_SUITE_P(backends, store_contract, ::testing::ValuesIn(store_backends()),
                         [](::testing::TestParamInfo<store_backend> const& info) { return info.param.name; });

}  // namespace
}  // namespace windi::testing
