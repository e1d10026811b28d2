#include "store/sqlite/operations.hpp"

#include "store/attachments_json.hpp"

#include <algorithm>
#include <unordered_map>

namespace windi::sqlite {

message read_message(statement const& s, int first) {
  message m;
  m.id = s.int64(first);
  m.chat = s.int64(first + 1);
  m.seq = s.int64(first + 2);
  m.sender_id = s.int64(first + 3);
  m.sender_username = s.text(first + 4);
  m.text = s.text(first + 5);
  m.client_message_id = s.optional_text(first + 6);
  m.created_at = s.int64(first + 7);
  m.change_seq = s.int64(first + 8);
  m.edited_at = s.optional_int64(first + 9);
  m.deleted = !s.is_null(first + 10);
  if (!s.is_null(first + 11)) {
    m.reply_to = reply_preview{.id = s.int64(first + 11),
                               .sender_id = s.int64(first + 12),
                               .sender_username = s.text(first + 13),
                               .text = s.text(first + 14),
                               .deleted = !s.is_null(first + 15)};
  }
  if (!s.is_null(first + 16)) m.attachments = parse_attachments(s.text(first + 16));
  return m;
}

void load_reactions(connection& db, std::vector<message>& messages) {
  if (messages.empty()) return;
  std::string ids = "[";
  std::unordered_map<message_id, message*> by_id;
  for (auto& m : messages) {
    if (ids.size() > 1) ids += ',';
    ids += std::to_string(m.id);
    by_id.emplace(m.id, &m);
  }
  ids += ']';
  // Oldest first, so each message's emoji come in the order of their first reaction.
  auto s = db.query(
      "SELECT mr.message_id, mr.emoji, mr.user_id FROM message_reactions mr "
      "WHERE mr.message_id IN (SELECT value FROM json_each(?1)) ORDER BY mr.message_id, mr.created_at, "
      "mr.user_id",
      ids);
  while (s.step()) {
    auto it = by_id.find(s.int64(0));
    if (it == by_id.end()) continue;
    auto& reactions = it->second->reactions;
    auto emoji = s.text(1);
    auto same = std::find_if(reactions.begin(), reactions.end(),
                             [&](reaction_summary const& r) { return r.emoji == emoji; });
    if (same == reactions.end())
      same = reactions.insert(reactions.end(), reaction_summary{std::move(emoji), 0, {}});
    ++same->count;
    if (same->user_ids.size() < reaction_user_ids_shown) same->user_ids.push_back(s.int64(2));
  }
}

void load_reactions(connection& db, message& m) {
  std::vector<message> one;
  one.push_back(std::move(m));
  load_reactions(db, one);
  m = std::move(one.front());
}

std::int64_t next_change(connection& db, chat_id chat) {
  auto s =
      db.query("UPDATE chats SET last_change = last_change + 1 WHERE id = ?1 RETURNING last_change", chat);
  if (!s.step()) throw sqlite_error(SQLITE_NOTFOUND, "next_change: no chat " + std::to_string(chat));
  auto change = s.int64(0);
  s.run();
  return change;
}

std::vector<user_id> member_ids_of(connection& db, chat_id chat) {
  std::vector<user_id> ids;
  auto s = db.query("SELECT user_id FROM chat_members WHERE chat_id = ?1 ORDER BY user_id", chat);
  while (s.step()) ids.push_back(s.int64(0));
  return ids;
}

chat read_chat(statement const& s, int first) {
  chat c;
  c.id = s.int64(first);
  c.kind = s.text(first + 1) == "private" ? chat_kind::private_chat : chat_kind::group;
  c.name = s.text(first + 2);
  c.created_by = s.int64(first + 3);
  c.created_at = s.int64(first + 4);
  c.last_seq = s.int64(first + 5);
  c.last_activity_at = s.int64(first + 6);
  c.last_change = s.int64(first + 7);
  return c;
}

member read_member(statement const& s, int first) {
  member m;
  m.id = s.int64(first);
  m.username = s.text(first + 1);
  m.role = s.text(first + 2) == "admin" ? member_role::admin : member_role::member;
  m.last_read_seq = s.int64(first + 3);
  m.joined_at = s.int64(first + 4);
  return m;
}

char const* role_name(member_role role) { return role == member_role::admin ? "admin" : "member"; }

bool user_exists(connection& db, user_id id) {
  return db.query("SELECT 1 FROM users WHERE id = ?1", id).step();
}

std::optional<chat> load_chat(connection& db, chat_id id) {
  static constexpr auto chat_sql = concat(select_chat_sql, "WHERE c.id = ?1");
  static constexpr auto members_sql =
      concat(select_member_sql, "WHERE cm.chat_id = ?1 ORDER BY cm.joined_at, cm.user_id");
  std::optional<chat> found;
  {
    auto s = db.query(chat_sql, id);
    if (!s.step()) return std::nullopt;
    found = read_chat(s, 0);
  }
  auto s = db.query(members_sql, id);
  while (s.step()) found->members.push_back(read_member(s, 0));
  return found;
}

}  // namespace windi::sqlite
