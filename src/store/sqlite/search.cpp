// Message search over the FTS5 index of migrations/sqlite/0005_message_search.sql.
#include "store/sqlite/operations.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <string>

namespace windi::sqlite {
namespace {

// A term as an FTS5 string: quoted, so nothing in it is an operator, and its tokens form a phrase (the
// tokenizer stems them as it stemmed the text).
std::string quoted(search_term const& tokens) {
  std::string out = "\"";
  for (auto const& token : tokens) {
    if (out.size() > 1) out += ' ';
    for (char c : token) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  }
  return out + "\"";
}

std::string match_expression(search_terms const& terms) {
  std::string required;
  auto const add = [&required](std::string term) {
    required += required.empty() ? "" : " AND ";
    required += term;
  };
  for (auto const& term : terms.required) add(quoted(term));
  if (terms.prefix) add(quoted({*terms.prefix}) + " *");
  if (terms.excluded.empty()) return required;
  std::string excluded;
  for (auto const& term : terms.excluded) excluded += (excluded.empty() ? "" : " OR ") + quoted(term);
  return "(" + required + ") NOT (" + excluded + ")";
}

}  // namespace

outcome<std::vector<search_hit>> search_messages(connection& db, search_request const& q) {
  // FTS5 walks its matches newest first (rowid = message id, descending) and the joins keep those in the
  // caller's chats, so a page costs the matches read until it is full, not every match. The snippet marks
  // matched words with U+E000 / U+E001 (char(57344), char(57345)); at most 24 words around them.
  static constexpr char sql[] =
      "SELECT " WINDI_SQLITE_MESSAGE_COLUMNS
      ", CASE WHEN c.kind = 'private' THEN coalesce((SELECT ou.username FROM chat_members ocm "
      "JOIN users ou ON ou.id = ocm.user_id WHERE ocm.chat_id = c.id AND ocm.user_id <> ?3 LIMIT 1), '') "
      "ELSE c.name END, snippet(message_search, 0, char(57344), char(57345), '…', 24) "
      "FROM message_search JOIN messages m ON m.id = message_search.rowid "
      "JOIN chat_members me ON me.chat_id = m.chat_id AND me.user_id = ?3 "
      "JOIN chats c ON c.id = m.chat_id " WINDI_SQLITE_MESSAGE_JOINS
      "WHERE message_search MATCH ?1 AND message_search.rowid < ?2 "
      "AND (?4 IS NULL OR m.sender_id = ?4) "
      "AND (?5 IS NULL OR m.chat_id IN (SELECT value FROM json_each(?5))) "
      "ORDER BY message_search.rowid DESC LIMIT ?6";
  std::optional<std::string> chats;
  if (!q.chats.empty()) chats = boost::json::serialize(boost::json::array(q.chats.begin(), q.chats.end()));
  transaction tx(db, transaction::mode::read);
  std::vector<message> found;
  std::vector<search_hit> hits;
  {
    auto s = db.query(sql, match_expression(q.terms), q.before.value_or(INT64_MAX), q.user, q.sender, chats,
                      std::max(q.limit, 0));
    while (s.step()) {
      found.push_back(read_message(s, 0));
      hits.push_back({.found = {},
                      .chat_name = s.text(message_column_count),
                      .snippet = s.text(message_column_count + 1)});
    }
  }
  load_reactions(db, found);
  tx.commit();
  for (std::size_t i = 0; i < hits.size(); ++i) hits[i].found = std::move(found[i]);
  return hits;
}

}  // namespace windi::sqlite
