#include "core/chat_service.hpp"

#include "core/validation.hpp"

#include <algorithm>

namespace windi {

failure chat_not_found() { return fail(errc::not_found, "Chat not found"); }

namespace {

member const* find_member(chat const& c, user_id id) {
  auto it = std::find_if(c.members.begin(), c.members.end(), [id](member const& m) { return m.id == id; });
  return it == c.members.end() ? nullptr : &*it;
}

}  // namespace

outcome<void> require_member(chat const& c, user_id me) {
  if (find_member(c, me) == nullptr) return chat_not_found();
  return {};
}

chat_service::chat_service(store& db, bus& events, clock const& clock, service_limits limits,
                           attachment_signer const& sign)
    : db_(db), events_(events), clock_(clock), limits_(limits), sign_(sign) {}

void chat_service::publish(chat_change const& c, event_kind kind, frame_ptr frame, user_id subject) {
  envelope e{c.info.id, kind, c.change, c.audience, std::move(frame), subject};
  events_.publish(std::move(e));
}

void chat_service::announce_new_chat(chat const& c) {
  std::vector<user_id> audience;
  for (auto const& m : c.members) audience.push_back(m.id);
  envelope e{c.id, event_kind::chat_created, c.last_change, std::move(audience), chat_created_event(c), 0};
  events_.publish(std::move(e));
}

task<outcome<std::vector<chat_summary>>> chat_service::list(user_id me) {
  auto chats = co_await db_.list_chats(me);
  if (chats) {
    for (auto& summary : *chats) sign_(summary);
  }
  co_return chats;
}

task<outcome<std::vector<chat_id>>> chat_service::ids_of(user_id me) {
  co_return co_await db_.chat_ids_of(me);
}

task<outcome<store::private_chat_result>> chat_service::open_private(user_id me, user_id recipient) {
  if (recipient == me)
    co_return fail(errc::validation, "Cannot open a private chat with yourself", "recipient_id");
  auto result = co_await db_.find_or_create_private_chat(me, recipient, clock_.now());
  if (!result && result.error().code == errc::not_found) co_return fail(errc::not_found, "User not found");
  if (result && result->created) announce_new_chat(result->info);
  co_return result;
}

task<outcome<chat>> chat_service::create_group(user_id me, std::string name,
                                               std::vector<user_id> member_ids) {
  if (auto ok = validate_chat_name(name); !ok) co_return ok.error();
  std::sort(member_ids.begin(), member_ids.end());
  member_ids.erase(std::unique(member_ids.begin(), member_ids.end()), member_ids.end());
  std::erase(member_ids, me);
  if (static_cast<int>(member_ids.size()) + 1 > limits_.max_group_members) {
    co_return fail(errc::validation,
                   "A group has at most " + std::to_string(limits_.max_group_members) + " members",
                   "member_ids");
  }
  auto created = co_await db_.create_group_chat(me, std::move(name), std::move(member_ids), clock_.now());
  if (!created && created.error().code == errc::not_found) {
    co_return fail(errc::not_found, "User not found");
  }
  if (created) announce_new_chat(*created);
  co_return created;
}

task<outcome<chat>> chat_service::get(user_id me, chat_id id) {
  auto found = co_await db_.get_chat(id);
  if (!found) co_return found.error().code == errc::not_found ? chat_not_found() : found.error();
  if (auto ok = require_member(*found, me); !ok) co_return ok.error();
  co_return found;
}

task<outcome<chat>> chat_service::get_group_as_admin(user_id me, chat_id id, char const* refusal,
                                                     char const* private_refusal) {
  auto found = co_await get(me, id);
  if (!found) co_return found;
  if (found->kind != chat_kind::group) co_return fail(errc::bad_request, private_refusal);
  if (find_member(*found, me)->role != member_role::admin) co_return fail(errc::forbidden, refusal);
  co_return found;
}

task<outcome<chat>> chat_service::add_member(user_id me, chat_id id, user_id new_member) {
  auto group = co_await get_group_as_admin(me, id, "Only chat admins can change members",
                                           "Private chats have fixed members");
  if (!group) co_return group.error();
  if (find_member(*group, new_member) == nullptr &&
      static_cast<int>(group->members.size()) >= limits_.max_group_members) {
    co_return fail(errc::validation,
                   "A group has at most " + std::to_string(limits_.max_group_members) + " members",
                   "user_id");
  }
  auto added = co_await db_.add_member(id, new_member, member_role::member, clock_.now());
  if (!added)
    co_return added.error().code == errc::not_found ? fail(errc::not_found, "User not found") : added.error();
  if (added->change > 0)
    publish(*added, event_kind::member_added, member_added_event(*added, new_member, me), new_member);
  co_return std::move(added->info);
}

task<outcome<chat>> chat_service::remove_member(user_id me, chat_id id, user_id leaving) {
  // Two plain co_awaits: GCC 12 miscompiles a co_await on a conditional expression.
  outcome<chat> found = fail(errc::internal, "unreachable");
  if (leaving == me) {
    found = co_await get(me, id);
  } else {
    found = co_await get_group_as_admin(me, id, "Only chat admins can change members",
                                        "Private chats have fixed members");
  }
  if (!found) co_return found.error();
  if (found->kind != chat_kind::group) co_return fail(errc::bad_request, "Private chats have fixed members");
  if (find_member(*found, leaving) == nullptr) co_return fail(errc::not_found, "Member not found");
  auto removed = co_await db_.remove_member(id, leaving);
  if (!removed) co_return removed.error();
  publish(*removed, event_kind::member_removed, member_removed_event(*removed, leaving, me), leaving);
  co_return std::move(removed->info);
}

task<outcome<chat>> chat_service::rename(user_id me, chat_id id, std::string name) {
  if (auto ok = validate_chat_name(name); !ok) co_return ok.error();
  auto group = co_await get_group_as_admin(me, id, "Only chat admins can rename the chat",
                                           "Private chats have no name");
  if (!group) co_return group.error();
  auto renamed = co_await db_.rename_chat(id, std::move(name));
  if (!renamed) co_return renamed.error();
  if (renamed->change > 0) publish(*renamed, event_kind::chat_updated, chat_updated_event(*renamed));
  co_return std::move(renamed->info);
}

}  // namespace windi
