#include "store/postgres/postgres_store.hpp"
#include "store/postgres/rows.hpp"
#include "store/postgres/statements.hpp"

#include <algorithm>
#include <unordered_map>

namespace windi::pg {

task<outcome<store::private_chat_result>> postgres_store::find_or_create_private_chat(user_id a, user_id b,
                                                                                      micros now) {
  auto c = co_await begin();
  if (!c) co_return c.error();
  std::string key = std::to_string(std::min(a, b)) + ":" + std::to_string(std::max(a, b));
  auto created = co_await query(*c, sql::create_private_chat, params(a, b, now, key), "create_private_chat");
  if (!created) co_return created.error();
  bool was_created = created->rows() > 0;
  chat_id id = 0;
  if (was_created) {
    id = created->int64(0, 0);
  } else {
    // Either the chat existed (possibly committed by a concurrent caller just now: a new statement sees it)
    // or a user does not exist.
    auto found = co_await query(*c, sql::find_private_chat, params(key), "find_private_chat");
    if (!found) co_return found.error();
    if (found->rows() == 0) co_return fail(errc::not_found, "User not found");
    id = found->int64(0, 0);
  }
  auto info = co_await load_chat(*c, id);
  if (!info) co_return info.error();
  co_return private_chat_result{std::move(*info), was_created};
}

task<outcome<chat>> postgres_store::create_group_chat(user_id creator, std::string name,
                                                      std::vector<user_id> member_ids, micros now) {
  auto c = co_await begin();
  if (!c) co_return c.error();
  params args(creator, std::move(name));
  args.add_array(member_ids).add(now);
  auto created = co_await query(*c, sql::create_group_chat, std::move(args), "create_group_chat");
  if (!created) co_return created.error();
  if (created->rows() == 0) co_return fail(errc::not_found, "User not found");
  co_return co_await load_chat(*c, created->int64(0, 0));
}

task<outcome<chat>> postgres_store::get_chat(chat_id id) {
  auto c = co_await begin();
  if (!c) co_return c.error();
  co_return co_await load_chat(*c, id);
}

task<outcome<std::optional<member>>> postgres_store::get_membership(chat_id chat, user_id user) {
  auto c = co_await begin();
  if (!c) co_return c.error();
  auto r = co_await query(*c, sql::get_membership, params(chat, user), "get_membership");
  if (!r) co_return r.error();
  if (r->rows() == 0) co_return std::optional<member>{};
  co_return std::optional<member>{read_member(*r, 0)};
}

task<outcome<std::vector<chat_summary>>> postgres_store::list_chats(user_id user) {
  auto c = co_await begin();
  if (!c) co_return c.error();
  auto r = co_await query(*c, sql::list_chats, params(user), "list_chats");
  if (!r) co_return r.error();
  std::vector<chat_summary> list;
  std::vector<chat_id> ids;
  std::unordered_map<chat_id, std::size_t> position;
  constexpr int my_last_read_seq = chat_columns;
  constexpr int last_message = chat_columns + 1;
  list.reserve(r->rows());
  for (int row = 0; row < r->rows(); ++row) {
    chat_summary s;
    s.info = read_chat(*r, row);
    s.my_last_read_seq = r->int64(row, my_last_read_seq);
    if (!r->is_null(row, last_message)) s.last_message = read_message(*r, row, last_message);
    s.unread_count = std::max<std::int64_t>(s.info.last_seq - s.my_last_read_seq, 0);
    ids.push_back(s.info.id);
    position.emplace(s.info.id, list.size());
    list.push_back(std::move(s));
  }
  if (list.empty()) co_return list;

  params args;
  args.add_array(ids);
  auto members = co_await query(*c, sql::members_of_chats, std::move(args), "list_chats");
  if (!members) co_return members.error();
  for (int row = 0; row < members->rows(); ++row) {
    auto it = position.find(members->int64(row, 0));
    if (it != position.end()) list[it->second].info.members.push_back(read_member(*members, row, 1));
  }
  co_return list;
}

task<outcome<std::vector<chat_id>>> postgres_store::chat_ids_of(user_id user) {
  auto c = co_await begin();
  if (!c) co_return c.error();
  auto r = co_await query(*c, sql::chat_ids_of, params(user), "chat_ids_of");
  if (!r) co_return r.error();
  std::vector<chat_id> ids;
  ids.reserve(r->rows());
  for (int row = 0; row < r->rows(); ++row) ids.push_back(r->int64(row, 0));
  co_return ids;
}

task<outcome<std::vector<user_id>>> postgres_store::contacts_of(user_id user) {
  auto c = co_await begin();
  if (!c) co_return c.error();
  auto r = co_await query(*c, sql::contacts_of, params(user), "contacts_of");
  if (!r) co_return r.error();
  std::vector<user_id> ids;
  ids.reserve(r->rows());
  for (int row = 0; row < r->rows(); ++row) ids.push_back(r->int64(row, 0));
  co_return ids;
}

// Rows of a windi_chat_change function: status, change, audience, then the chat as windi_chat_rows.
task<outcome<chat_change>> postgres_store::change_chat(statement const& stmt, params args,
                                                       std::string_view what) {
  auto c = co_await begin();
  if (!c) co_return c.error();
  auto r = co_await query(*c, stmt, std::move(args), what);
  if (!r) co_return r.error();
  if (r->rows() == 0) co_return fail(errc::internal, std::string(what) + ": no result");
  auto status = r->view(0, 0);
  if (status == "chat_not_found") co_return fail(errc::not_found, "Chat not found");
  if (status == "user_not_found") co_return fail(errc::not_found, "User not found");
  if (status == "not_member") co_return fail(errc::not_found, "Not a member of this chat");
  if (status != "ok")
    co_return fail(errc::internal, std::string(what) + ": unexpected status " + std::string(status));
  co_return chat_change{read_chat_with_members(*r, 3), r->int64(0, 1), read_id_array(r->view(0, 2))};
}

task<outcome<chat_change>> postgres_store::add_member(chat_id chat, user_id user, member_role role,
                                                      micros now) {
  return change_chat(sql::add_member, params(chat, user, role_name(role), now), "add_member");
}

task<outcome<chat_change>> postgres_store::remove_member(chat_id chat, user_id user) {
  return change_chat(sql::remove_member, params(chat, user), "remove_member");
}

task<outcome<chat_change>> postgres_store::rename_chat(chat_id chat, std::string name) {
  return change_chat(sql::rename_chat, params(chat, std::move(name)), "rename_chat");
}

}  // namespace windi::pg
