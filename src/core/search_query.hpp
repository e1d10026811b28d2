#pragma once
// What a person types into the message search box, parsed into what a store matches. The query language:
//   words            every word must match (in any of its forms: "messages" finds "message")
//   "exact phrase"   the words in this order, next to each other
//   -word -"phrase"  excluded
//   from:username    sent by that user
//   in:name in:"a name" in:42   in that chat (by name, or by id)
// The last plain word also matches as the start of a word, so a query typed so far finds as it is typed.
// Nothing is a syntax error: an unmatched quote ends at the end of the query, an unknown "key:value" is a
// word. Words are split on punctuation (as the stores' tokenizers split the text), so "e-mail" is the phrase
// "e mail" and "hello," is "hello". Only an empty or over-long query is refused.
#include "core/error.hpp"
#include "core/types.hpp"

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace windi {

inline constexpr std::size_t max_search_query_bytes = 500;
inline constexpr std::size_t max_search_terms = 16;

// A term is one word (one token) or a phrase (several, in order). Tokens hold only letters and digits: no
// character a store's query syntax gives a meaning to.
using search_term = std::vector<std::string>;

struct search_terms {
  std::vector<search_term> required;  // each must match
  std::vector<search_term> excluded;  // none may match
  // The last plain word, matched as a word start (after the same normalisation as the text); also required.
  std::optional<std::string> prefix;
};

struct search_query {
  search_terms terms;
  std::optional<std::string> from;  // a username
  std::optional<std::string> in;    // a chat name or id
};

// What a store searches: the terms, in the chats `user` is a member of now.
struct search_request {
  user_id user = 0;
  search_terms terms{};
  std::vector<chat_id> chats{};        // only these chats (empty: every chat of the user)
  std::optional<user_id> sender{};     // only this sender's messages
  std::optional<message_id> before{};  // only messages with a smaller id: the next page
  int limit = 20;
};

// A snippet marks each matched word with these two characters (private-use code points U+E000, U+E001),
// which no tokenizer counts as part of a word.
inline constexpr std::string_view search_hit_open = "\xEE\x80\x80";
inline constexpr std::string_view search_hit_close = "\xEE\x80\x81";

struct search_hit {
  message found;          // as history shows it now
  std::string chat_name;  // a private chat's is the other member's username
  std::string snippet;    // the text around the matches (the whole text when short), matches marked
};

// errc::validation (field "q") for a query with nothing to find or longer than max_search_query_bytes.
outcome<search_query> parse_search_query(std::string_view text);

// The tokens of a piece of text: runs of Unicode letters, digits and combining marks.
std::vector<std::string> search_tokens(std::string_view text);

}  // namespace windi
