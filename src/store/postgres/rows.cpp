#include "store/postgres/rows.hpp"

namespace windi::pg {

user read_user(result const& r, int row, int first) {
  return user{r.int64(row, first), r.text(row, first + 1), r.text(row, first + 2), r.int64(row, first + 3)};
}

message read_message(result const& r, int row, int first) {
  message m;
  m.id = r.int64(row, first);
  m.chat = r.int64(row, first + 1);
  m.seq = r.int64(row, first + 2);
  m.sender_id = r.int64(row, first + 3);
  m.sender_username = r.text(row, first + 4);
  m.text = r.text(row, first + 5);
  m.client_message_id = r.optional_text(row, first + 6);
  m.created_at = r.int64(row, first + 7);
  return m;
}

member read_member(result const& r, int row, int first) {
  member m;
  m.id = r.int64(row, first);
  m.username = r.text(row, first + 1);
  m.role = parse_role(r.view(row, first + 2));
  m.last_read_seq = r.int64(row, first + 3);
  m.joined_at = r.int64(row, first + 4);
  return m;
}

chat read_chat(result const& r, int row, int first) {
  chat c;
  c.id = r.int64(row, first);
  c.kind = r.view(row, first + 1) == "private" ? chat_kind::private_chat : chat_kind::group;
  c.name = r.text(row, first + 2);
  c.created_by = r.int64(row, first + 3);
  c.created_at = r.int64(row, first + 4);
  c.last_seq = r.int64(row, first + 5);
  c.last_activity_at = r.int64(row, first + 6);
  return c;
}

member_role parse_role(std::string_view text) {
  return text == "admin" ? member_role::admin : member_role::member;
}

std::string_view role_name(member_role role) { return role == member_role::admin ? "admin" : "member"; }

}  // namespace windi::pg
