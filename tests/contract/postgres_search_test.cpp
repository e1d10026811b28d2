// Message search on PostgreSQL beyond the shared contract (store_search_contract_test.cpp): how its text
// search configuration splits, folds and stems text the contract does not spell out, and its snippets of
// texts that PostgreSQL's own ts_headline would alter.
#include "contract/search_marks.hpp"
#include "contract/store_fixture.hpp"
#include "core/search_query.hpp"

#include <libpq-fe.h>

#include <cstdlib>
#include <memory>
#include <stdexcept>

namespace windi::testing {
namespace {

constexpr int count = 12000;  // messages of one chat, for ManyMessages...

class postgres_search : public store_contract {
 protected:
  void SetUp() override {
    store_contract::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    alice_ = add_user("alice");
    team_ = run(db_->create_group_chat(alice_.id, "Team", {}, t0)).value();
  }

  std::vector<search_hit> search(std::string_view typed) {
    auto parsed = parse_search_query(typed);
    EXPECT_TRUE(parsed.has_value()) << typed;
    if (!parsed) return {};
    auto hits = run(db_->search_messages({.user = alice_.id, .terms = parsed->terms, .limit = 50}));
    EXPECT_TRUE(hits.has_value()) << typed << ": " << (hits ? "" : hits.error().detail);
    return hits ? *hits : std::vector<search_hit>{};
  }

  std::vector<std::string> texts(std::string_view typed) {
    std::vector<std::string> out;
    for (auto const& hit : search(typed)) out.push_back(hit.found.text);
    return out;
  }

  using strings = std::vector<std::string>;

  user alice_;
  chat team_;
};

// PostgreSQL's parser would keep these whole (an e-mail address, a host name, a number with a point); the
// query splits them into words, and so does the index.
TEST_P(postgres_search, WordsInsideAddressesAndDottedNamesAreWords) {
  send(team_.id, alice_.id, "write to bob@example.com or see https://docs.example.org/start");
  send(team_.id, alice_.id, "it ended.Then version 3.14 shipped");
  send(team_.id, alice_.id, "nothing here");
  EXPECT_EQ(texts("example ").size(), 1u);
  EXPECT_EQ(texts("docs start ").size(), 1u);
  EXPECT_EQ(texts("bob@example.com").size(), 1u);
  EXPECT_EQ(texts("then ").size(), 1u);
  EXPECT_EQ(texts("\"3 14\"").size(), 1u);
  EXPECT_EQ(texts("3.14 ").size(), 1u);
}

// An accented Latin word is stemmed as the English word it folds to, and a decomposed accent is an accent.
TEST_P(postgres_search, AccentedLatinWordsAreStemmedAsEnglish) {
  send(team_.id, alice_.id, "Naïve résumés attached");
  send(team_.id, alice_.id, "Cafe\xCC\x81 au lait");  // "Café" with a combining acute accent
  EXPECT_EQ(texts("naive resume "), (strings{"Naïve résumés attached"}));
  EXPECT_EQ(texts("RÉSUMÉ "), (strings{"Naïve résumés attached"}));
  EXPECT_EQ(texts("café "), (strings{"Cafe\xCC\x81 au lait"}));
  EXPECT_EQ(texts("cafe\xCC\x81 "), (strings{"Cafe\xCC\x81 au lait"}));
}

TEST_P(postgres_search, RussianWordFormsAndYoFolding) {
  send(team_.id, alice_.id, "Новый отчёт готов");
  send(team_.id, alice_.id, "новая задача");
  EXPECT_EQ(texts("новое ").size(), 2u);
  EXPECT_EQ(texts("отчет "), (strings{"Новый отчёт готов"}));
  EXPECT_EQ(texts("ОТЧЁТЫ "), (strings{"Новый отчёт готов"}));
  EXPECT_EQ(texts("зада"), (strings{"новая задача"}));
}

// Characters a query splits as letters but the index has nothing of (here a superscript two) leave nothing to
// search for: no error, no match, and an exclusion alone does not match everything.
TEST_P(postgres_search, AQueryWithNothingLeftToSearchForFindsNothing) {
  send(team_.id, alice_.id, "x squared");
  EXPECT_TRUE(texts("\xC2\xB2 ").empty());
  EXPECT_TRUE(texts("\xC2\xB2 -nothing").empty());
  EXPECT_TRUE(texts("\xC2\xB2").empty());
}

// Markup and runs of spaces stay as they were: the snippet of a short text is the text.
TEST_P(postgres_search, ASnippetKeepsTheTextAsWritten) {
  std::string const text = "<b>Deploy</b>   &amp; \"deploy\"\ttoday!  ";
  send(team_.id, alice_.id, text);
  auto hits = search("deploy ");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(unmarked(hits[0].snippet), text);
  EXPECT_EQ(marked(hits[0].snippet), (strings{"Deploy", "deploy"}));
}

TEST_P(postgres_search, PrefixAndPhraseMatchesAreMarked) {
  send(team_.id, alice_.id, "the release notes are out, helpers");
  auto hits = search("\"release notes\" help");
  ASSERT_EQ(hits.size(), 1u);
  EXPECT_EQ(marked(hits[0].snippet), (strings{"release", "notes", "helpers"}));
}

// A long text of two-byte letters: the snippet stays under 400 bytes, starts and ends between words, and
// marks the match.
TEST_P(postgres_search, ALongCyrillicTextGivesAShortSnippet) {
  std::string text;
  for (int i = 0; i < 150; ++i) text += "слово" + std::to_string(i) + ", ";
  text += "иголка ";
  for (int i = 0; i < 150; ++i) text += "строка" + std::to_string(i) + " ";
  send(team_.id, alice_.id, text);
  auto hits = search("иголки ");
  ASSERT_EQ(hits.size(), 1u);
  auto const& snippet = hits[0].snippet;
  EXPECT_LT(snippet.size(), 400u);
  EXPECT_EQ(marked(snippet), (strings{"иголка"}));
  auto const plain = unmarked(snippet);
  std::string_view const ellipsis = "\xE2\x80\xA6";
  ASSERT_TRUE(plain.starts_with(ellipsis) && plain.ends_with(ellipsis)) << plain;
  auto const inner = plain.substr(ellipsis.size(), plain.size() - 2 * ellipsis.size());
  EXPECT_NE(text.find(inner), std::string::npos) << inner;
  EXPECT_TRUE(inner.starts_with("слово")) << inner;
  EXPECT_TRUE(inner.find(" строка") != std::string::npos) << inner;
}

// Runs SQL on the test database beside the store (to write many messages at once).
void execute(std::string const& sql) {
  char const* url = std::getenv("WINDI_TEST_POSTGRES_URL");
  if (url == nullptr) throw std::runtime_error("WINDI_TEST_POSTGRES_URL is not set");
  std::unique_ptr<PGconn, decltype(&PQfinish)> conn(PQconnectdb(url), &PQfinish);
  if (PQstatus(conn.get()) != CONNECTION_OK) throw std::runtime_error(PQerrorMessage(conn.get()));
  std::unique_ptr<PGresult, decltype(&PQclear)> done(PQexec(conn.get(), sql.c_str()), &PQclear);
  auto const status = PQresultStatus(done.get());
  if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
    throw std::runtime_error(PQresultErrorMessage(done.get()));
  }
}

// Past 10,000 messages in the caller's chats the search no longer reads them all: a common word walks back
// from the newest, a word common only long ago walks a little and then takes the text index, a rare word
// takes the index at once. Each finds what reading them all would.
TEST_P(postgres_search, ManyMessagesAreSearchedTheSameWayWhicheverWayIsTaken) {
  auto bob = add_user("bob");
  auto big = run(db_->create_group_chat(alice_.id, "Big", {bob.id}, t0)).value();
  execute(
      "INSERT INTO messages (chat_id, seq, change_seq, sender_id, text, created_at) "
      "SELECT " +
      std::to_string(big.id) + ", i, i, CASE WHEN i % 2 = 0 THEN " + std::to_string(alice_.id) + " ELSE " +
      std::to_string(bob.id) +
      " END, 'filler ' || i || CASE WHEN i % 3 = 0 THEN ' common' ELSE '' END"
      " || CASE WHEN i <= 3000 THEN ' oldword' ELSE '' END"
      " || CASE WHEN i IN (5, 6000, 11990) THEN ' rare' ELSE '' END, i "
      "FROM generate_series(1, " +
      std::to_string(count) +
      ") i; "
      "UPDATE chats SET last_seq = " +
      std::to_string(count) + ", last_change = " + std::to_string(count) +
      " WHERE id = " + std::to_string(big.id) + "; ANALYZE messages;");
  auto const expected = [](auto keep, int limit) {
    strings out;
    for (int i = count; i >= 1 && static_cast<int>(out.size()) < limit; --i) {
      if (!keep(i)) continue;
      out.push_back("filler " + std::to_string(i) + (i % 3 == 0 ? " common" : "") +
                    (i <= 3000 ? " oldword" : "") + (i == 5 || i == 6000 || i == 11990 ? " rare" : ""));
    }
    return out;
  };
  auto const common = [](int i) { return i % 3 == 0; };
  auto const found = [&](std::string_view typed, search_request extra) {
    auto parsed = parse_search_query(typed);
    extra.user = alice_.id;
    extra.terms = parsed->terms;
    strings out;
    for (auto const& hit : run(db_->search_messages(extra)).value()) out.push_back(hit.found.text);
    return out;
  };

  EXPECT_EQ(found("common ", {.limit = 20}), expected(common, 20));
  EXPECT_EQ(found("oldword ", {.limit = 20}), expected([](int i) { return i <= 3000; }, 20));
  EXPECT_EQ(found("rare ", {.limit = 20}),
            expected([](int i) { return i == 5 || i == 6000 || i == 11990; }, 20));
  EXPECT_EQ(found("common oldword ", {.limit = 5}),
            expected([](int i) { return i % 3 == 0 && i <= 3000; }, 5));
  EXPECT_EQ(found("common ", {.sender = bob.id, .limit = 7}), expected([](int i) { return i % 6 == 3; }, 7));

  // Pages of a common word, by id, across the walk's end.
  std::optional<message_id> before;
  strings pages;
  for (int page = 0; page < 4; ++page) {
    auto hits = run(db_->search_messages({.user = alice_.id,
                                          .terms = parse_search_query("common ")->terms,
                                          .before = before,
                                          .limit = 50}))
                    .value();
    ASSERT_EQ(hits.size(), 50u);
    for (auto const& hit : hits) pages.push_back(hit.found.text);
    before = hits.back().found.id;
  }
  EXPECT_EQ(pages, expected(common, 200));
}

INSTANTIATE_TEST_SUITE_P(backends, postgres_search,
                         ::testing::Values(store_backend{"postgres", &open_empty_postgres_store}),
                         [](auto const& info) { return info.param.name; });

}  // namespace
}  // namespace windi::testing
