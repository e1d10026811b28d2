#include "core/search_query.hpp"

#include <unicode/uchar.h>
#include <unicode/utf8.h>

#include <cstdint>

namespace windi {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

// Letters, digits and combining marks (an accent typed as its own code point belongs to its letter), as
// Unicode's word tokenizers see them.
bool word_char(UChar32 c) { return (U_GET_GC_MASK(c) & (U_GC_L_MASK | U_GC_N_MASK | U_GC_M_MASK)) != 0; }

bool starts_with_key(std::string_view raw, std::string_view key) {
  if (raw.size() <= key.size()) return false;
  for (std::size_t i = 0; i < key.size(); ++i) {
    char c = raw[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != key[i]) return false;
  }
  return true;
}

}  // namespace

std::vector<std::string> search_tokens(std::string_view text) {
  std::vector<std::string> tokens;
  std::string current;
  auto const* bytes = reinterpret_cast<std::uint8_t const*>(text.data());
  auto const length = static_cast<std::int32_t>(text.size());
  for (std::int32_t i = 0; i < length;) {
    auto const start = i;
    UChar32 c = 0;
    U8_NEXT(bytes, i, length, c);  // an invalid sequence gives c < 0: a separator
    if (c >= 0 && word_char(c)) {
      current.append(text.substr(static_cast<std::size_t>(start), static_cast<std::size_t>(i - start)));
    } else if (!current.empty()) {
      tokens.push_back(std::move(current));
      current.clear();
    }
  }
  if (!current.empty()) tokens.push_back(std::move(current));
  return tokens;
}

outcome<search_query> parse_search_query(std::string_view text) {
  if (text.size() > max_search_query_bytes) {
    return fail(errc::validation,
                "Query is too long (at most " + std::to_string(max_search_query_bytes) + " bytes)", "q");
  }
  search_query query;
  bool last_is_plain_word = false;
  std::size_t i = 0;
  auto const read_quoted = [&] {  // at an opening quote; an unmatched one runs to the end
    auto const close = text.find('"', i + 1);
    auto const end = close == std::string_view::npos ? text.size() : close;
    auto const content = text.substr(i + 1, end - i - 1);
    i = close == std::string_view::npos ? text.size() : close + 1;
    return content;
  };
  while (i < text.size()) {
    if (is_space(text[i])) {
      ++i;
      continue;
    }
    bool const negated = text[i] == '-' && i + 1 < text.size() && !is_space(text[i + 1]);
    if (negated) ++i;
    std::vector<std::string> tokens;
    bool plain = false;
    if (text[i] == '"') {
      tokens = search_tokens(read_quoted());
    } else {
      auto const start = i;
      while (i < text.size() && !is_space(text[i])) ++i;
      auto raw = text.substr(start, i - start);
      if (!negated && starts_with_key(raw, "from:")) {
        auto name = raw.substr(5);
        if (name.front() == '@') name.remove_prefix(1);
        if (!name.empty()) {
          query.from = std::string(name);
          last_is_plain_word = false;
          continue;
        }
      } else if (!negated && starts_with_key(raw, "in:")) {
        std::string_view name = raw.substr(3);
        if (name.front() == '"') {
          i = start + 3;
          name = read_quoted();
        }
        if (!name.empty()) query.in = std::string(name);
        last_is_plain_word = false;
        continue;
      }
      tokens = search_tokens(raw);
      plain = !negated && tokens.size() == 1;
    }
    if (tokens.empty()) continue;
    auto& into = negated ? query.terms.excluded : query.terms.required;
    into.push_back(std::move(tokens));
    last_is_plain_word = plain;
    if (query.terms.required.size() + query.terms.excluded.size() > max_search_terms) {
      return fail(errc::validation,
                  "Query has too many words (at most " + std::to_string(max_search_terms) + ")", "q");
    }
  }
  // Still being typed: the last word may be the start of a longer one.
  if (last_is_plain_word && !is_space(text.back())) {
    query.terms.prefix = std::move(query.terms.required.back().front());
    query.terms.required.pop_back();
  }
  if (query.terms.required.empty() && !query.terms.prefix) {
    return fail(errc::validation, "Query has no words to search for", "q");
  }
  return query;
}

}  // namespace windi
