// The store contract for message search (store::search_messages): what matches, in whose chats, in which
// order, and how the index follows edits, deletions and membership. Runs against every backend.
#include "contract/search_marks.hpp"
#include "contract/store_fixture.hpp"
#include "core/search_query.hpp"

namespace windi::testing {
namespace {

class store_search : public store_contract {
 protected:
  void SetUp() override {
    store_contract::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    alice_ = add_user("alice");
    bob_ = add_user("bob");
    carol_ = add_user("carol");
    team_ = run(db_->create_group_chat(alice_.id, "Team", {bob_.id}, t0)).value();
  }

  // What `typed` finds for `who` (parsed as the search box parses it), newest first.
  std::vector<search_hit> search(user const& who, std::string_view typed, search_request extra = {}) {
    auto parsed = parse_search_query(typed);
    EXPECT_TRUE(parsed.has_value()) << typed;
    extra.user = who.id;
    extra.terms = parsed.value().terms;
    if (extra.limit == 20) extra.limit = 50;
    auto hits = run(db_->search_messages(extra));
    EXPECT_TRUE(hits.has_value()) << typed << ": " << (hits ? "" : hits.error().detail);
    return hits ? *hits : std::vector<search_hit>{};
  }

  std::vector<std::string> texts(user const& who, std::string_view typed, search_request extra = {}) {
    std::vector<std::string> out;
    for (auto const& hit : search(who, typed, std::move(extra))) out.push_back(hit.found.text);
    return out;
  }

  using strings = std::vector<std::string>;

  user alice_, bob_, carol_;
  chat team_;
};

search_request narrowed(std::vector<chat_id> chats, std::optional<user_id> sender = std::nullopt) {
  search_request r;
  r.chats = std::move(chats);
  r.sender = sender;
  return r;
}

search_request older_than(std::optional<message_id> before, int limit) {
  search_request r;
  r.before = before;
  r.limit = limit;
  return r;
}

TEST_P(store_search, FindsEveryWordInTheCallersChatsOnlyNewestFirst) {
  auto outside = run(db_->create_group_chat(carol_.id, "Elsewhere", {bob_.id}, t0)).value();
  send(team_.id, alice_.id, "the budget for march");
  send(outside.id, carol_.id, "the budget for april");
  send(team_.id, bob_.id, "no money talk here");
  send(team_.id, bob_.id, "march budget approved");
  EXPECT_EQ(texts(alice_, "budget march "), (strings{"march budget approved", "the budget for march"}));
  EXPECT_EQ(texts(carol_, "budget "), (strings{"the budget for april"}));
  EXPECT_EQ(texts(bob_, "budget ").size(), 3u);
  EXPECT_TRUE(texts(alice_, "budget june ").empty());
}

TEST_P(store_search, EnglishAndRussianWordFormsCaseAndAccentsMatch) {
  send(team_.id, alice_.id, "One message for you");
  send(team_.id, alice_.id, "Новое сообщение от команды");
  send(team_.id, alice_.id, "Meet at the Café Noir");
  send(team_.id, alice_.id, "ЁЛКА В ОФИСЕ");
  EXPECT_EQ(texts(alice_, "messages "), (strings{"One message for you"}));
  EXPECT_EQ(texts(alice_, "MESSAGING "), (strings{"One message for you"}));
  EXPECT_EQ(texts(alice_, "сообщения "), (strings{"Новое сообщение от команды"}));
  EXPECT_EQ(texts(alice_, "КОМАНДА "), (strings{"Новое сообщение от команды"}));
  EXPECT_EQ(texts(alice_, "cafe "), (strings{"Meet at the Café Noir"}));
  EXPECT_EQ(texts(alice_, "CAFÉ noir "), (strings{"Meet at the Café Noir"}));
  EXPECT_EQ(texts(alice_, "ёлка "), (strings{"ЁЛКА В ОФИСЕ"}));
  EXPECT_EQ(texts(alice_, "елки "), (strings{"ЁЛКА В ОФИСЕ"}));  // ё is often typed as е
  EXPECT_EQ(texts(alice_, "офис "), (strings{"ЁЛКА В ОФИСЕ"}));
}

TEST_P(store_search, CyrillicAndLatinWorkInOneQuery) {
  send(team_.id, alice_.id, "Отчёт про budget готов");
  send(team_.id, alice_.id, "Отчёт без денег");
  EXPECT_EQ(texts(alice_, "отчёт budget "), (strings{"Отчёт про budget готов"}));
}

TEST_P(store_search, APhraseMatchesItsWordsInOrderAndTogether) {
  send(team_.id, alice_.id, "the release notes are out");
  send(team_.id, alice_.id, "notes on the release");
  send(team_.id, alice_.id, "release the final notes");
  EXPECT_EQ(texts(alice_, "\"release notes\""), (strings{"the release notes are out"}));
  EXPECT_EQ(texts(alice_, "release notes ").size(), 3u);
}

TEST_P(store_search, ExcludedWordsAndPhrasesRemoveMessages) {
  send(team_.id, alice_.id, "plan for monday");
  send(team_.id, alice_.id, "draft plan for tuesday");
  send(team_.id, alice_.id, "plan the old way");
  EXPECT_EQ(texts(alice_, "plan -draft -\"old way\""), (strings{"plan for monday"}));
  EXPECT_EQ(texts(alice_, "plan -drafts"), (strings{"plan the old way", "plan for monday"}));
}

TEST_P(store_search, TheLastWordWhileTypedMatchesAsAPrefix) {
  send(team_.id, alice_.id, "hello world");
  send(team_.id, alice_.id, "help wanted");
  send(team_.id, alice_.id, "сообщение дойдёт");
  send(team_.id, alice_.id, "three messages waiting");
  EXPECT_EQ(texts(alice_, "hel"), (strings{"help wanted", "hello world"}));
  EXPECT_EQ(texts(alice_, "hell"), (strings{"hello world"}));
  EXPECT_EQ(texts(alice_, "world hel"), (strings{"hello world"}));
  EXPECT_EQ(texts(alice_, "сооб"), (strings{"сообщение дойдёт"}));
  EXPECT_EQ(texts(alice_, "message"), (strings{"three messages waiting"}));
  EXPECT_TRUE(texts(alice_, "hex").empty());
}

TEST_P(store_search, WordsThatAreOperatorsElsewhereAreJustWords) {
  send(team_.id, alice_.id, "NOT now OR never AND NEAR");
  send(team_.id, alice_.id, "something else");
  EXPECT_EQ(texts(alice_, "not or and near "), (strings{"NOT now OR never AND NEAR"}));
  EXPECT_EQ(texts(alice_, "\"or never\" -\"AND NOT\""), (strings{"NOT now OR never AND NEAR"}));
}

TEST_P(store_search, AnEditedMessageIsFoundByItsNewTextOnly) {
  auto sent = send(team_.id, alice_.id, "meeting at noon").stored;
  run(db_->edit_message(sent.id, alice_.id, "lunch at one", t0 + 1)).value();
  EXPECT_TRUE(texts(alice_, "noon ").empty());
  auto hits = search(alice_, "lunch ");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].found.id, sent.id);
  EXPECT_EQ(hits[0].found.text, "lunch at one");
  EXPECT_TRUE(hits[0].found.edited_at.has_value());
}

TEST_P(store_search, ADeletedMessageIsNeverFound) {
  auto sent = send(team_.id, alice_.id, "secret password hunter2").stored;
  send(team_.id, alice_.id, "password policy");
  run(db_->delete_message(sent.id, alice_.id, t0 + 1)).value();
  EXPECT_EQ(texts(alice_, "password "), (strings{"password policy"}));
  EXPECT_TRUE(texts(alice_, "hunter2 ").empty());
  EXPECT_TRUE(texts(alice_, "secr").empty());
}

TEST_P(store_search, AMemberWhoLeftNoLongerFindsTheChatsMessages) {
  send(team_.id, alice_.id, "quarterly numbers");
  EXPECT_EQ(texts(bob_, "quarterly ").size(), 1u);
  run(db_->remove_member(team_.id, bob_.id)).value();
  EXPECT_TRUE(texts(bob_, "quarterly ").empty());
  run(db_->add_member(team_.id, carol_.id, member_role::member, t0 + 1)).value();
  EXPECT_EQ(texts(carol_, "quarterly ").size(), 1u);  // history is visible to members, so is search
}

TEST_P(store_search, ChatsAndSenderNarrowTheSearch) {
  auto other = run(db_->create_group_chat(alice_.id, "Other", {carol_.id}, t0)).value();
  send(team_.id, alice_.id, "report from alice");
  send(team_.id, bob_.id, "report from bob");
  send(other.id, carol_.id, "report from carol");
  EXPECT_EQ(texts(alice_, "report ", narrowed({other.id})), (strings{"report from carol"}));
  EXPECT_EQ(texts(alice_, "report ", narrowed({}, bob_.id)), (strings{"report from bob"}));
  EXPECT_EQ(texts(alice_, "report ", narrowed({team_.id}, alice_.id)), (strings{"report from alice"}));
  // A chat the caller is not in finds nothing, even when named.
  EXPECT_TRUE(texts(bob_, "report ", narrowed({other.id})).empty());
}

TEST_P(store_search, PagesGoBackByIdWithoutGapsOrRepeats) {
  std::vector<message_id> sent;
  for (int i = 0; i < 7; ++i)
    sent.push_back(send(team_.id, alice_.id, "status update " + std::to_string(i)).stored.id);
  std::vector<message_id> seen;
  std::optional<message_id> before;
  for (int page = 0; page < 5; ++page) {
    auto hits = search(alice_, "status ", older_than(before, 3));
    if (hits.empty()) break;
    EXPECT_LE(hits.size(), 3u);
    for (auto const& h : hits) seen.push_back(h.found.id);
    before = hits.back().found.id;
  }
  EXPECT_EQ(seen, std::vector<message_id>(sent.rbegin(), sent.rend()));
}

TEST_P(store_search, AHitIsTheMessageAsHistoryShowsItWithItsChatAndAMarkedSnippet) {
  auto original = send(team_.id, bob_.id, "can someone review the deployment checklist").stored;
  auto answer = run(db_->append_message({team_.id, alice_.id, "I reviewed the checklist, deploying now",
                                         std::nullopt, t0 + 1, original.id}))
                    .value()
                    .stored;
  run(db_->set_reaction(answer.id, bob_.id, "👍", true, 20, t0 + 2)).value();
  auto hits = search(bob_, "checklist deploy ");
  ASSERT_EQ(hits.size(), 2u);
  auto const& hit = hits[0];
  EXPECT_EQ(hit.found.id, answer.id);
  EXPECT_EQ(hit.found.chat, team_.id);
  EXPECT_EQ(hit.found.sender_username, "alice");
  EXPECT_EQ(hit.chat_name, "Team");
  ASSERT_TRUE(hit.found.reply_to.has_value());
  EXPECT_EQ(hit.found.reply_to->id, original.id);
  ASSERT_EQ(hit.found.reactions.size(), 1u);
  EXPECT_EQ(hit.found.reactions[0].emoji, "👍");
  EXPECT_EQ(marked(hit.snippet), (strings{"checklist", "deploying"}));
  EXPECT_EQ(marked(hits[1].snippet), (strings{"deployment", "checklist"}));
  // Without its marks the snippet is the text (short texts are shown whole).
  EXPECT_EQ(unmarked(hit.snippet), answer.text);
}

TEST_P(store_search, APrivateChatIsNamedAfterTheOtherMember) {
  auto pair = run(db_->find_or_create_private_chat(alice_.id, carol_.id, t0)).value().info;
  send(pair.id, carol_.id, "lunch tomorrow?");
  auto for_alice = search(alice_, "lunch ");
  ASSERT_EQ(for_alice.size(), 1u);
  EXPECT_EQ(for_alice[0].chat_name, "carol");
  auto for_carol = search(carol_, "lunch ");
  ASSERT_EQ(for_carol.size(), 1u);
  EXPECT_EQ(for_carol[0].chat_name, "alice");
}

TEST_P(store_search, ALongTextGivesASnippetAroundTheMatch) {
  std::string text;
  for (int i = 0; i < 200; ++i) text += "filler" + std::to_string(i) + " ";
  text += "needle ";
  for (int i = 0; i < 200; ++i) text += "padding" + std::to_string(i) + " ";
  send(team_.id, alice_.id, text);
  auto hits = search(alice_, "needle ");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(hits[0].found.text, text);
  EXPECT_LT(hits[0].snippet.size(), 400u);
  EXPECT_EQ(marked(hits[0].snippet), (strings{"needle"}));
}

INSTANTIATE_TEST_SUITE_P(backends, store_search, ::testing::ValuesIn(store_backends()),
                         [](auto const& info) { return info.param.name; });

}  // namespace
}  // namespace windi::testing
