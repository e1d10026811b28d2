#include "store/sqlite/operations.hpp"

#include "core/membership.hpp"

#include <algorithm>
#include <string>

namespace windi::sqlite {
namespace {

chat_id insert_chat(connection& db, char const* kind, std::string const& name, user_id creator, micros now,
                    std::optional<std::string> const& private_key) {
  db.query(
        "INSERT INTO chats (kind, name, created_by, created_at, last_activity_at, private_key) "
        "VALUES (?1, ?2, ?3, ?4, ?4, ?5)",
        kind, name, creator, now, private_key)
      .run();
  return db.last_insert_rowid();
}

void insert_member(connection& db, chat_id chat, user_id user, member_role role, micros now) {
  db.query("INSERT INTO chat_members (chat_id, user_id, role, joined_at) VALUES (?1, ?2, ?3, ?4)", chat, user,
           role_name(role), now)
      .run();
}

std::optional<member> find_member(connection& db, chat_id chat, user_id user) {
  static constexpr auto sql = concat(select_member_sql, "WHERE cm.chat_id = ?1 AND cm.user_id = ?2");
  auto s = db.query(sql, chat, user);
  if (!s.step()) return std::nullopt;
  return read_member(s, 0);
}

}  // namespace

outcome<store::private_chat_result> find_or_create_private_chat(connection& db, user_id a, user_id b,
                                                                micros now) {
  // The write lock serializes racing creators across processes; the UNIQUE private_key backs it up.
  transaction tx(db, transaction::mode::write);
  if (!user_exists(db, a) || !user_exists(db, b)) return fail(errc::not_found, "User not found");
  std::string key = std::to_string(std::min(a, b)) + ":" + std::to_string(std::max(a, b));
  std::optional<chat_id> existing;
  {
    auto s = db.query("SELECT id FROM chats WHERE private_key = ?1", key);
    if (s.step()) existing = s.int64(0);
  }
  bool created = false;
  if (!existing) {
    existing = insert_chat(db, "private", "", a, now, key);
    insert_member(db, *existing, a, member_role::member, now);
    insert_member(db, *existing, b, member_role::member, now);
    created = true;
  }
  auto info = load_chat(db, *existing);
  tx.commit();
  return store::private_chat_result{.info = std::move(*info), .created = created};
}

outcome<chat> create_group_chat(connection& db, user_id creator, std::string const& name,
                                std::vector<user_id> member_ids, micros now) {
  std::sort(member_ids.begin(), member_ids.end());
  member_ids.erase(std::unique(member_ids.begin(), member_ids.end()), member_ids.end());
  std::erase(member_ids, creator);

  transaction tx(db, transaction::mode::write);
  if (!user_exists(db, creator)) return fail(errc::not_found, "User not found");
  for (user_id id : member_ids) {
    if (!user_exists(db, id)) return fail(errc::not_found, "User " + std::to_string(id) + " not found");
  }
  chat_id id = insert_chat(db, "group", name, creator, now, std::nullopt);
  insert_member(db, id, creator, member_role::admin, now);
  for (user_id member_id : member_ids) insert_member(db, id, member_id, member_role::member, now);
  auto info = load_chat(db, id);
  tx.commit();
  return std::move(*info);
}

outcome<chat> get_chat(connection& db, chat_id id) {
  // Chat row and member rows must come from one snapshot.
  transaction tx(db, transaction::mode::read);
  auto info = load_chat(db, id);
  if (!info) return fail(errc::not_found, "Chat not found");
  tx.commit();
  return std::move(*info);
}

outcome<std::optional<member>> get_membership(connection& db, chat_id chat, user_id user) {
  return find_member(db, chat, user);
}

outcome<std::vector<chat_id>> chat_ids_of(connection& db, user_id user) {
  std::vector<chat_id> ids;
  auto s = db.query("SELECT chat_id FROM chat_members WHERE user_id = ?1", user);
  while (s.step()) ids.push_back(s.int64(0));
  return ids;
}

outcome<std::vector<user_id>> contacts_of(connection& db, user_id user) {
  std::vector<user_id> ids;
  auto s = db.query(
      "SELECT DISTINCT other.user_id FROM chat_members me JOIN chat_members other ON other.chat_id = "
      "me.chat_id "
      "WHERE me.user_id = ?1 AND other.user_id <> ?1",
      user);
  while (s.step()) ids.push_back(s.int64(0));
  return ids;
}

outcome<chat_change> add_member(connection& db, chat_id chat, user_id user, member_role role, micros now) {
  transaction tx(db, transaction::mode::write);
  if (!db.query("SELECT 1 FROM chats WHERE id = ?1", chat).step())
    return fail(errc::not_found, "Chat not found");
  if (!user_exists(db, user)) return fail(errc::not_found, "User not found");
  std::int64_t change = 0;
  if (!find_member(db, chat, user)) {
    insert_member(db, chat, user, role, now);
    change = next_change(db, chat);
  }
  auto info = load_chat(db, chat);
  tx.commit();
  auto audience = member_ids(*info);
  return chat_change{.info = std::move(*info), .change = change, .audience = std::move(audience)};
}

outcome<chat_change> remove_member(connection& db, chat_id chat, user_id user) {
  transaction tx(db, transaction::mode::write);
  auto removed = find_member(db, chat, user);
  if (!removed) return fail(errc::not_found, "Not a member of this chat");
  // The removed member hears of the removal, and of nothing after it.
  auto audience = member_ids_of(db, chat);
  db.query("DELETE FROM chat_members WHERE chat_id = ?1 AND user_id = ?2", chat, user).run();
  if (removed->role == member_role::admin) {
    // A group must keep an admin while anyone is left in it.
    db.query(
          "UPDATE chat_members SET role = 'admin' "
          "WHERE chat_id = ?1 AND user_id = ("
          "  SELECT cm.user_id FROM chat_members cm JOIN chats c ON c.id = cm.chat_id "
          "  WHERE cm.chat_id = ?1 AND c.kind = 'group' "
          "    AND NOT EXISTS (SELECT 1 FROM chat_members a WHERE a.chat_id = ?1 AND a.role = 'admin') "
          "  ORDER BY cm.joined_at, cm.user_id LIMIT 1)",
          chat)
        .run();
  }
  auto change = next_change(db, chat);
  auto info = load_chat(db, chat);
  tx.commit();
  return chat_change{.info = std::move(*info), .change = change, .audience = std::move(audience)};
}

outcome<chat_change> rename_chat(connection& db, chat_id chat, std::string const& name) {
  transaction tx(db, transaction::mode::write);
  auto info = load_chat(db, chat);
  if (!info) return fail(errc::not_found, "Chat not found");
  std::int64_t change = 0;
  if (info->name != name) {
    db.query("UPDATE chats SET name = ?2 WHERE id = ?1", chat, name).run();
    change = next_change(db, chat);
    info = load_chat(db, chat);
  }
  tx.commit();
  auto audience = member_ids(*info);
  return chat_change{.info = std::move(*info), .change = change, .audience = std::move(audience)};
}

}  // namespace windi::sqlite
