#include "store/postgres/rows.hpp"

#include "store/attachments_json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <stdexcept>

namespace windi::pg {
namespace {

// windi_reactions' JSON: [{"emoji": "...", "count": 2, "user_ids": [1, 2]}, ...], in display order.
std::vector<reaction_summary> read_reactions(std::string_view text) {
  std::vector<reaction_summary> out;
  boost::system::error_code ec;
  auto parsed = boost::json::parse(text, ec);
  // The database wrote it: anything else is a bug in a query.
  if (ec || !parsed.is_array()) throw std::logic_error("postgres: reactions are not a JSON array");
  for (auto const& item : parsed.get_array()) {
    auto const& o = item.as_object();
    reaction_summary summary;
    summary.emoji = std::string(o.at("emoji").as_string());
    summary.count = o.at("count").to_number<std::int64_t>();
    for (auto const& id : o.at("user_ids").as_array())
      summary.user_ids.push_back(id.to_number<std::int64_t>());
    out.push_back(std::move(summary));
  }
  return out;
}

}  // namespace

user read_user(result const& r, int row, int first) {
  return user{r.int64(row, first), r.text(row, first + 1), r.text(row, first + 2), r.int64(row, first + 3)};
}

message read_message(result const& r, int row, int first) {
  message m;
  m.id = r.int64(row, first);
  m.chat = r.int64(row, first + 1);
  m.seq = r.int64(row, first + 2);
  m.change_seq = r.int64(row, first + 3);
  m.sender_id = r.int64(row, first + 4);
  m.sender_username = r.text(row, first + 5);
  m.text = r.text(row, first + 6);
  m.client_message_id = r.optional_text(row, first + 7);
  m.created_at = r.int64(row, first + 8);
  if (!r.is_null(row, first + 9)) m.edited_at = r.int64(row, first + 9);
  m.deleted = r.boolean(row, first + 10);
  if (!r.is_null(row, first + 11)) {
    m.reply_to = reply_preview{.id = r.int64(row, first + 11),
                               .sender_id = r.int64(row, first + 12),
                               .sender_username = r.text(row, first + 13),
                               .text = r.text(row, first + 14),
                               .deleted = r.boolean(row, first + 15)};
  }
  if (!r.is_null(row, first + 16)) m.attachments = parse_attachments(r.view(row, first + 16));
  if (!r.is_null(row, first + message_columns))
    m.reactions = read_reactions(r.view(row, first + message_columns));
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
  c.last_change = r.int64(row, first + 6);
  c.last_activity_at = r.int64(row, first + 7);
  return c;
}

chat read_chat_with_members(result const& r, int first) {
  chat info = read_chat(r, 0, first);
  int const member = first + chat_columns;
  for (int row = 0; row < r.rows(); ++row) {
    if (!r.is_null(row, member)) info.members.push_back(read_member(r, row, member));
  }
  return info;
}

std::vector<std::int64_t> read_id_array(std::string_view text) {
  std::vector<std::int64_t> ids;
  std::int64_t value = 0;
  bool in_number = false;
  for (char ch : text) {
    if (ch >= '0' && ch <= '9') {
      value = value * 10 + (ch - '0');
      in_number = true;
    } else if (in_number) {
      ids.push_back(value);
      value = 0;
      in_number = false;
    }
  }
  if (in_number) ids.push_back(value);
  return ids;
}

member_role parse_role(std::string_view text) {
  return text == "admin" ? member_role::admin : member_role::member;
}

std::string_view role_name(member_role role) { return role == member_role::admin ? "admin" : "member"; }

}  // namespace windi::pg
