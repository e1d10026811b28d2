#include "core/search_query.hpp"

#include <gtest/gtest.h>

namespace windi {
namespace {

using terms = std::vector<search_term>;

search_query parsed(std::string_view text) {
  auto q = parse_search_query(text);
  EXPECT_TRUE(q.has_value()) << text << ": " << (q ? "" : q.error().detail);
  return q ? *q : search_query{};
}

TEST(SearchQuery, EveryWordIsRequiredAndTheLastOneIsAlsoAPrefixWhileTyped) {
  auto q = parsed("quarterly report dra");
  EXPECT_EQ(q.terms.required, (terms{{"quarterly"}, {"report"}}));
  EXPECT_EQ(q.terms.prefix, "dra");
  EXPECT_TRUE(q.terms.excluded.empty());
}

TEST(SearchQuery, ATrailingSpaceEndsTheLastWord) {
  auto q = parsed("quarterly report ");
  EXPECT_EQ(q.terms.required, (terms{{"quarterly"}, {"report"}}));
  EXPECT_FALSE(q.terms.prefix);
}

TEST(SearchQuery, PhrasesExclusionsAndFilters) {
  auto q = parsed(R"(from:@alice "release notes" -draft -"old plan" in:"Team chat" budget)");
  EXPECT_EQ(q.from, "alice");
  EXPECT_EQ(q.in, "Team chat");
  EXPECT_EQ(q.terms.required, (terms{{"release", "notes"}}));
  EXPECT_EQ(q.terms.excluded, (terms{{"draft"}, {"old", "plan"}}));
  EXPECT_EQ(q.terms.prefix, "budget");
}

TEST(SearchQuery, KeysAreCaseInsensitiveAndAChatMayBeNamedById) {
  auto q = parsed("FROM:bob IN:42 hello ");
  EXPECT_EQ(q.from, "bob");
  EXPECT_EQ(q.in, "42");
  EXPECT_EQ(q.terms.required, (terms{{"hello"}}));
}

TEST(SearchQuery, PunctuationSplitsWordsAsTheTextIsSplit) {
  auto q = parsed("e-mail hello, (world) ");
  EXPECT_EQ(q.terms.required, (terms{{"e", "mail"}, {"hello"}, {"world"}}));
}

TEST(SearchQuery, CyrillicAndLatinMixAndKeepTheirLetters) {
  auto q = parsed("отчёт «Бюджет» café naïve");
  EXPECT_EQ(q.terms.required, (terms{{"отчёт"}, {"Бюджет"}, {"café"}}));
  EXPECT_EQ(q.terms.prefix, "naïve");
}

TEST(SearchQuery, UnbalancedQuotesAndStrayOperatorsAreWords) {
  auto q = parsed(R"(- "unfinished phrase)");
  EXPECT_EQ(q.terms.required, (terms{{"unfinished", "phrase"}}));
  auto r = parsed(R"(a:b from: in: "" -- ** OR AND NOT NEAR(x) x*)");
  EXPECT_EQ(r.terms.required, (terms{{"a", "b"}, {"from"}, {"in"}, {"OR"}, {"AND"}, {"NOT"}, {"NEAR", "x"}}));
  EXPECT_EQ(r.terms.prefix, "x");
  EXPECT_FALSE(r.from);
  EXPECT_FALSE(r.in);
}

TEST(SearchQuery, TokensNeverCarryQueryOperators) {
  auto q = parsed(R"(it's "a'b" ''' \ %_ x:*)");
  for (auto const& term : q.terms.required) {
    for (auto const& token : term) {
      EXPECT_EQ(token.find_first_of("'\"\\%_:*()-"), std::string::npos) << token;
    }
  }
}

TEST(SearchQuery, InvalidUtf8SeparatesWords) {
  auto q = parsed(
      "abc\xff\xfe"
      "def ");
  EXPECT_EQ(q.terms.required, (terms{{"abc", "def"}}));
}

TEST(SearchQuery, NothingToFindIsRefused) {
  for (std::string_view text : {"", "   ", "-excluded", "from:alice", "in:general", "!!! ...", "\"\""}) {
    auto q = parse_search_query(text);
    ASSERT_FALSE(q.has_value()) << text;
    EXPECT_EQ(q.error().code, errc::validation);
    EXPECT_EQ(q.error().field, "q");
  }
}

TEST(SearchQuery, OverLongQueriesAreRefused) {
  EXPECT_FALSE(parse_search_query(std::string(max_search_query_bytes + 1, 'a')).has_value());
  EXPECT_TRUE(parse_search_query(std::string(max_search_query_bytes, 'a')).has_value());
  std::string many;
  for (std::size_t i = 0; i <= max_search_terms; ++i) many += "w" + std::to_string(i) + " ";
  auto q = parse_search_query(many);
  ASSERT_FALSE(q.has_value());
  EXPECT_EQ(q.error().code, errc::validation);
}

}  // namespace
}  // namespace windi
