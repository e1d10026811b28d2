#include "store/sqlite/operations.hpp"

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
  return m;
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
